/* afl_driver.c -- AFL++ persistent-mode driver for a libFuzzer harness
 * (bench's own; compiled with afl-clang-fast next to the target).
 *
 * Shared-memory test cases (__AFL_FUZZ_TESTCASE_BUF), deferred fork server
 * after LLVMFuzzerInitialize, and like libFuzzer and portfuzz the harness gets
 * a private exact-size heap copy of the input (so ASan sees overreads and the
 * three engines do the same work per execution). Without the fork server
 * (run by hand) it runs each file named on the command line, or stdin, once. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

__AFL_FUZZ_INIT();

#ifndef PERSIST_ITERS
#define PERSIST_ITERS 1000000
#endif

static void run_copy(const uint8_t *buf, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, buf, len);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
}

static int run_file(FILE *f)
{
    size_t cap = 1 << 16, len = 0, n;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return 1;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *p = realloc(buf, cap *= 2);
            if (p == NULL)
                return 1;
            buf = p;
        }
    }
    run_copy(buf, len);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned char *buf;
    int i;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    __AFL_INIT();
    if (getenv("__AFL_SHM_ID") == NULL) { /* not under afl-fuzz: replay */
        if (argc < 2)
            return run_file(stdin);
        for (i = 1; i < argc; i++) {
            FILE *f = fopen(argv[i], "rb");
            if (f == NULL) {
                perror(argv[i]);
                return 1;
            }
            run_file(f);
            fclose(f);
        }
        return 0;
    }
    buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(PERSIST_ITERS))
        run_copy(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
    return 0;
}
