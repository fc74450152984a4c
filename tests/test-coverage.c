/* test-coverage.c -- the SanitizerCoverage runtime: counter registration,
 * feature bucketing, `known` filtering, reset, trace-pc-guard, bool flags, gcc trace-pc,
 * value profile, the comparison table, and the feature set. The runner is not
 * instrumented, so the tests play the compiler: they register fake counter
 * arrays and call the callbacks themselves. */
#include <string.h>

#include "tests.h"
#include "coverage.h"
#include "cmp.h"

/* The callbacks (declared by no header: the compiler emits the calls). */
void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);
void __sanitizer_cov_bool_flag_init(uint8_t *start, uint8_t *stop);
void __sanitizer_cov_trace_pc_guard(uint32_t *guard);
void __sanitizer_cov_trace_pc(void);
void __sanitizer_cov_trace_cmp4(uint32_t a, uint32_t b);
void __sanitizer_cov_trace_const_cmp8(uint64_t a, uint64_t b);
void __sanitizer_cov_trace_switch(uint64_t val, void *cases);
void __sanitizer_weak_hook_strcmp(void *caller_pc, const char *s1, const char *s2, int result);
void __sanitizer_weak_hook_memcmp(void *caller_pc, const void *s1, const void *s2, size_t n,
                                  int result);

#define NFAKE 67 /* not a multiple of 8: exercises the byte tail */
static uint8_t fake[NFAKE];
static uint8_t fake2[16]; /* a second "module" */
static uint32_t fake_base = (uint32_t)-1;

/* Registers the fake modules once and finds the global index of fake[0]. */
static void setup_fake(void)
{
    uint32_t out[8];
    size_t n;
    if (fake_base != (uint32_t)-1)
        return;
    __sanitizer_cov_8bit_counters_init(fake, fake + NFAKE);
    __sanitizer_cov_8bit_counters_init(fake2, fake2 + sizeof(fake2));
    pfz__cov_reset();
    fake[0] = 1;
    n = pfz__cov_collect(NULL, out, 8, 1);
    CU_ASSERT_FATAL(n == 1);
    CU_ASSERT_FATAL(out[0] % 8 == 0);
    fake_base = out[0] / 8;
}

static void test_bucketing(void)
{
    uint32_t out[32];
    size_t n;
    setup_fake();
    CU_ASSERT(pfz__cov_instrumented());
    CU_ASSERT(pfz__cov_counters() >= NFAKE + sizeof(fake2));
    fake[3] = 1;   /* bucket 0 */
    fake[5] = 2;   /* 1 */
    fake[7] = 3;   /* 2 */
    fake[9] = 16;  /* 5 */
    fake[10] = 5;  /* 3 */
    fake[20] = 200; /* 7 */
    fake[33] = 127; /* 6 */
    fake[66] = 8;  /* 4, in the unaligned tail */
    n = pfz__cov_collect(NULL, out, 32, 1);
    CU_ASSERT_FATAL(n == 8);
    CU_ASSERT_EQUAL(out[0], (fake_base + 3) * 8 + 0);
    CU_ASSERT_EQUAL(out[1], (fake_base + 5) * 8 + 1);
    CU_ASSERT_EQUAL(out[2], (fake_base + 7) * 8 + 2);
    CU_ASSERT_EQUAL(out[3], (fake_base + 9) * 8 + 5);
    CU_ASSERT_EQUAL(out[4], (fake_base + 10) * 8 + 3);
    CU_ASSERT_EQUAL(out[5], (fake_base + 20) * 8 + 7);
    CU_ASSERT_EQUAL(out[6], (fake_base + 33) * 8 + 6);
    CU_ASSERT_EQUAL(out[7], (fake_base + 66) * 8 + 4);
    /* reset=1 zeroed the counters in the same pass */
    {
        static const uint8_t zero[NFAKE];
        CU_ASSERT(memcmp(fake, zero, NFAKE) == 0);
    }
    CU_ASSERT_EQUAL(pfz__cov_collect(NULL, out, 32, 1), 0);
}

/* Every byte position and value class at once, against a byte-by-byte
 * reference: the 32-byte blocks and byte tail of fake, the 8-byte words of
 * fake2, non-zero bytes found by the word-wide mask (0x80, 0x7f, 0x01 next to
 * zeros), the sorted order. */
static void test_dense_scan(void)
{
    static const uint8_t vals[] = { 0, 1, 0x80, 0, 0x7f, 0xff, 2, 0, 0, 3, 0x81, 4, 0x40 };
    uint32_t out[NFAKE + 16], want[NFAKE + 16];
    size_t n, nw = 0, i;
    setup_fake();
    for (i = 0; i < NFAKE; i++)
        fake[i] = vals[(i * 7 + i / 13) % sizeof vals];
    for (i = 0; i < sizeof fake2; i++)
        fake2[i] = vals[(i * 5 + 3) % sizeof vals];
    for (i = 0; i < NFAKE; i++)
        if (fake[i])
            want[nw++] = (uint32_t)(fake_base + i) * 8 + (fake[i] == 1 ? 0 : fake[i] == 2 ? 1
                          : fake[i] == 3 ? 2 : fake[i] < 8 ? 3 : fake[i] < 128 ? 6 : 7);
    for (i = 0; i < sizeof fake2; i++)
        if (fake2[i])
            want[nw++] = (uint32_t)(fake_base + NFAKE + i) * 8 + (fake2[i] == 1 ? 0
                          : fake2[i] == 2 ? 1 : fake2[i] == 3 ? 2 : fake2[i] < 8 ? 3
                          : fake2[i] < 128 ? 6 : 7);
    n = pfz__cov_collect(NULL, out, PFZ_ARRAY_LEN(out), 1);
    CU_ASSERT_FATAL(n == nw);
    CU_ASSERT(memcmp(out, want, n * sizeof *out) == 0);
    CU_ASSERT_EQUAL(pfz__cov_collect(NULL, out, PFZ_ARRAY_LEN(out), 1), 0);
}

static void test_known_and_reset(void)
{
    pfz__featset_t known;
    uint32_t out[8];
    size_t n;
    setup_fake();
    CU_ASSERT_FATAL(pfz__featset_init(&known) == APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__featset_add(&known, (fake_base + 5) * 8 + 1), 1);
    CU_ASSERT_EQUAL(pfz__featset_add(&known, (fake_base + 5) * 8 + 1), 0);
    CU_ASSERT_EQUAL(known.count, 1);

    fake[5] = 2;  /* known */
    fake[6] = 4;  /* same counter as a known one but another bucket: new */
    fake2[1] = 1; /* second module: new */
    n = pfz__cov_collect(&known, out, 8, 0); /* no reset */
    CU_ASSERT_FATAL(n == 2);
    CU_ASSERT_EQUAL(out[0], (fake_base + 6) * 8 + 3);
    CU_ASSERT_EQUAL(out[1], (fake_base + NFAKE + 1) * 8 + 0);
    CU_ASSERT_EQUAL(fake[5], 2); /* still there: reset was 0 */

    /* max smaller than the count: the count is still exact */
    n = pfz__cov_collect(NULL, out, 1, 1);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(out[0], (fake_base + 5) * 8 + 1);
    CU_ASSERT_EQUAL(fake[5], 0);
    CU_ASSERT_EQUAL(fake2[1], 0);

    /* pfz__cov_reset clears too */
    fake[1] = 9;
    pfz__cov_reset();
    CU_ASSERT_EQUAL(pfz__cov_collect(NULL, out, 8, 1), 0);
    pfz__featset_free(&known);
}

/* pfz__cov_has_all: exact bucket match, every region kind, stops at a miss,
 * and leaves the counters alone. */
static void test_has_all(void)
{
    uint32_t want[4], out[16];
    size_t n;
    setup_fake();
    pfz__cov_reset();
    CU_ASSERT_EQUAL(pfz__cov_has_all(NULL, 0), 1); /* nothing to reach */
    fake[2] = 3;   /* bucket 2 */
    fake[64] = 1;  /* bucket 0, in the tail */
    fake2[15] = 9; /* second module, bucket 4 */
    want[0] = (fake_base + 2) * 8 + 2;
    want[1] = (fake_base + 64) * 8 + 0;
    want[2] = (fake_base + NFAKE + 15) * 8 + 4;
    CU_ASSERT_EQUAL(pfz__cov_has_all(want, 3), 1);
    want[3] = (fake_base + 2) * 8 + 1; /* same edge, another hit count */
    CU_ASSERT_EQUAL(pfz__cov_has_all(want, 4), 0);
    want[3] = (fake_base + 3) * 8 + 0; /* an edge not hit */
    CU_ASSERT_EQUAL(pfz__cov_has_all(want, 4), 0);
    want[3] = 0xFFFFFF00u % PFZ__FEATURE_SPACE; /* beyond every region */
    CU_ASSERT_EQUAL(pfz__cov_has_all(want + 3, 1), 0);
    /* The counters are untouched: collect still sees all three. */
    n = pfz__cov_collect(NULL, out, 16, 1);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(pfz__cov_has_all(want, 1), 0); /* collected and cleared */

    /* Value-profile features. */
    pfz__cov_set_value_profile(1);
    __sanitizer_cov_trace_cmp4(0x1234, 0x4321);
    n = pfz__cov_collect(NULL, out, 16, 0);
    CU_ASSERT_FATAL(n >= 1 && n <= 16);
    CU_ASSERT_EQUAL(pfz__cov_has_all(out, n), 1);
    pfz__cov_reset();
    CU_ASSERT_EQUAL(pfz__cov_has_all(out, n), 0);
    pfz__cov_set_value_profile(0);
}

static void test_double_registration(void)
{
    size_t before;
    setup_fake();
    before = pfz__cov_counters();
    __sanitizer_cov_8bit_counters_init(fake, fake + NFAKE);
    CU_ASSERT_EQUAL(pfz__cov_counters(), before);
}

static void test_pc_guard(void)
{
    static uint32_t guards[5];
    uint32_t out[8];
    size_t n, i;
    pfz__cov_reset();
    __sanitizer_cov_trace_pc_guard_init(guards, guards + 5);
    for (i = 0; i < 5; i++)
        CU_ASSERT(guards[i] != 0);
    CU_ASSERT(guards[0] != guards[1]);
    __sanitizer_cov_trace_pc_guard_init(guards, guards + 5); /* again: ignored */
    __sanitizer_cov_trace_pc_guard(&guards[2]);
    __sanitizer_cov_trace_pc_guard(&guards[2]);
    __sanitizer_cov_trace_pc_guard(&guards[4]);
    n = pfz__cov_collect(NULL, out, 8, 1);
    CU_ASSERT_FATAL(n == 2);
    CU_ASSERT_EQUAL(out[0] % 8, 1); /* two hits */
    CU_ASSERT_EQUAL(out[1] % 8, 0);
    CU_ASSERT_EQUAL(out[1] / 8 - out[0] / 8, 2);
}

/* inline-bool-flag: the flags are a region like counters; a set flag is one
 * feature (bucket "once"), and reset clears the flags for the next run. */
static void test_bool_flags(void)
{
    static uint8_t flags[9];
    uint32_t out[8];
    size_t n, before;
    pfz__cov_reset();
    before = pfz__cov_counters();
    __sanitizer_cov_bool_flag_init(flags, flags + 9);
    CU_ASSERT_EQUAL(pfz__cov_counters(), before + 9);
    flags[3] = 1;
    flags[8] = 1;
    n = pfz__cov_collect(NULL, out, 8, 1);
    CU_ASSERT_FATAL(n == 2);
    CU_ASSERT_EQUAL(out[0] % 8, 0);
    CU_ASSERT_EQUAL(out[1] / 8 - out[0] / 8, 5);
    CU_ASSERT(flags[3] == 0 && flags[8] == 0);
}

static volatile int sink;
/* The store after the call keeps it from becoming a tail call (which would
 * make the return address the caller's). */
static void block_a_fn(void) { __sanitizer_cov_trace_pc(); sink++; }
static void block_b_fn(void) { __sanitizer_cov_trace_pc(); sink++; }
/* Through volatile pointers so that each "block" keeps one call site. */
static void (*volatile block_a)(void) = block_a_fn;
static void (*volatile block_b)(void) = block_b_fn;

static void test_trace_pc(void)
{
    uint32_t out[16], first[16];
    size_t n, n2, i;
    pfz__cov_reset();
    block_a();
    block_b();
    n = pfz__cov_collect(NULL, first, 16, 1);
    CU_ASSERT(n >= 1 && n <= 2);
    for (i = 0; i < n; i++) {
        CU_ASSERT(first[i] < PFZ__FEATURE_SPACE);
        CU_ASSERT(i == 0 || first[i] > first[i - 1]);
    }
    CU_ASSERT(pfz__cov_counters() >= 65536);
    /* Same path again: same features (prev was reset between executions). */
    block_a();
    block_b();
    n2 = pfz__cov_collect(NULL, out, 16, 1);
    CU_ASSERT_EQUAL(n2, n);
    CU_ASSERT(memcmp(out, first, n * sizeof(uint32_t)) == 0);
    /* Other order: other edges. */
    block_b();
    block_a();
    n2 = pfz__cov_collect(NULL, out, 16, 1);
    CU_ASSERT(n2 >= 1);
    CU_ASSERT(memcmp(out, first, PFZ_MIN(n, n2) * sizeof(uint32_t)) != 0);
}

static void test_value_profile(void)
{
    uint32_t out[16];
    size_t n;
    pfz__cov_reset();
    __sanitizer_cov_trace_cmp4(0x1000, 0x2000);
    CU_ASSERT_EQUAL(pfz__cov_collect(NULL, out, 16, 1), 0); /* off by default */
    pfz__cov_set_value_profile(1);
    __sanitizer_cov_trace_cmp4(0x1000, 0x2000);
    n = pfz__cov_collect(NULL, out, 16, 1);
    CU_ASSERT(n >= 1 && n <= 2);
    CU_ASSERT(n >= 1 && out[0] >= PFZ__FEATURE_SPACE - 65536 && out[n - 1] < PFZ__FEATURE_SPACE);
    CU_ASSERT_EQUAL(pfz__cov_collect(NULL, out, 16, 1), 0); /* reset */
    pfz__cov_set_value_profile(0);
}

static int torc_has_int(uint64_t a, uint64_t b, unsigned w)
{
    size_t i;
    for (i = 0; i < PFZ__TORC_INT_SIZE; i++) {
        const pfz__cmp_int_t *e = &pfz__torc.ints[i];
        if (e->width == w && e->a == a && e->b == b)
            return 1;
    }
    return 0;
}

static void test_torc_records(void)
{
    uint64_t cases[] = { 3, 32, 10, 20, 30 };
    size_t i;
    int found = 0;
    pfz__cmp_clear();
    __sanitizer_cov_trace_const_cmp8(0x1BADC0FFEE15BEEFull, 0x4141414141414141ull);
    CU_ASSERT(torc_has_int(0x1BADC0FFEE15BEEFull, 0x4141414141414141ull, 8));
    __sanitizer_cov_trace_cmp4(7, 7); /* equal: nothing to learn */
    CU_ASSERT(!torc_has_int(7, 7, 4));
    __sanitizer_cov_trace_switch(15, cases);
    CU_ASSERT(torc_has_int(10, 15, 4)); /* the nearest below and above */
    CU_ASSERT(torc_has_int(20, 15, 4));
    /* A small switch also records one more case in turn: in as many calls as
     * it has cases, every case. */
    __sanitizer_cov_trace_switch(15, cases);
    __sanitizer_cov_trace_switch(15, cases);
    CU_ASSERT(torc_has_int(30, 15, 4));
    {
        /* Over 8 cases (sorted, as clang emits them): only the nearest below
         * and above are recorded, found by a binary search; a value equal to
         * a case records its neighbours; beyond the ends, one side only. */
        uint64_t big[2 + 12] = { 12, 16, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120 };
        pfz__cmp_clear();
        __sanitizer_cov_trace_switch(55, big);
        CU_ASSERT(torc_has_int(50, 55, 2));
        CU_ASSERT(torc_has_int(60, 55, 2));
        CU_ASSERT_EQUAL(pfz__torc.nints, 2);
        __sanitizer_cov_trace_switch(60, big);
        CU_ASSERT(torc_has_int(50, 60, 2));
        CU_ASSERT(torc_has_int(70, 60, 2));
        CU_ASSERT_EQUAL(pfz__torc.nints, 4);
        __sanitizer_cov_trace_switch(5, big);
        CU_ASSERT(torc_has_int(10, 5, 2));
        __sanitizer_cov_trace_switch(500, big);
        CU_ASSERT(torc_has_int(120, 500, 2));
        CU_ASSERT_EQUAL(pfz__torc.nints, 6);
        /* A switch called 40 times in one execution records on its first 8
         * calls and its 33rd; the next execution (after a reset) starts over. */
        pfz__cov_reset();
        pfz__cmp_clear();
        for (i = 0; i < 40; i++)
            __sanitizer_cov_trace_switch(55, big);
        CU_ASSERT_EQUAL(pfz__torc.nints, 9 * 2);
        pfz__cov_reset();
        __sanitizer_cov_trace_switch(55, big);
        CU_ASSERT_EQUAL(pfz__torc.nints, 10 * 2);
        big[2] = 1000; /* unsorted: still one case below and one above */
        pfz__cmp_clear();
        __sanitizer_cov_trace_switch(95, big);
        CU_ASSERT_EQUAL(pfz__torc.nints, 2);
        pfz__cmp_clear();
    }

    pfz__cov_set_running(0);
    __sanitizer_weak_hook_strcmp(NULL, "AAAA", "portfuzz-secret!", -1);
    CU_ASSERT_EQUAL(pfz__torc.nmems, 0); /* gated: not inside the target */
    pfz__cov_set_running(1);
    __sanitizer_weak_hook_strcmp(NULL, "AAAA", "portfuzz-secret!", -1);
    pfz__cov_set_running(0);
    for (i = 0; i < PFZ__TORC_MEM_SIZE; i++) {
        const pfz__cmp_mem_t *e = &pfz__torc.mems[i];
        if (e->blen == 17 && memcmp(e->b, "portfuzz-secret!", 17) == 0 && e->alen == 5)
            found = 1;
    }
    CU_ASSERT(found); /* both operands, with their NUL */
    pfz__cmp_clear();
    pfz__cov_set_running(1);
    __sanitizer_weak_hook_memcmp(NULL, "abcd", "abcd", 4, 0); /* equal: ignored */
    pfz__cov_set_running(0); /* the runner's setting: engine threads never record */
    CU_ASSERT_EQUAL(pfz__torc.nmems, 0);
    pfz__cmp_clear();
}

void pfz_test_register_coverage(void)
{
    CU_pSuite s = pfz_test_suite("coverage");
    PFZ_TEST_ADD(s, test_bucketing);
    PFZ_TEST_ADD(s, test_dense_scan);
    PFZ_TEST_ADD(s, test_bool_flags);
    PFZ_TEST_ADD(s, test_known_and_reset);
    PFZ_TEST_ADD(s, test_has_all);
    PFZ_TEST_ADD(s, test_double_registration);
    PFZ_TEST_ADD(s, test_pc_guard);
    PFZ_TEST_ADD(s, test_trace_pc);
    PFZ_TEST_ADD(s, test_value_profile);
    PFZ_TEST_ADD(s, test_torc_records);
}
