/* test-mergectl.c -- libFuzzer's merge control file (parse, write, resume
 * points) and the merge's choice of inputs. */
#include <string.h>

#include <apr_strings.h>

#include "tests.h"
#include "coverage.h"
#include "mergectl.h"

static apr_status_t parse(pfz__mctl_t *m, const char *text, char *err)
{
    err[0] = '\0';
    return pfz__mctl_parse(m, text, strlen(text), err, 256, pfz_test_pool);
}

/* libFuzzer's own example (FuzzerMerge.cpp): input 1 crashed. */
static void test_parse_libfuzzer_example(void)
{
    pfz__mctl_t m;
    char err[256];

    CU_ASSERT_EQUAL_FATAL(parse(&m, "3\n1\nfile0\nfile1\nfile2\n"
                                    "STARTED 0 123\nFT 0 1 4 6 8\nCOV 0 7 8 9\n"
                                    "STARTED 1 456\n"
                                    "STARTED 2 567\nFT 2 9 8\nCOV 2 11 12\n", err), APR_SUCCESS);
    CU_ASSERT_EQUAL(m.nfiles, 3);
    CU_ASSERT_EQUAL(m.ninitial, 1);
    CU_ASSERT_EQUAL(m.first_unprocessed, 3);
    CU_ASSERT_PTR_NULL(m.last_failure);
    CU_ASSERT(m.files[0].initial && !m.files[1].initial);
    CU_ASSERT_STRING_EQUAL(m.files[2].path, "file2");
    CU_ASSERT(m.files[0].done && m.files[1].started && !m.files[1].done && m.files[2].done);
    CU_ASSERT_EQUAL(m.files[1].size, 456);
    CU_ASSERT_EQUAL_FATAL(m.files[2].feats.n, 2);
    CU_ASSERT(m.files[2].feats.v[0] == 8 && m.files[2].feats.v[1] == 9); /* sorted */
    CU_ASSERT_EQUAL(m.files[0].cov.n, 3);
    pfz__mctl_free(&m);
}

/* Where an interrupted merge resumes: after the last STARTED (the input that
 * was running is the "last failure"); a line cut short is not counted. */
static void test_parse_resume_points(void)
{
    pfz__mctl_t m;
    char err[256];
    const char *t = "3\n0\na\nb\nc\nSTARTED 0 1\nFT 0 5\nCOV 0 0\nSTARTED 1 2\n";

    CU_ASSERT_EQUAL_FATAL(parse(&m, t, err), APR_SUCCESS);
    CU_ASSERT_EQUAL(m.first_unprocessed, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m.last_failure);
    CU_ASSERT_STRING_EQUAL(m.last_failure, "b");
    CU_ASSERT_EQUAL(m.valid_len, strlen(t));
    pfz__mctl_free(&m);
    /* Killed in the middle of a record: the partial line is ignored. */
    CU_ASSERT_EQUAL_FATAL(parse(&m, "2\n0\na\nb\nSTARTED 0 1\nFT 0 5\nCOV 0 0\nSTAR", err), APR_SUCCESS);
    CU_ASSERT_EQUAL(m.first_unprocessed, 1);
    CU_ASSERT_PTR_NULL(m.last_failure);
    CU_ASSERT_EQUAL(m.valid_len, strlen("2\n0\na\nb\nSTARTED 0 1\nFT 0 5\nCOV 0 0\n"));
    pfz__mctl_free(&m);
    /* Killed while writing an input's FT or COV: it ran through, so it is no
     * failure; its records go and it runs again. A crash record before it
     * (STARTED 0 alone) stays one. */
    {
        static const char *const cut[] = {"FT 1 5 6", "F", "COV 1 3"};
        const char *keep = "3\n0\na\nb\nc\nSTARTED 0 1\nSTARTED 1 2\n";
        size_t c;
        for (c = 0; c < sizeof cut / sizeof cut[0]; c++) {
            const char *t2 = apr_pstrcat(pfz_test_pool, keep, c == 2 ? "FT 1 5\n" : "", cut[c], NULL);
            CU_ASSERT_EQUAL_FATAL(parse(&m, t2, err), APR_SUCCESS);
            CU_ASSERT_EQUAL(m.first_unprocessed, 1);
            CU_ASSERT_PTR_NULL(m.last_failure);
            CU_ASSERT_EQUAL(m.valid_len, strlen(keep) - strlen("STARTED 1 2\n"));
            CU_ASSERT(m.files[0].started && !m.files[0].done);
            CU_ASSERT(!m.files[1].started && !m.files[1].done && m.files[1].feats.n == 0);
            pfz__mctl_free(&m);
        }
    }
    /* Only the header: nothing processed yet. */
    CU_ASSERT_EQUAL_FATAL(parse(&m, "2\n1\na\nb\n", err), APR_SUCCESS);
    CU_ASSERT_EQUAL(m.first_unprocessed, 0);
    pfz__mctl_free(&m);
}

/* Every malformed or hostile file is an error naming the line. */
static void test_parse_rejects(void)
{
    static const char *const bad[][2] = {
        {"", "line 1"},
        {"0\n0\n", "line 1"},                            /* no inputs */
        {"x\n0\na\n", "line 1"},
        {"99999999\n0\na\n", "line 1"},                  /* more paths promised than lines */
        {"2\n3\na\nb\n", "line 2"},                      /* more in the first corpus than in all */
        {"2\n0\na\n", "line"},                           /* list cut short */
        {"1\n0\na\nSTARTED 1 3\n", "line 4"},            /* out of order */
        {"1\n0\na\nSTARTED 0 3\nSTARTED 0 3\n", "line 5"},
        {"1\n0\na\nFT 0 1\n", "line 4"},                 /* FT before STARTED */
        {"2\n0\na\nb\nSTARTED 0 1\nSTARTED 1 1\nFT 0 1\n", "line 7"}, /* FT of another input */
        {"1\n0\na\nSTARTED 0 1\nFT 0 1\nFT 0 2\n", "line 6"},
        {"1\n0\na\nSTARTED 0 1\nFT 0 16777216\n", "line 5"},          /* outside the feature space */
        {"1\n0\na\nSTARTED 0 1\nFT 0 -1\n", "line 5"},
        {"1\n0\na\nSTARTED 0 1\nFT 0 99999999999999999999999\n", "line 5"},
        {"1\n0\na\nSTARTED 0 1\nFT 0 12abc\n", "line 5"},
        {"1\n0\na\nSTARTED 0 2000000000\n", "line 4"},   /* over 1 GiB */
        {"1\n0\na\nSTARTED 0\n", "line 4"},
        {"1\n0\na\nBAD 0 crash\n", "line 4"},            /* the old portfuzz format */
        {"PORTFUZZ-MERGE 1\nFILE a\n", "line 1"},
        {"1\n0\n\n", "line 3"},                          /* empty path */
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pfz__mctl_t m;
        char err[256];
        apr_status_t st = parse(&m, bad[i][0], err);
        CU_ASSERT_EQUAL(st, PFZ_EFORMAT);
        CU_ASSERT(st != PFZ_EFORMAT || strncmp(err, bad[i][1], strlen(bad[i][1])) == 0);
        if (st != PFZ_EFORMAT || strncmp(err, bad[i][1], strlen(bad[i][1])) != 0)
            fprintf(stderr, "case %u: status %d, err '%s', want '%s...'\n", (unsigned)i, st, err, bad[i][1]);
        if (st == APR_SUCCESS)
            pfz__mctl_free(&m);
    }
}

/* What the writer produces, the parser reads back. */
static void test_write_read_back(void)
{
    pfz__mctl_t m, r;
    pfz__mfile_t files[2];
    pfz__u32vec_t ft = {NULL, 0, 0}, cov = {NULL, 0, 0};
    char *text, err[256];
    size_t len;

    memset(files, 0, sizeof files);
    memset(&m, 0, sizeof m);
    files[0].path = "out/x";
    files[1].path = "in/y z";
    m.files = files;
    m.nfiles = 2;
    m.ninitial = 1;
    CU_ASSERT_EQUAL_FATAL(pfz__mctl_header(&text, &len, &m, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(len, strlen("2\n1\nout/x\nin/y z\n"));
    CU_ASSERT(memcmp(text, "2\n1\nout/x\nin/y z\n", len) == 0);
    pfz__u32vec_push(&ft, 3);
    pfz__u32vec_push(&ft, 77);
    pfz__u32vec_push(&cov, 9);
    text = apr_pstrcat(pfz_test_pool, apr_pstrmemdup(pfz_test_pool, text, len), "STARTED 0 4\n",
                       pfz__mctl_records(0, &ft, &cov, pfz_test_pool), "STARTED 1 5\n",
                       pfz__mctl_records(1, &cov, &cov, pfz_test_pool), NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "FT 0 3 77\nCOV 0 9\n"));
    CU_ASSERT_EQUAL_FATAL(parse(&r, text, err), APR_SUCCESS);
    CU_ASSERT_EQUAL(r.first_unprocessed, 2);
    CU_ASSERT_STRING_EQUAL(r.files[1].path, "in/y z");
    CU_ASSERT(r.files[0].feats.n == 2 && r.files[0].feats.v[1] == 77);
    CU_ASSERT(r.files[1].done && r.files[1].feats.n == 1 && r.files[1].size == 5);
    pfz__mctl_free(&r);
    /* A path with a newline cannot be written. */
    files[1].path = "in/y\nz";
    CU_ASSERT_EQUAL(pfz__mctl_header(&text, &len, &m, pfz_test_pool), PFZ_EFORMAT);
    pfz__u32vec_free(&ft);
    pfz__u32vec_free(&cov);
}

/* Builds a file with the given size and features (terminated by 0; features
 * here are >= 1), edges = features. */
static pfz__mfile_t *mk(const char *path, uint64_t size, int initial, const uint32_t *f)
{
    pfz__mfile_t *m = apr_pcalloc(pfz_test_pool, sizeof *m);

    m->path = path;
    m->size = size;
    m->initial = initial;
    m->started = m->done = 1;
    for (; *f != 0; f++) {
        pfz__u32vec_push(&m->feats, *f);
        pfz__u32vec_push(&m->cov, *f);
    }
    return m;
}

/* Plain merge: smallest first, nothing the first corpus has; set cover:
 * the input with the most missing features first. */
static void test_select(void)
{
    static const uint32_t f_init[] = {1, 2, 0}, f_a[] = {2, 3, 0}, f_b[] = {3, 0}, f_c[] = {4, 5, 6, 0},
                          f_d[] = {3, 4, 0}, f_e[] = {5, 6, 3, 4, 0}, f_crash[] = {0};
    pfz__mfile_t *files[7];
    size_t chosen[7], n, nf, ne;

    files[0] = mk("init", 1, 1, f_init);
    files[1] = mk("a", 2, 0, f_a);
    files[2] = mk("b", 1, 0, f_b);
    files[3] = mk("c", 3, 0, f_c);
    files[4] = mk("d", 2, 0, f_d);
    files[5] = mk("e", 10, 0, f_e);
    files[6] = mk("crash", 0, 0, f_crash);
    files[6]->done = 0;
    CU_ASSERT_EQUAL_FATAL(pfz__mctl_select(&n, chosen, files, 7, 0, &nf, &ne), APR_SUCCESS);
    /* b (size 1: 3), then d (size 2, more new features than a: 4), then c (5, 6). */
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT(chosen[0] == 2 && chosen[1] == 4 && chosen[2] == 3);
    CU_ASSERT_EQUAL(nf, 4);
    CU_ASSERT_EQUAL(ne, 4); /* edges 3..6 that "init" lacks */
    CU_ASSERT_EQUAL_FATAL(pfz__mctl_select(&n, chosen, files, 7, 1, &nf, &ne), APR_SUCCESS);
    /* e brings 4 at once. */
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(chosen[0], 5);
    CU_ASSERT_EQUAL(nf, 4);
    /* Nothing new: nothing chosen. */
    files[0] = mk("init", 1, 1, (const uint32_t[]){1, 2, 3, 4, 5, 6, 0});
    CU_ASSERT_EQUAL_FATAL(pfz__mctl_select(&n, chosen, files, 7, 0, &nf, &ne), APR_SUCCESS);
    CU_ASSERT(n == 0 && nf == 0 && ne == 0);
}

void pfz_test_register_mergectl(void)
{
    CU_pSuite s = pfz_test_suite("mergectl");
    PFZ_TEST_ADD(s, test_parse_libfuzzer_example);
    PFZ_TEST_ADD(s, test_parse_resume_points);
    PFZ_TEST_ADD(s, test_parse_rejects);
    PFZ_TEST_ADD(s, test_write_read_back);
    PFZ_TEST_ADD(s, test_select);
}
