/* ossfuzz_harness.c -- a harness as a project hands it to OSS-Fuzz: no
 * portfuzz header, built by the ossfuzz_link tests (tests/test-e2e.c) with the
 * OSS-Fuzz commands, not by make. The bug is behind a byte-by-byte magic
 * (coverage leads to it) and calls a few functions through pointers
 * (indirect-calls, stack-depth and trace-cmp all have something to emit).
 * "FUZZ" then writes one byte past a heap block (ASan reports a
 * heap-buffer-overflow) and aborts (without a sanitizer: a deadly signal). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static int is_f(uint8_t c)
{
    return c == 'F';
}
static int is_u(uint8_t c)
{
    return c == 'U';
}
static int is_z(uint8_t c)
{
    return c == 'Z';
}

static int (*const step[4])(uint8_t) = {is_f, is_u, is_z, is_z};

static void bug(size_t size)
{
    char *volatile p = (char *)malloc(size);
    p[size] = 1; /* one past the end */
    free(p);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t i;
    for (i = 0; i < 4; i++)
        if (i >= size || !step[i](data[i]))
            return 0;
    bug(size);
    return 0;
}
