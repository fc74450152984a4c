/* kinds.c -- one target with every kind of finding, each behind a two-byte
 * prefix: "!C" crashes (SIGSEGV), "!A" aborts, "!M" grows its memory far past
 * any small -rss_limit_mb, and "!HG" hangs (three bytes: every hang costs a
 * whole -timeout, so it is kept rarer than the others). Anything else is
 * harmless. The hang and the growth are functions of their own (noinline,
 * exported): a growth that runs past -timeout on a loaded machine is then a
 * timeout with another stack than the hang's, not a "duplicate" of it that
 * would hide the hang (seen once: both inlined into LLVMFuzzerTestOneInput). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

#include "record.h"

#define NOINLINE __attribute__((noinline))

NOINLINE void pfz_kinds_hang(void)
{
    volatile unsigned long spin = 0;
    for (;;)
        spin++;
}

/* Kept in a global and touched through volatile pointers: otherwise the
 * compiler may elide allocations that are never read (clang does at -O1). */
static char *volatile held[64];

NOINLINE void pfz_kinds_grow(void)
{
    size_t i;
    for (i = 0; i < 64; i++) { /* up to 4 GiB, touched so it is resident */
        char *p = malloc(64u << 20);
        if (p == NULL)
            break;
        memset(p, (int)i + 1, 64u << 20);
        held[i] = p; /* escapes: the allocation cannot be elided */
    }
    /* Hold it until the coordinator kills us: a spin of our own, not a
     * (tail) call of pfz_kinds_hang, whose stack would then be the hang's. */
    for (i = 0;; i++)
        held[i % 64] = held[(i + 1) % 64];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || data[0] != '!')
        return 0;
    switch (data[1]) {
    case 'C':
        pfz_test_record(data, size);
        *(volatile int *)(uintptr_t)8 = 1;
        break;
    case 'A':
        pfz_test_record(data, size);
        abort();
    case 'H':
        if (size >= 3 && data[2] == 'G')
            pfz_kinds_hang();
        break;
    case 'M':
        pfz_kinds_grow();
        break;
    }
    return 0;
}
