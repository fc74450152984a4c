/* test-dict.c -- the dictionary parser (AFL/libFuzzer format), the loader and
 * the automatic dictionary. */
#include <stdio.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "tests.h"
#include "dict.h"

static int entry_is(const pfz__dict_t *d, apr_size_t i, const char *v, apr_size_t vlen)
{
    apr_size_t len;
    const uint8_t *p = pfz__dict_entry(d, i, &len);
    return p != NULL && len == vlen && memcmp(p, v, vlen) == 0;
}

static void test_parse_ok(void)
{
    static const char text[] =
        "# a comment\n"
        "\n"
        "   \t \n"
        "kw1=\"GET\"\n"
        "\"plain\"\n"
        "  kw_2 = \"spaced\"  \r\n"
        "kw3@2=\"level\"\n"
        "esc=\"a\\\\b\\\"c\\x00\\xfF\"\n"
        "utf8=\"\xc3\xa9\"\n"
        "   # indented comment\n"
        "last=\"no newline\"";
    pfz__dict_t *d = NULL;
    char err[256];
    apr_pool_t *p;
    apr_pool_create(&p, pfz_test_pool);
    CU_ASSERT_FATAL(pfz__dict_parse(&d, text, sizeof(text) - 1, "t.dict", err, sizeof err, p) ==
                    APR_SUCCESS);
    CU_ASSERT_FATAL(d != NULL);
    CU_ASSERT_EQUAL(pfz__dict_count(d), 7);
    CU_ASSERT(entry_is(d, 0, "GET", 3));
    CU_ASSERT(entry_is(d, 1, "plain", 5));
    CU_ASSERT(entry_is(d, 2, "spaced", 6));
    CU_ASSERT(entry_is(d, 3, "level", 5));
    CU_ASSERT(entry_is(d, 4, "a\\b\"c\0\xff", 7));
    CU_ASSERT(entry_is(d, 5, "\xc3\xa9", 2));
    CU_ASSERT(entry_is(d, 6, "no newline", 10));
    CU_ASSERT(pfz__dict_contains(d, (const uint8_t *)"GET", 3));
    CU_ASSERT(!pfz__dict_contains(d, (const uint8_t *)"GE", 2));
    CU_ASSERT(pfz__dict_entry(d, 7, &(apr_size_t){0}) == NULL);

    /* An empty file is an empty dictionary. */
    CU_ASSERT(pfz__dict_parse(&d, "", 0, "e", err, sizeof err, p) == APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__dict_count(d), 0);
    apr_pool_destroy(p);
}

/* Each malformed text must fail with "bad.dict:LINE:" for the given line. */
static void test_parse_errors(void)
{
    static const struct {
        const char *text;
        int line;
    } cases[] = {
        { "kw=value\n", 1 },                    /* no quotes */
        { "\"ok\"\n\"unterminated\n", 2 },      /* missing closing quote */
        { "\"ok\"\n\n\"bad\\q\"\n", 3 },        /* unknown escape */
        { "\"\\x4\"\n", 1 },                    /* one hex digit */
        { "\"\\xZZ\"\n", 1 },                   /* not hex */
        { "a=\"1\"\nkw=\"v\" trailing\n", 2 },  /* text after the value */
        { "\"\"\n", 1 },                        /* empty value */
        { "# c\nkw@=\"x\"\n", 2 },              /* level without a number */
        { "k-w=\"x\"\n", 1 },                   /* bad name character */
        { "kw \"x\"\n", 1 },                    /* missing '=' */
        { "kw=\n", 1 },                         /* missing value */
        { "\"tab\there\"\n", 1 },               /* raw control character */
        { "\"x\"\n\"y\\\"\n", 2 },              /* escaped quote, then unterminated */
        { "\"ok\"\n\"nul\0\"\n", 2 },           /* NUL in the file */
    };
    apr_pool_t *p;
    size_t i;
    apr_pool_create(&p, pfz_test_pool);
    for (i = 0; i < PFZ_ARRAY_LEN(cases); i++) {
        pfz__dict_t *d = (pfz__dict_t *)&d;
        char err[256], want[32];
        apr_size_t len = strlen(cases[i].text);
        apr_status_t st;
        if (i == PFZ_ARRAY_LEN(cases) - 1)
            len = 12; /* the NUL case: strlen would stop at the NUL */
        err[0] = '\0';
        st = pfz__dict_parse(&d, cases[i].text, len, "bad.dict", err, sizeof err, p);
        CU_ASSERT_EQUAL(st, PFZ_EFORMAT);
        CU_ASSERT(d == NULL);
        apr_snprintf(want, sizeof want, "bad.dict:%d: ", cases[i].line);
        if (strncmp(err, want, strlen(want)) != 0 || strlen(err) <= strlen(want)) {
            fprintf(stderr, "case %u: got '%s', want prefix '%s'\n", (unsigned)i, err, want);
            CU_FAIL("error message does not name the file and line");
        }
    }
    /* Too long a value (129 bytes). */
    {
        char text[200];
        char err[256];
        pfz__dict_t *d;
        memset(text, 'a', sizeof text);
        text[0] = '"';
        text[130] = '"';
        const char *const *notes;
        /* Skipped, not fatal: the note names the line; the other lines are kept. */
        memcpy(text + 131, "\n\"ok\"\n", 6);
        CU_ASSERT_EQUAL_FATAL(pfz__dict_parse(&d, text, 137, "long", err, sizeof err, p), APR_SUCCESS);
        CU_ASSERT_EQUAL(pfz__dict_count(d), 1);
        CU_ASSERT_EQUAL_FATAL(pfz__dict_notes(d, &notes), 1);
        CU_ASSERT(strncmp(notes[0], "long:1: ", 8) == 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(notes[0], "129 bytes"));
        /* A too-long value that is also malformed is still an error. */
        CU_ASSERT_EQUAL(pfz__dict_parse(&d, text, 130, "long", err, sizeof err, p), PFZ_EFORMAT);
        CU_ASSERT(strncmp(err, "long:1: ", 8) == 0);
        text[129] = '"'; /* 128 bytes: fine */
        CU_ASSERT_EQUAL_FATAL(pfz__dict_parse(&d, text, 130, "long", err, sizeof err, p), APR_SUCCESS);
        CU_ASSERT_EQUAL(pfz__dict_count(d), 1);
        CU_ASSERT_EQUAL(pfz__dict_notes(d, &notes), 0);
    }
    apr_pool_destroy(p);
}

static void test_load(void)
{
    apr_pool_t *p;
    apr_file_t *f;
    const char *tmpdir = NULL;
    char *path;
    pfz__dict_t *d = NULL;
    char err[512];
    static const char body[] = "x=\"one\"\n\"two\"\n";
    apr_size_t w = sizeof(body) - 1;

    apr_pool_create(&p, pfz_test_pool);
    CU_ASSERT_FATAL(apr_temp_dir_get(&tmpdir, p) == APR_SUCCESS);
    path = apr_pstrcat(p, tmpdir, "/pfz-dict-XXXXXX", NULL);
    CU_ASSERT_FATAL(apr_file_mktemp(&f, path, APR_FOPEN_CREATE | APR_FOPEN_READ |
                                                  APR_FOPEN_WRITE | APR_FOPEN_EXCL, p) ==
                    APR_SUCCESS);
    CU_ASSERT_FATAL(apr_file_write_full(f, body, w, NULL) == APR_SUCCESS);
    apr_file_close(f);
    CU_ASSERT(pfz__dict_load(&d, path, err, sizeof err, p) == APR_SUCCESS);
    CU_ASSERT(d != NULL && pfz__dict_count(d) == 2);
    CU_ASSERT(d != NULL && entry_is(d, 1, "two", 3));
    apr_file_remove(path, p);

    /* A missing file: an error that names it. */
    CU_ASSERT(pfz__dict_load(&d, path, err, sizeof err, p) != APR_SUCCESS);
    CU_ASSERT(strstr(err, path) != NULL);
    apr_pool_destroy(p);
}

static void test_auto(void)
{
    apr_pool_t *p;
    pfz__dict_t *d;
    uint8_t big[PFZ__DICT_AUTO_MAX + 1];
    apr_pool_create(&p, pfz_test_pool);
    CU_ASSERT_FATAL(pfz__dict_auto_create(&d, 2, p) == APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__dict_count(d), 0);
    CU_ASSERT_EQUAL(pfz__dict_auto_add(d, (const uint8_t *)"aaaa", 4), 1);
    CU_ASSERT_EQUAL(pfz__dict_auto_add(d, (const uint8_t *)"aaaa", 4), 0); /* duplicate */
    CU_ASSERT_EQUAL(pfz__dict_auto_add(d, (const uint8_t *)"bb", 2), 1);
    CU_ASSERT_EQUAL(pfz__dict_count(d), 2);
    CU_ASSERT_EQUAL(pfz__dict_auto_add(d, (const uint8_t *)"ccc", 3), 1); /* replaces "aaaa" */
    CU_ASSERT_EQUAL(pfz__dict_count(d), 2);
    CU_ASSERT(!pfz__dict_contains(d, (const uint8_t *)"aaaa", 4));
    CU_ASSERT(pfz__dict_contains(d, (const uint8_t *)"bb", 2));
    CU_ASSERT(pfz__dict_contains(d, (const uint8_t *)"ccc", 3));
    memset(big, 'z', sizeof big);
    CU_ASSERT_EQUAL(pfz__dict_auto_add(d, big, sizeof big), 0); /* too long */
    CU_ASSERT_EQUAL(pfz__dict_auto_add(d, big, 0), 0);          /* empty */
    apr_pool_destroy(p);
}

void pfz_test_register_dict(void)
{
    CU_pSuite s = pfz_test_suite("dict");
    PFZ_TEST_ADD(s, test_parse_ok);
    PFZ_TEST_ADD(s, test_parse_errors);
    PFZ_TEST_ADD(s, test_load);
    PFZ_TEST_ADD(s, test_auto);
}
