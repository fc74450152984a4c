/* test-sched.c -- the worker's corpus copy: entries are copied and kept,
 * picks stay in range, and entries with rare features (and smaller ones) are
 * picked more often. Fixed seeds: the statistics are reproducible. */
#include <stdio.h>
#include <string.h>

#include "tests.h"
#include "scheduler.h"

#define NCOMMON 50

static void add_entry(pfz__sched_t *s, size_t size, const uint32_t *extra, size_t nextra,
                      uint64_t us)
{
    uint32_t f[NCOMMON + 16];
    uint8_t data[4096];
    size_t i;
    for (i = 0; i < NCOMMON; i++)
        f[i] = (uint32_t)(i * 8);
    for (i = 0; i < nextra; i++)
        f[NCOMMON + i] = extra[i];
    memset(data, 'x', sizeof data);
    CU_ASSERT_FATAL(size <= sizeof data);
    CU_ASSERT_FATAL(pfz__sched_add(s, data, size, f, NCOMMON + nextra, us) == APR_SUCCESS);
}

static void test_count_data(void)
{
    pfz__sched_t *s;
    uint8_t buf[8] = "abcdefg";
    uint32_t f[2] = { 3, 9 };
    const uint8_t *d;
    size_t n;
    pfz__rng_t r;
    CU_ASSERT_FATAL(pfz__sched_create(&s, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__sched_count(s), 0);
    CU_ASSERT(pfz__sched_add(s, buf, 7, f, 2, 10) == APR_SUCCESS);
    buf[0] = 'Z'; /* the entry is a copy */
    CU_ASSERT(pfz__sched_add(s, buf, 3, f, 1, 10) == APR_SUCCESS);
    CU_ASSERT(pfz__sched_add(s, buf, 0, NULL, 0, 0) == APR_SUCCESS); /* empty input */
    CU_ASSERT_EQUAL(pfz__sched_count(s), 3);
    d = pfz__sched_data(s, 0, &n);
    CU_ASSERT(n == 7 && memcmp(d, "abcdefg", 7) == 0);
    d = pfz__sched_data(s, 1, &n);
    CU_ASSERT(n == 3 && memcmp(d, "Zbc", 3) == 0);
    d = pfz__sched_data(s, 2, &n);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT(pfz__sched_data(s, 3, &n) == NULL && n == 0);
    pfz__rng_seed(&r, 1);
    for (n = 0; n < 1000; n++)
        CU_ASSERT(pfz__sched_pick(s, &r) < 3);
    pfz__sched_destroy(s);
}

static void test_rare_preferred(void)
{
    pfz__sched_t *s;
    pfz__rng_t r;
    size_t counts[11] = { 0 }, i, maxother = 0;
    static const uint32_t rare[5] = { 100000, 100008, 100016, 100024, 100032 };
    CU_ASSERT_FATAL(pfz__sched_create(&s, pfz_test_pool) == APR_SUCCESS);
    pfz__rng_seed(&r, 12345);
    for (i = 0; i < 10; i++)
        add_entry(s, 100, NULL, 0, 50);
    /* Some picks before the rare entry arrives (exercises the lazy path). */
    for (i = 0; i < 100; i++)
        (void)pfz__sched_pick(s, &r);
    add_entry(s, 100, rare, 5, 50);
    for (i = 0; i < 20000; i++)
        counts[pfz__sched_pick(s, &r)]++;
    for (i = 0; i < 10; i++)
        maxother = PFZ_MAX(maxother, counts[i]);
    /* Expected share: rare ~9.5/55 = 17%, others ~4.5/55 = 8% each. */
    if (!(counts[10] > maxother * 3 / 2))
        fprintf(stderr, "rare entry picked %u times, most picked other %u\n",
                (unsigned)counts[10], (unsigned)maxother);
    CU_ASSERT(counts[10] > maxother * 3 / 2);
    for (i = 0; i < 10; i++)
        CU_ASSERT(counts[i] > 800); /* common ones still get their turn */
    pfz__sched_destroy(s);
}

static void test_small_fast_preferred(void)
{
    pfz__sched_t *s;
    pfz__rng_t r;
    size_t counts[3] = { 0 }, i;
    CU_ASSERT_FATAL(pfz__sched_create(&s, pfz_test_pool) == APR_SUCCESS);
    pfz__rng_seed(&r, 777);
    add_entry(s, 16, NULL, 0, 100);   /* small */
    add_entry(s, 4096, NULL, 0, 100); /* large, as fast */
    add_entry(s, 16, NULL, 0, 5000);  /* small but slow */
    for (i = 0; i < 20000; i++)
        counts[pfz__sched_pick(s, &r)]++;
    CU_ASSERT(counts[0] > counts[1] * 2);
    CU_ASSERT(counts[0] > counts[2] * 2);
    pfz__sched_destroy(s);
}

/* Replacing an entry (REDUCE): data, features and owned features change in
 * place, the old features leave the rarity counts, bad indices are refused. */
static void test_replace(void)
{
    pfz__sched_t *s;
    pfz__rng_t r;
    size_t counts[11] = { 0 }, i, n, maxother = 0;
    static const uint32_t rare[5] = { 100000, 100008, 100016, 100024, 100032 };
    uint32_t f[NCOMMON];
    const uint32_t *ow;
    const uint8_t *d;
    CU_ASSERT_FATAL(pfz__sched_create(&s, pfz_test_pool) == APR_SUCCESS);
    pfz__rng_seed(&r, 99);
    for (i = 0; i < 10; i++)
        add_entry(s, 100, NULL, 0, 50);
    add_entry(s, 100, rare, 5, 50);
    CU_ASSERT(pfz__sched_owned(s, 10, &n) != NULL && n == 0); /* added without */
    CU_ASSERT(pfz__sched_owned(s, 11, &n) == NULL && n == 0);
    /* Entry 10 is replaced by a smaller input that keeps its rare features
     * and owns them. */
    for (i = 0; i < NCOMMON; i++)
        f[i] = (uint32_t)(i * 8);
    {
        uint32_t all[NCOMMON + 5];
        memcpy(all, f, sizeof f);
        memcpy(all + NCOMMON, rare, sizeof rare);
        CU_ASSERT_EQUAL(pfz__sched_put(s, 10, (const uint8_t *)"tiny", 4, all, NCOMMON + 5,
                                       rare, 5, 50), APR_SUCCESS);
    }
    CU_ASSERT_EQUAL(pfz__sched_count(s), 11);
    d = pfz__sched_data(s, 10, &n);
    CU_ASSERT(n == 4 && memcmp(d, "tiny", 4) == 0);
    ow = pfz__sched_owned(s, 10, &n);
    CU_ASSERT(n == 5 && ow != NULL && memcmp(ow, rare, sizeof rare) == 0);
    /* Beyond count+0 is refused; == count appends. */
    CU_ASSERT_EQUAL(pfz__sched_put(s, 12, d, 4, NULL, 0, NULL, 0, 1), APR_EINVAL);
    /* Entry 0 is replaced by one with no features at all: the common features
     * lose one holder each; entry 10 is still the rare one and is now also
     * small, so it dominates the picks. */
    CU_ASSERT_EQUAL(pfz__sched_put(s, 0, (const uint8_t *)"", 0, NULL, 0, NULL, 0, 50),
                    APR_SUCCESS);
    for (i = 0; i < 20000; i++)
        counts[pfz__sched_pick(s, &r)]++;
    for (i = 0; i < 10; i++)
        maxother = PFZ_MAX(maxother, counts[i]);
    CU_ASSERT(counts[10] > maxother * 2);
    CU_ASSERT(counts[0] > 0); /* never zero */
    pfz__sched_destroy(s);
}

void pfz_test_register_sched(void)
{
    CU_pSuite s = pfz_test_suite("sched");
    PFZ_TEST_ADD(s, test_count_data);
    PFZ_TEST_ADD(s, test_rare_preferred);
    PFZ_TEST_ADD(s, test_small_fast_preferred);
    PFZ_TEST_ADD(s, test_replace);
}
