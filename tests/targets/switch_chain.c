/* switch_chain.c -- planted bug: a crash at the end of a chain of four switch
 * statements on successive input bytes ('S' 'W' 'I' 'T' through the cases
 * that continue). Every case is an edge and trace-cmp reports the case values
 * (__sanitizer_cov_trace_switch), so each step is reachable in turn. */
#include <stdlib.h>

#include <portfuzz.h>

static volatile int sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    switch (data[0]) {
    case 'A': sink = 1; return 0;
    case 'B': sink = 2; return 0;
    case 'S': break;
    default: return 0;
    }
    switch (data[1]) {
    case 'w': sink = 3; return 0;
    case 'W': break;
    case 0x00: sink = 4; return 0;
    default: return 0;
    }
    switch (data[2]) {
    case 'I': break;
    case 'i': sink = 5; return 0;
    case 0xff: sink = 6; return 0;
    default: return 0;
    }
    switch (data[3]) {
    case 'T':
        abort(); /* the planted bug */
    case 't': sink = 7; break;
    default: break;
    }
    return 0;
}
