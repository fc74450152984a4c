/* surface.c -- findings that only an engine's guards or reproduction mode
 * can see, each behind a two-byte prefix: "!E" calls exit(0), "!W" writes
 * into its (const) input, "!N" crashes on the fifth execution of such an
 * input in one process (a finding that needs -runs=N to reproduce), "!B"
 * asks malloc for 3 GiB at once (-malloc_limit_mb). With PFZ_TEST_REJECT set
 * to 1 every input returns -1 ("do not add it to the corpus") after reaching
 * some coverage; set to 0, the same coverage and 0. Anything else is harmless. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

static char *volatile keep;
static volatile int sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int nth;
    const char *reject = getenv("PFZ_TEST_REJECT");

    if (reject != NULL) {
        /* Branches enough for new coverage, none of it to be kept. */
        if (size > 0 && data[0] == 'a')
            sink++;
        if (size > 1 && data[1] == 'b')
            sink++;
        if (size > 2)
            sink++;
        return reject[0] == '1' ? -1 : 0;
    }
    if (size < 2 || data[0] != '!')
        return 0;
    switch (data[1]) {
    case 'E':
        exit(0);
    case 'W':
        ((uint8_t *)(uintptr_t)data)[0] = 'w';
        break;
    case 'N':
        if (++nth == 5)
            *(volatile int *)(uintptr_t)8 = 1;
        break;
    case 'B':
        keep = malloc((size_t)3 << 30);
        if (keep != NULL)
            keep[0] = 1;
        free(keep);
        break;
    }
    return 0;
}
