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
    /* -fork, -jobs and -malloc_limit_mb are real options (0 by default). */
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-jobs=4", "-fork=2"), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.jobs, 4);
    CU_ASSERT_EQUAL(o.fork, 2);
    CU_ASSERT_EQUAL(o.malloc_limit_mb, 0);
    CU_ASSERT_EQUAL(o.nnotes, 0);
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-malloc_limit_mb=64", NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.malloc_limit_mb, 64);
    /* -set_cover_merge=1 is a merge. */
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-set_cover_merge=1", NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.merge, 1);
    CU_ASSERT_EQUAL(o.set_cover_merge, 1);
}

/* 1 if one of o's notes contains want. */
static int has_note(const pfz__options_t *o, const char *want)
{
    int i;

    for (i = 0; i < o->nnotes; i++)
        if (strstr(o->notes[i], want) != NULL)
            return 1;
    return 0;
}

/* -timeout=0 means no timeout: accepted, and calls get no deadline. */
static void test_timeout_zero(void)
{
    pfz__options_t o;
    char err[256];

    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-timeout=0", NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.timeout, 0);
    CU_ASSERT_EQUAL(pfz__options_deadline_us(&o, 5000000u, 2), 0);
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-timeout=3", NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__options_deadline_us(&o, 5000000u, 2), 11000000u);
    CU_ASSERT_EQUAL(parse(&o, err, "-timeout=-1", NULL), PFZ_EUSAGE);
}

/* As libFuzzer: unknown flags warn (its wording) and are ignored; "--"
 * arguments are ignored with a line saying so, never taken for a path. */
static void test_unknown_flags_warn(void)
{
    pfz__options_t o;
    char err[256];

    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-cleanse_crash=1", "-focus_function=main"), APR_SUCCESS);
    CU_ASSERT(has_note(&o, "WARNING: unrecognized flag '-cleanse_crash=1'; use -help=1 to list all flags"));
    CU_ASSERT(has_note(&o, "WARNING: unrecognized flag '-focus_function=main'"));
    CU_ASSERT_EQUAL(o.ndirs + o.nfiles, 0);
    /* A known flag without its value: a warning that says how to write it. */
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-timeout", NULL), APR_SUCCESS);
    CU_ASSERT(has_note(&o, "-timeout=VALUE"));
    CU_ASSERT_EQUAL(o.timeout, 1200);
    /* libFuzzer flags that mean nothing here: accepted, said so. */
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-entropic=1", NULL), APR_SUCCESS);
    CU_ASSERT(has_note(&o, "no effect"));
    /* "--": ignored, with a hint when a single dash was meant. */
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "--runs=5", "--"), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.ndirs + o.nfiles, 0);
    CU_ASSERT_EQUAL(o.runs, -1);
    CU_ASSERT(has_note(&o, "INFO: ignoring '--runs=5'"));
    CU_ASSERT(has_note(&o, "did you mean '-runs=5' (single dash)?"));
    CU_ASSERT(has_note(&o, "INFO: ignoring '--'"));
    /* A bad value of a known flag is still an error. */
    CU_ASSERT_EQUAL(parse(&o, err, "-runs=lots", NULL), PFZ_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "lots"));
}

static void test_errors_name_the_argument(void)
{
    pfz__options_t o;
    char err[256];

    CU_ASSERT_EQUAL(parse(&o, err, "-runs=12x", NULL), PFZ_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "12x"));
    CU_ASSERT_EQUAL(parse(&o, err, "-runs=", NULL), PFZ_EUSAGE);
    CU_ASSERT_EQUAL(parse(&o, err, "-keep_going=2", NULL), PFZ_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "out of range"));
    CU_ASSERT_EQUAL(parse(&o, err, "-seed=99999999999999999999999", NULL), PFZ_EUSAGE);
}

static void test_positionals(void)
{
    pfz__options_t o;
    char err[256];

    /* The first path (the output corpus) may be missing: the caller creates it. */
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, PFZ_BUILDDIR "/no-such-corpus-dir", PFZ_BUILDDIR), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.ndirs, 2);
    CU_ASSERT_EQUAL(o.nfiles, 0);
    CU_ASSERT_EQUAL(o.create_outdir, 1);
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, PFZ_BUILDDIR, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.create_outdir, 0);
    /* Any other missing path is an error naming it. */
    CU_ASSERT_EQUAL(parse(&o, err, PFZ_BUILDDIR, PFZ_BUILDDIR "/no-such-corpus-dir"), PFZ_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no-such-corpus-dir"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not exist"));
    /* With input files the missing first path is no output corpus but a typo. */
    CU_ASSERT_EQUAL(parse(&o, err, PFZ_BUILDDIR "/no-such-crash-file", PFZ_SRCDIR "/configure.ac"), PFZ_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no-such-crash-file' does not exist"));
    /* Flags do not count as paths: the first path is still the output. */
    CU_ASSERT_EQUAL_FATAL(parse(&o, err, "-runs=1", PFZ_BUILDDIR "/no-such-corpus-dir"), APR_SUCCESS);
    CU_ASSERT_EQUAL(o.create_outdir, 1);
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
    PFZ_TEST_ADD(s, test_timeout_zero);
    PFZ_TEST_ADD(s, test_unknown_flags_warn);
}
