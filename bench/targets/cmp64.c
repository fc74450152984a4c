/* cmp64.c -- planted bug behind one 64-bit comparison with a constant: edge
 * coverage gives no gradient; comparison tracing (TORC / cmplog) must. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t v;
    if (size < 8)
        return 0;
    memcpy(&v, data, 8);
    if (v == 0x8badf00ddeadbeefull)
        abort();
    return 0;
}
