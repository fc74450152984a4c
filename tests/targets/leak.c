/* leak.c -- planted bug: a memory leak when the input starts with "LK". The
 * block is allocated, used and forgotten; LeakSanitizer reports it at exit
 * (build with -fsanitize=address, which includes LSan on Linux). */
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 2 && data[0] == 'L' && data[1] == 'K') {
        char *volatile p = (char *)malloc(64);
        if (p != NULL)
            memcpy(p, data, size < 64 ? size : 64);
        p = NULL; /* the planted bug: the only pointer to the block is gone */
    }
    return 0;
}
