/* cf_target.c -- the harness tests/clusterfuzz.sh drives the way ClusterFuzz
 * and ClusterFuzzLite drive a libFuzzer target. Each kind of finding sits
 * behind its own prefix, so a seed file selects it:
 *   "CRASH"  heap-buffer-overflow (ASan) / SIGSEGV (no sanitizer)
 *   "ABORT"  abort()
 *   "HANG"   never returns                     -> timeout
 *   "OOM"    grows its resident memory forever  -> out-of-memory (rss)
 *   "BIGMAL" one malloc of 3 GiB               -> out-of-memory (malloc)
 *   "EXIT"   exit(3)                           -> fuzz target exited
 *   "LEAK"   loses a malloc'd block            -> LeakSanitizer
 *   "NTH"    crashes only on its 3rd execution in a process: found by
 *            fuzzing, reproduced only with -runs=N > 2
 * Anything else is parsed harmlessly (a few branches, for coverage).
 * A copy of the binary named cf_<kind> (cf_leak, cf_oom, ...) turns every
 * other kind off: the fuzzer, guided by the prefixes' comparisons, would
 * otherwise soon mutate one kind's seed into another's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *only; /* the one active prefix, or NULL: all */

static int starts(const uint8_t *d, size_t n, const char *p)
{
    size_t k = strlen(p);
    if (only != NULL && strcmp(only, p) != 0)
        return 0;
    return n >= k && memcmp(d, p, k) == 0;
}

static char *volatile sink;

__attribute__((noinline)) static void overflow(const uint8_t *d, size_t n)
{
    char *p = malloc(8);
    memcpy(p, d, n > 8 ? 8 : n);
    sink = p;
    p[8 + (n & 3)] = 1; /* one past the end or more */
    free(p);
}

__attribute__((noinline)) static void grow_forever(void)
{
    for (;;) {
        char *p = malloc(16u << 20);
        if (p == NULL)
            continue;
        memset(p, 1, 16u << 20);
        sink = p; /* kept: never freed */
    }
}

static int nth_calls;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const names[][2] = {
        {"crash", "CRASH"}, {"signal", "CRASH"}, {"abort", "ABORT"}, {"timeout", "HANG"},
        {"oom", "OOM"},     {"malloc", "BIGMAL"}, {"exit", "EXIT"},  {"leak", "LEAK"},
        {"nth", "NTH"},
    };
    const char *base = strrchr((*argv)[0], '/');
    size_t i;

    (void)argc;
    base = base ? base + 1 : (*argv)[0];
    if (strncmp(base, "cf_", 3) == 0)
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(base + 3, names[i][0]) == 0)
                only = names[i][1];
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (starts(d, n, "CRASH")) {
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
        overflow(d, n);
        return 0;
#endif
#endif
        *(volatile int *)(uintptr_t)16 = 1;
    } else if (starts(d, n, "ABORT")) {
        abort();
    } else if (starts(d, n, "HANG")) {
        volatile unsigned long spin = 0;
        for (;;)
            spin++;
    } else if (starts(d, n, "OOM")) {
        grow_forever();
    } else if (starts(d, n, "BIGMAL")) {
        sink = malloc((size_t)3 << 30);
        if (sink != NULL)
            sink[0] = 1;
    } else if (starts(d, n, "EXIT")) {
        exit(3);
    } else if (starts(d, n, "LEAK")) {
        sink = malloc(64);
        sink[0] = (char)n;
        sink = NULL;
    } else if (starts(d, n, "NTH")) {
        if (++nth_calls == 3)
            *(volatile int *)(uintptr_t)24 = 1;
    } else if (n > 0 && d[0] == '{') {
        size_t i, depth = 0;
        for (i = 0; i < n; i++)
            depth += d[i] == '{' ? 1 : d[i] == '}' ? (size_t)-1 : 0;
        return depth == 0 ? 0 : -1;
    }
    return 0;
}
