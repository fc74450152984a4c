/* magic.c -- planted bug behind a 4-byte magic checked one byte at a time
 * (each byte is its own branch, so plain edge coverage guides the fuzzer). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 4 && data[0] == 'P')
        if (data[1] == 'F')
            if (data[2] == 'Z')
                if (data[3] == '!')
                    abort();
    return 0;
}
