/* cmp64.c -- planted bug: a crash when bytes 0..7 of the input, read as a
 * little-endian 64-bit integer, equal 0x1BADC0FFEE15BEEF. One comparison of 64
 * bits gives coverage nothing to climb: it takes the comparison operands
 * (trace-cmp -> table of recent comparisons -> the mutator writes the
 * constant into the input) to find it. */
#include <stdlib.h>

#include <portfuzz.h>

static uint64_t read_le64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 8 && read_le64(data) == 0x1BADC0FFEE15BEEFull)
        abort(); /* the planted bug */
    return 0;
}
