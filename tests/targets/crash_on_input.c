/* crash_on_input.c -- crashes on one specific input: exactly "FUZZ!" (the
 * bytes are checked one at a time, so coverage feedback leads to it). The
 * input is recorded first (record.h) so tests can compare the artifact. */
#include <stdint.h>
#include <stddef.h>

#include <portfuzz.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
