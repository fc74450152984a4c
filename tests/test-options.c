/* test-options.c -- the command line parser. */
#include <string.h>

#include "tests.h"
#include "options.h"

static apr_status_t parse(pfz__options_t *o, char *err, const char *a1, const char *a2)
{
    char *argv[4] = {"fuzzer", (char *)a1, (char *)a2, NULL};
    int argc = a1 == NULL ? 1 : a2 == NULL ? 2 : 3;

    err[0] = '\0';
    return pfz__options_parse(o, argc, argv, err, 256, pfz_test_pool);
}

static void test_defaults(void)
{
    pfz__options_t o;
    char err[256];

    CU_ASSERT_EQUAL_FATAL(parse(&o, err, NULL, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.runs, -1);
    CU_ASSERT_EQUAL(o.timeout, 1200);
    CU_ASSERT_EQUAL(o.rss_limit_mb, 2048);
    CU_ASSERT_EQUAL(o.workers, 0);
    CU_ASSERT_EQUAL(o.keep_going, 0);
    CU_ASSERT_STRING_EQUAL(o.artifact_prefix, "");
    CU_ASSERT_EQUAL(o.ndirs, 0);
    CU_ASSERT_EQUAL(o.nfiles, 0);
}

static void test_values(void)
{
    pfz__options_t o;
    char err[256];

    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-workers=3", "-artifact_prefix=out/"), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.workers, 3);
    CU_ASSERT_STRING_EQUAL(o.artifact_prefix, "out/");
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-runs=0", "-max_total_time=10"), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.runs, 0);
    CU_ASSERT_EQUAL(o.max_total_time, 10);
    /* libFuzzer scripts pass -jobs: accepted, with a warning. */
    CU_ASSERT_EQUAL(parse(&o, err, "-jobs=4", NULL), APR_SUCCESS);
}

static void test_errors_name_the_argument(void)
{
    pfz__options_t o;
    char err[256];

    CU_ASSERT_EQUAL(parse(&o, err, "-bogus=1", NULL), PFZ_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bogus"));
    CU_ASSERT_EQUAL(parse(&o, err, "-runs=12x", NULL), PFZ_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "12x"));
    CU_ASSERT_EQUAL(parse(&o, err, "-runs=", NULL), PFZ_EUSAGE);
    CU_ASSERT_EQUAL(parse(&o, err, "-keep_going=2", NULL), PFZ_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "out of range"));
    CU_ASSERT_EQUAL(parse(&o, err, "-timeout", NULL), PFZ_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "-timeout=VALUE"));
    CU_ASSERT_EQUAL(parse(&o, err, "-seed=99999999999999999999999", NULL), PFZ_EUSAGE);
}

static void test_positionals(void)
{
    pfz__options_t o;
    char err[256];

    /* A directory (the build dir exists) and a missing one to be created. */
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, PFZ_BUILDDIR, PFZ_BUILDDIR "/no-such-corpus-dir"), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.ndirs, 2);
    CU_ASSERT_EQUAL(o.nfiles, 0);
    /* A file. */
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, PFZ_SRCDIR "/configure.ac", NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.nfiles, 1);
    /* Mixing is an error naming both. */
    CU_ASSERT_EQUAL(parse(&o, err, PFZ_SRCDIR "/configure.ac", PFZ_BUILDDIR), PFZ_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "configure.ac"));
}

void pfz_test_register_options(void)
{
    CU_pSuite s = pfz_test_suite("options");
    PFZ_TEST_ADD(s, test_defaults);
    PFZ_TEST_ADD(s, test_values);
    PFZ_TEST_ADD(s, test_errors_name_the_argument);
    PFZ_TEST_ADD(s, test_positionals);
}
