/* cov_target.c -- the harness tests/tools.sh builds for coverage
 * (-fprofile-instr-generate -fcoverage-mapping) to check portfuzz-coverage:
 *  - parse_header() runs on every input;
 *  - count_digits() runs on inputs that start with "D" (in the test corpus);
 *  - only_zz_reaches_this() runs only on inputs that start with "ZZ", which
 *    the test corpus never has: the report must name it as never reached;
 *  - an input "CRASH" crashes (abort), "HANG" hangs: both are in the
 *    corpus, and neither may stop the report;
 *  - reached_after_crash() runs on "LATE": a corpus file that sorts after
 *    the crashing one, so it is reached only if the report went on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <portfuzz.h>

static volatile int sink;

static int parse_header(const uint8_t *d, size_t n)
{
    return n > 0 ? d[0] : -1;
}

static int count_digits(const uint8_t *d, size_t n)
{
    int k = 0;
    size_t i;

    for (i = 0; i < n; i++)
        k += d[i] >= '0' && d[i] <= '9';
    return k;
}

static int only_zz_reaches_this(const uint8_t *d, size_t n)
{
    return (int)n + d[0];
}

static int reached_after_crash(size_t n)
{
    return (int)n * 3;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sink = parse_header(data, size);
    if (size >= 1 && data[0] == 'D')
        sink = count_digits(data, size);
    if (size >= 2 && data[0] == 'Z' && data[1] == 'Z')
        sink = only_zz_reaches_this(data, size);
    if (size == 5 && memcmp(data, "CRASH", 5) == 0)
        abort();
    if (size == 4 && memcmp(data, "HANG", 4) == 0)
        for (;;)
            sleep(1);
    if (size == 4 && memcmp(data, "LATE", 4) == 0)
        sink = reached_after_crash(size);
    return 0;
}
