/* crash_on_input.c -- crashes on one specific input: exactly "FUZZ!" (the
 * bytes are checked one at a time, so coverage feedback leads to it). The
 * input is recorded first (record.h) so tests can compare the artifact.
 * When PFZ_TEST_COUNT names a file, every execution of exactly "SEEDSEE\xff"
 * appends a byte to it (tests count how often an input ran, in all workers;
 * under -only_ascii=1 no mutation can make it). */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *count = getenv("PFZ_TEST_COUNT");

    if (count != NULL && size == 8 && memcmp(data, "SEEDSEE\xff", 8) == 0) {
        FILE *f = fopen(count, "ab");
        if (f != NULL) {
            fputc('x', f);
            fclose(f);
        }
    }
    if (size == 5 && data[0] == 'F')
        if (data[1] == 'U')
            if (data[2] == 'Z')
                if (data[3] == 'Z')
                    if (data[4] == '!') {
                        pfz_test_record(data, size);
                        *(volatile int *)(uintptr_t)size = 0; /* write near NULL: SIGSEGV */
                    }
    return 0;
}
