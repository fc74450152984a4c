/* test-mutator.c -- every built-in mutation keeps the size in [1, max] and
 * changes the data; the stack never writes past max; -only_ascii; comparison
 * operands reach the input; dictionaries; the custom-mutator hook and
 * LLVMFuzzerMutate. */
#include <stdio.h>
#include <string.h>

#include "tests.h"
#include "mutator.h"
#include "cmp.h"
#include "engine.h"
#include "coverage.h"

#define CANARY 0xA5
#define MAXBUF 160

void __sanitizer_cov_trace_const_cmp8(uint64_t a, uint64_t b);
void __sanitizer_weak_hook_strcmp(void *caller_pc, const char *s1, const char *s2, int result);

/* Plays the target calling strcmp. Outside of it the hooks are gated off, so
 * that under ASan the memcmp calls of the mutator and of these tests (which
 * ASan intercepts and reports to the hooks) do not change the table. */
static void target_strcmp(const char *s1, const char *s2)
{
    pfz__cov_set_running(1);
    __sanitizer_weak_hook_strcmp(NULL, s1, s2, strcmp(s1, s2));
    pfz__cov_set_running(0);
}

static pfz__mutator_t *make(apr_pool_t *p, uint64_t seed, int ascii, const pfz__dict_t *dict)
{
    pfz__mutator_t *m = NULL;
    pfz__mutator_opts_t o;
    memset(&o, 0, sizeof o);
    o.seed = seed;
    o.only_ascii = ascii;
    o.use_cmp = 1;
    o.dict = dict;
    CU_ASSERT_FATAL(pfz__mutator_create(&m, &o, p) == APR_SUCCESS);
    return m;
}

static void fill_random(pfz__rng_t *r, uint8_t *d, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        d[i] = (uint8_t)pfz__rng_next(r);
}

static int contains(const uint8_t *h, size_t hn, const void *n, size_t nn)
{
    size_t i;
    for (i = 0; i + nn <= hn; i++)
        if (memcmp(h + i, n, nn) == 0)
            return 1;
    return 0;
}

/* Each kind, on many random inputs: when it applies, the result is within
 * [1, max], the bytes past max are untouched, and the data changed. */
static void test_each_kind(void)
{
    apr_pool_t *p;
    pfz__dict_t *dict;
    pfz__mutator_t *m;
    pfz__rng_t r;
    char err[128];
    static const char dtext[] = "a=\"KEYWORD\"\n\"xy\"\n";
    int kind;

    apr_pool_create(&p, pfz_test_pool);
    CU_ASSERT_FATAL(pfz__dict_parse(&dict, dtext, sizeof dtext - 1, "d", err, sizeof err, p) ==
                    APR_SUCCESS);
    m = make(p, 42, 0, dict);
    pfz__rng_seed(&r, 7);
    pfz__cov_set_running(0);

    /* Comparison operands (and thereby an auto-dictionary entry). */
    pfz__cmp_clear();
    __sanitizer_cov_trace_const_cmp8(0x1122334455667788ull, 0x0102030405060708ull);
    target_strcmp("input", "MAGICWORD");
    {
        uint8_t buf[32] = "abc";
        int t;
        for (t = 0; t < 100 && pfz__dict_count(pfz__mutator_auto_dict(m)) == 0; t++) {
            if (pfz__mutate_one(m, PFZ__MUT_CMP, buf, 3, sizeof buf, NULL, 0))
                pfz__mutator_note_new(m);
        }
        CU_ASSERT(pfz__dict_count(pfz__mutator_auto_dict(m)) > 0);
    }

    for (kind = 0; kind < PFZ__MUT_COUNT; kind++) {
        unsigned applied = 0, unchanged = 0, oob = 0, t;
        for (t = 0; t < 3000; t++) {
            uint8_t buf[MAXBUF + 16], before[MAXBUF], other[40];
            size_t max = 1 + pfz__rng_below(&r, MAXBUF);
            size_t size = 1 + pfz__rng_below(&r, max);
            size_t osize = 1 + pfz__rng_below(&r, sizeof other), res, i;
            memset(buf, CANARY, sizeof buf);
            fill_random(&r, buf, size);
            if (t % 3 == 0) /* some inputs with digits for ChangeASCIIInt */
                memcpy(buf, "12", PFZ_MIN(size, (size_t)2));
            fill_random(&r, other, osize);
            memcpy(before, buf, size);
            res = pfz__mutate_one(m, kind, buf, size, max, other, osize);
            for (i = max; i < sizeof buf; i++)
                if (buf[i] != CANARY)
                    oob++;
            if (res == 0) {
                if (memcmp(before, buf, size) != 0)
                    unchanged = 100000; /* "not applicable" must leave data alone */
                continue;
            }
            applied++;
            if (res < 1 || res > max)
                oob++;
            else if (res == size && memcmp(before, buf, size) == 0)
                unchanged++;
        }
        if (applied < 300 || unchanged || oob)
            fprintf(stderr, "%s: applied %u unchanged %u out-of-bounds %u\n",
                    pfz__mutation_name(kind), applied, unchanged, oob);
        CU_ASSERT(applied >= 300);
        CU_ASSERT_EQUAL(unchanged, 0);
        CU_ASSERT_EQUAL(oob, 0);
    }
    pfz__cmp_clear();
    apr_pool_destroy(p);
}

static void test_stack_bounds(void)
{
    apr_pool_t *p;
    pfz__mutator_t *m;
    pfz__rng_t r;
    unsigned t, bad = 0, changed = 0;
    uint8_t other[16] = "other-input";
    apr_pool_create(&p, pfz_test_pool);
    m = make(p, 1, 0, NULL);
    pfz__rng_seed(&r, 99);
    for (t = 0; t < 20000; t++) {
        uint8_t buf[48 + 16], before[48];
        size_t max = 1 + pfz__rng_below(&r, 48);
        size_t size = pfz__rng_below(&r, max + 1); /* 0 included */
        size_t res, i;
        memset(buf, CANARY, sizeof buf);
        fill_random(&r, buf, size);
        memcpy(before, buf, size);
        res = pfz__mutate(m, buf, size, max, (t & 1) ? other : NULL, (t & 1) ? 11 : 0);
        if (res < 1 || res > max)
            bad++;
        for (i = max; i < sizeof buf; i++)
            if (buf[i] != CANARY)
                bad++;
        if (res != size || memcmp(before, buf, size) != 0)
            changed++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(changed > 19000);
    CU_ASSERT_EQUAL(pfz__mutate(m, other, 5, 0, NULL, 0), 0);
    apr_pool_destroy(p);
}

static void test_only_ascii(void)
{
    apr_pool_t *p;
    pfz__mutator_t *m;
    pfz__rng_t r;
    unsigned t, bad = 0;
    apr_pool_create(&p, pfz_test_pool);
    m = make(p, 5, 1, NULL);
    pfz__rng_seed(&r, 3);
    for (t = 0; t < 5000; t++) {
        uint8_t buf[64];
        size_t size = 1 + pfz__rng_below(&r, 32), res, i;
        fill_random(&r, buf, size); /* binary start: must come out printable */
        res = pfz__mutate(m, buf, size, sizeof buf, NULL, 0);
        for (i = 0; i < res; i++)
            if (!((buf[i] >= 0x20 && buf[i] < 0x7f) || (buf[i] >= '\t' && buf[i] <= '\r')))
                bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    apr_pool_destroy(p);
}

/* The point of the TORC: a 64-bit constant compared against the input gets
 * written into the input where the compared bytes were. */
static void test_cmp_operand(void)
{
    apr_pool_t *p;
    pfz__mutator_t *m;
    const uint64_t magic = 0x1BADC0FFEE15BEEFull;
    uint8_t want[8];
    unsigned t, hits = 0, at_place = 0;
    apr_pool_create(&p, pfz_test_pool);
    m = make(p, 11, 0, NULL);
    pfz__put_u64(want, magic);
    pfz__cmp_clear();
    /* As cmp64.c would: the input's bytes 4..11 read as little-endian. */
    __sanitizer_cov_trace_const_cmp8(magic, 0x4847464544434241ull);
    for (t = 0; t < 200; t++) {
        uint8_t buf[64] = "----ABCDEFGH----";
        size_t res = pfz__mutate_one(m, PFZ__MUT_CMP, buf, 16, sizeof buf, NULL, 0);
        if (res && contains(buf, res, want, 8)) {
            hits++;
            if (res == 16 && memcmp(buf + 4, want, 8) == 0)
                at_place++;
        }
    }
    CU_ASSERT(hits > 40);
    CU_ASSERT(at_place > 20);

    /* Strings from the strcmp hook: the secret replaces the compared text. */
    pfz__cmp_clear();
    target_strcmp("hello", "portfuzz-secret!");
    hits = 0;
    for (t = 0; t < 200; t++) {
        uint8_t buf[64] = "hello";
        size_t res = pfz__mutate_one(m, PFZ__MUT_CMP, buf, 5, sizeof buf, NULL, 0);
        if (res == 17 && memcmp(buf, "portfuzz-secret!", 17) == 0)
            hits++;
    }
    CU_ASSERT(hits > 40);

    /* And through the full stack, as the worker uses it. */
    hits = 0;
    for (t = 0; t < 2000; t++) {
        uint8_t buf[64] = "hello";
        size_t res = pfz__mutate(m, buf, 5, sizeof buf, NULL, 0);
        if (contains(buf, res, "portfuzz-secret!", 16))
            hits++;
    }
    CU_ASSERT(hits > 20);
    pfz__cmp_clear();
    apr_pool_destroy(p);
}

/* Input-to-state: the operand the input spells is replaced by the other one,
 * in place, little- or big-endian, at whatever position; uniform operands and
 * absent ones change nothing. */
static void test_i2s(void)
{
    apr_pool_t *p;
    pfz__mutator_t *m;
    uint8_t d[40], want[40];
    unsigned k;
    apr_pool_create(&p, pfz_test_pool);
    m = make(p, 5, 0, NULL);
    for (k = 0; k < 40; k++) { /* the operand at every position, both orders */
        size_t at = k % 37;
        int swap = k & 1;
        memset(d, 'x', sizeof d);
        pfz__put_u32(d + at, 0xA1B2C3D4u);
        memcpy(want, d, sizeof d);
        pfz__put_u32(want + at, 0x11223344u);
        CU_ASSERT_EQUAL(pfz__mutator_i2s(m, d, sizeof d, swap ? 0xA1B2C3D4u : 0x11223344u,
                                         swap ? 0x11223344u : 0xA1B2C3D4u, 4), 1);
        CU_ASSERT(memcmp(d, want, sizeof d) == 0);
    }
    /* Big-endian, 8 bytes. */
    memset(d, 0, sizeof d);
    d[10] = 1; d[11] = 2; d[12] = 3; d[13] = 4; d[14] = 5; d[15] = 6; d[16] = 7; d[17] = 8;
    CU_ASSERT_EQUAL(pfz__mutator_i2s(m, d, sizeof d, 0x1112131415161718ull,
                                     0x0102030405060708ull, 8), 1);
    CU_ASSERT(d[10] == 0x11 && d[17] == 0x18 && d[9] == 0 && d[18] == 0);
    /* Not spelled: unchanged. Uniform operand (zeroes everywhere): unchanged. */
    memcpy(want, d, sizeof d);
    CU_ASSERT_EQUAL(pfz__mutator_i2s(m, d, sizeof d, 0xDEADBEEFu, 0xCAFEF00Du, 4), 0);
    CU_ASSERT_EQUAL(pfz__mutator_i2s(m, d, sizeof d, 0x55667788u, 0, 4), 0);
    CU_ASSERT_EQUAL(pfz__mutator_i2s(m, d, 3, 0x11121314u, 0x01020304u, 4), 0); /* too short */
    CU_ASSERT_EQUAL(pfz__mutator_i2s(m, d, sizeof d, 0x1112u, 0x0102u, 2), 0);   /* narrow */
    CU_ASSERT(memcmp(d, want, sizeof d) == 0);
    apr_pool_destroy(p);
}

static void test_dict_entries(void)
{
    apr_pool_t *p;
    pfz__dict_t *d;
    pfz__mutator_t *m;
    char err[64];
    unsigned t, hits = 0;
    apr_pool_create(&p, pfz_test_pool);
    CU_ASSERT_FATAL(pfz__dict_parse(&d, "\"\\x00MAGIC\\xff\"", 15, "d", err, sizeof err, p) ==
                    APR_SUCCESS);
    m = make(p, 8, 0, d);
    for (t = 0; t < 100; t++) {
        uint8_t buf[32] = "0123456789";
        size_t res = pfz__mutate_one(m, PFZ__MUT_DICT, buf, 10, sizeof buf, NULL, 0);
        if (res && contains(buf, res, "\0MAGIC\xff", 7))
            hits++;
    }
    CU_ASSERT(hits > 80);
    apr_pool_destroy(p);
}

static size_t test_custom(uint8_t *data, size_t size, size_t max, unsigned int seed)
{
    (void)seed;
    if (max < 6)
        return 0;
    memcpy(data, "CUSTOM", 6);
    /* libFuzzer semantics: the built-in mutator is reachable from here. */
    (void)LLVMFuzzerMutate(data + 6, size > 6 ? size - 6 : 0, max - 6);
    return 6;
}

static void test_custom_and_llvm_mutate(void)
{
    apr_pool_t *p;
    pfz__mutator_t *m;
    pfz__hooks_t saved = pfz__hooks;
    uint8_t buf[32] = "abcdefgh";
    size_t res;
    unsigned t, changed = 0;
    apr_pool_create(&p, pfz_test_pool);
    m = make(p, 21, 0, NULL);

    pfz__mutator_set_current(NULL);
    CU_ASSERT_EQUAL(LLVMFuzzerMutate(buf, 8, 32), 8); /* no mutator: unchanged */
    pfz__mutator_set_current(m);
    for (t = 0; t < 100; t++) {
        uint8_t b2[16] = "abcdefgh";
        res = LLVMFuzzerMutate(b2, 8, 16);
        CU_ASSERT(res >= 1 && res <= 16);
        if (res != 8 || memcmp(b2, "abcdefgh", 8) != 0)
            changed++;
    }
    CU_ASSERT(changed > 90);

    pfz__hooks.custom_mutator = test_custom;
    res = pfz__mutate(m, buf, 8, sizeof buf, NULL, 0);
    CU_ASSERT_EQUAL(res, 6);
    CU_ASSERT(memcmp(buf, "CUSTOM", 6) == 0);
    /* A custom mutator that returns 0 must not break the size contract. */
    res = pfz__mutate(m, buf, 4, 4, NULL, 0);
    CU_ASSERT(res >= 1 && res <= 4);
    pfz__hooks = saved;
    pfz__mutator_set_current(NULL);
    apr_pool_destroy(p);
}


void pfz_test_register_mutator(void)
{
    CU_pSuite s = pfz_test_suite("mutator");
    PFZ_TEST_ADD(s, test_each_kind);
    PFZ_TEST_ADD(s, test_stack_bounds);
    PFZ_TEST_ADD(s, test_only_ascii);
    PFZ_TEST_ADD(s, test_cmp_operand);
    PFZ_TEST_ADD(s, test_i2s);
    PFZ_TEST_ADD(s, test_dict_entries);
    PFZ_TEST_ADD(s, test_custom_and_llvm_mutate);
}
