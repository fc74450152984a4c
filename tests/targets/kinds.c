/* kinds.c -- one target with every kind of finding, each behind a two-byte
 * prefix: "!C" crashes (SIGSEGV), "!A" aborts, "!M" grows its memory far past
 * any small -rss_limit_mb, and "!HG" hangs (three bytes: every hang costs a
 * whole -timeout, so it is kept rarer than the others). Anything else is
 * harmless. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

#include "record.h"

static void hang(void)
{
    volatile unsigned long spin = 0;
    for (;;)
        spin++;
}

/* Kept in a global and touched through volatile pointers: otherwise the
 * compiler may elide allocations that are never read (clang does at -O1). */
static char *volatile held[64];

static void grow(void)
{
    size_t i;
    for (i = 0; i < 64; i++) { /* up to 4 GiB, touched so it is resident */
        char *p = malloc(64u << 20);
        if (p == NULL)
            break;
        memset(p, (int)i + 1, 64u << 20);
        held[i] = p; /* escapes: the allocation cannot be elided */
    }
    hang(); /* hold it until the coordinator kills us */
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
            hang();
        break;
    case 'M':
        grow();
        break;
    }
    return 0;
}
