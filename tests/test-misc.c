/* test-misc.c -- clock, executable path, CPU count, temp dir and interrupt
 * handling of the platform layer (platform.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_env.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <CUnit/CUnit.h>

#include "tests.h"
#include "artifact.h"
#include "corpus.h"
#include "cwriter.h"
#include "featcache.h"
#include "platform.h"
#include "progress.h"
#include "rawline.h"
#include "sha1.h"

/* test-shm.c: runs the runner as a child in PFZ_TEST_SHM_MODE=`mode` and
 * returns its exit code (-1 when it did not exit normally). */
int pfz_test_shm_run_mode(const char *mode);

static void test_clock(void)
{
    apr_uint64_t t0, t1, t2;

    t0 = pfz__now_us();
    t1 = pfz__now_us();
    CU_ASSERT(t1 >= t0);
    apr_sleep(20000);
    t2 = pfz__now_us();
    /* Microseconds, not some other unit: 20 ms is 20000 us (give or take a
     * loaded machine). */
    CU_ASSERT(t2 - t1 >= 19000);
    CU_ASSERT(t2 - t1 < 5 * 1000000u);
}

static void test_self_exe(void)
{
    apr_pool_t *pool;
    apr_finfo_t fi;
    char *path = NULL;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(pfz__self_exe(&path, pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(path != NULL);
#ifdef _WIN32
    CU_ASSERT(strlen(path) > 2 && path[1] == ':');
#else
    CU_ASSERT(path[0] == '/');
#endif
    CU_ASSERT(apr_stat(&fi, path, APR_FINFO_TYPE, pool) == APR_SUCCESS && fi.filetype == APR_REG);
    CU_ASSERT(strstr(path, "runner") != NULL);
    apr_pool_destroy(pool);
}

static void test_cpu_count(void)
{
    int n = pfz__cpu_count();

    CU_ASSERT(n >= 1);
    CU_ASSERT(n <= 65536);
}

static void test_temp_dir(void)
{
    apr_pool_t *pool;
    apr_finfo_t fi;
    char *saved = NULL;
    const char *dir;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    dir = pfz__temp_dir(pool);
    CU_ASSERT_FATAL(dir != NULL && dir[0] != '\0');
    CU_ASSERT(apr_stat(&fi, dir, APR_FINFO_TYPE, pool) == APR_SUCCESS && fi.filetype == APR_DIR);
#ifndef _WIN32
    /* TMPDIR wins, without trailing slashes; unset or empty means /tmp. */
    if (apr_env_get(&saved, "TMPDIR", pool) != APR_SUCCESS)
        saved = NULL;
    apr_env_set("TMPDIR", "/var/tmp//", pool);
    CU_ASSERT_STRING_EQUAL(pfz__temp_dir(pool), "/var/tmp");
    apr_env_set("TMPDIR", "", pool);
    CU_ASSERT_STRING_EQUAL(pfz__temp_dir(pool), "/tmp");
    apr_env_delete("TMPDIR", pool);
    CU_ASSERT_STRING_EQUAL(pfz__temp_dir(pool), "/tmp");
    if (saved != NULL)
        apr_env_set("TMPDIR", saved, pool);
#else
    /* GetTempPath: TMP wins; the trailing backslash is dropped. */
    if (apr_env_get(&saved, "TMP", pool) != APR_SUCCESS)
        saved = NULL;
    apr_env_set("TMP", "C:\\Windows\\", pool);
    CU_ASSERT_STRING_EQUAL(pfz__temp_dir(pool), "C:\\Windows");
    apr_env_set("TMP", "C:\\", pool);
    CU_ASSERT_STRING_EQUAL(pfz__temp_dir(pool), "C:\\"); /* a root keeps its backslash */
    if (saved != NULL)
        apr_env_set("TMP", saved, pool);
    else
        apr_env_delete("TMP", pool);
#endif
    (void)saved;
    apr_pool_destroy(pool);
}

/* In a child process: once the handler is installed and a signal came, the
 * flag stays set for good and Ctrl-C no longer ends the process, which
 * would change every later suite of this runner. */
static void test_interrupt(void)
{
    CU_ASSERT(pfz_test_shm_run_mode("interrupt") == 0);
}

/* The signal-safe line builder: numbers, and cutting at the buffer's end
 * with room kept for the newline pfz__rl_flush adds. */
static void test_rawline(void)
{
    char buf[16];
    pfz__rawline_t b;

    pfz__rl_init(&b, buf, sizeof buf);
    pfz__rl_hex(&b, 0xbeef, 1);
    pfz__rl_char(&b, ' ');
    pfz__rl_dec(&b, 0);
    pfz__rl_char(&b, ' ');
    pfz__rl_hex(&b, 0x5, 4);
    CU_ASSERT_EQUAL(b.n, 15u); /* "0xbeef 0 0x0005" */
    CU_ASSERT(memcmp(buf, "0xbeef 0 0x0005", 15) == 0);
    pfz__rl_str(&b, "more");
    pfz__rl_char(&b, '!');
    CU_ASSERT_EQUAL(b.n, 15u); /* cut: one byte stays free */

    pfz__rl_init(&b, buf, sizeof buf);
    pfz__rl_dec(&b, 18446744073709551615u);
    CU_ASSERT_EQUAL(b.n, 15u);
    CU_ASSERT(memcmp(buf, "184467440737095", 15) == 0);
    pfz__rl_init(&b, buf, sizeof buf);
    pfz__rl_hex(&b, 0xffffffffffffffffu, 16);
    CU_ASSERT(b.n == 15u && memcmp(buf, "0xfffffffffffff", 15) == 0);
}

/* Progress lines (progress.c): count, total, percentage, rate over the
 * work done in this run (not a resumed run's earlier part), time left; the
 * interval from PORTFUZZ_PROGRESS_MS, and 3 s when that is not a number. */
static void test_progress(void)
{
    pfz__progress_t p;
    char line[256];
    apr_pool_t *pool;

    apr_pool_create(&pool, NULL);
    apr_env_set(PFZ__PROGRESS_ENV, "250", pool);
    pfz__progress_init(&p, "merge", "inputs", 1000, 3000, 10000000u);
    CU_ASSERT_EQUAL(p.interval_us, 250000u);
    CU_ASSERT(!pfz__progress_due(&p, 10000000u + 249999u));
    CU_ASSERT(pfz__progress_due(&p, 10000000u + 250000u));
    /* 500 more inputs in 2 s: 250/s, 1500 left: 6 s. */
    pfz__progress_format(line, sizeof line, &p, 1500, "left_out: 2", 12000000u);
    CU_ASSERT_STRING_EQUAL(line, "INFO: portfuzz: merge: 1500/3000 inputs (50%) rate: 250/s "
                                 "elapsed: 2.0s left: ~6.0s left_out: 2");
    pfz__progress_format(line, sizeof line, &p, 3000, NULL, 12000000u);
    CU_ASSERT(strstr(line, "3000/3000 inputs (100%)") != NULL && strstr(line, "left: 0.0s") != NULL);
    pfz__progress_format(line, sizeof line, &p, 1000, NULL, 10000000u); /* nothing done yet */
    CU_ASSERT(strstr(line, "rate: 0/s") != NULL && strstr(line, "left: ?") != NULL);
    pfz__progress_init(&p, "reading", "files", 0, 0, 0); /* no total: no percentage */
    pfz__progress_format(line, sizeof line, &p, 42, NULL, 1000000u);
    CU_ASSERT_STRING_EQUAL(line, "INFO: portfuzz: reading: 42 files rate: 42/s elapsed: 1.0s");
    apr_env_set(PFZ__PROGRESS_ENV, "soon", pool);
    pfz__progress_init(&p, "x", "y", 0, 1, 0);
    CU_ASSERT_EQUAL(p.interval_us, 3000000u);
    apr_env_delete(PFZ__PROGRESS_ENV, pool);
    pfz__progress_init(&p, "x", "y", 0, 1, 0);
    CU_ASSERT_EQUAL(p.interval_us, 3000000u);
    apr_pool_destroy(pool);
}

/* The feature cache file: records survive a reopen (features, the rejected
 * flag), an input is recorded once, a file of another kind or a damaged tail
 * is started afresh / cut off, another variant is another file, and the
 * default place follows PORTFUZZ_FEATURE_CACHE. */
static void test_feature_cache_file(void)
{
    apr_pool_t *pool;
    pfz__featcache_t *fc;
    const uint32_t f1[] = {7, 8, 9, 0xFFFFFFFFu}, *got;
    const char *dir, *path;
    size_t n;
    int rej;
    apr_file_t *f;
    apr_finfo_t fi, fi2;
    apr_size_t w;

    apr_pool_create(&pool, pfz_test_pool);
    dir = apr_psprintf(pool, "%s/tests/fcache-unit-%" APR_TIME_T_FMT, PFZ_BUILDDIR, apr_time_now());
    CU_ASSERT_EQUAL_FATAL(pfz__featcache_open(&fc, dir, pfz_test_self, "v=1", pool), APR_SUCCESS);
    path = apr_pstrdup(pool, pfz__featcache_path(fc));
    CU_ASSERT_EQUAL(pfz__featcache_count(fc), 0);
    pfz__featcache_put(fc, (const uint8_t *)"abc", 3, f1, 4, 0);
    pfz__featcache_put(fc, (const uint8_t *)"abc", 3, f1, 4, 0); /* once is enough */
    pfz__featcache_put(fc, (const uint8_t *)"", 0, NULL, 0, 1);
    CU_ASSERT_EQUAL(pfz__featcache_count(fc), 2);
    CU_ASSERT(!pfz__featcache_get(fc, (const uint8_t *)"abc", 3, &got, &n, &rej)); /* next run */
    pfz__featcache_close(fc);
    CU_ASSERT_EQUAL(apr_stat(&fi, path, APR_FINFO_SIZE, pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(fi.size, 20 + (28 + 16) + 28);

    CU_ASSERT_EQUAL_FATAL(pfz__featcache_open(&fc, dir, pfz_test_self, "v=1", pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__featcache_count(fc), 2);
    CU_ASSERT_FATAL(pfz__featcache_get(fc, (const uint8_t *)"abc", 3, &got, &n, &rej));
    CU_ASSERT(n == 4 && !rej && memcmp(got, f1, sizeof f1) == 0);
    CU_ASSERT(pfz__featcache_get(fc, (const uint8_t *)"", 0, &got, &n, &rej) && n == 0 && rej);
    CU_ASSERT(!pfz__featcache_get(fc, (const uint8_t *)"abd", 3, &got, &n, &rej));
    pfz__featcache_close(fc);

    /* half a record (a writer killed mid-write): cut off at the next open */
    CU_ASSERT_EQUAL_FATAL(apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_APPEND |
                                        APR_FOPEN_BINARY, 0, pool), APR_SUCCESS);
    w = 30;
    apr_file_write(f, "0123456789012345678901234567890", &w);
    apr_file_close(f);
    CU_ASSERT_EQUAL_FATAL(pfz__featcache_open(&fc, dir, pfz_test_self, "v=1", pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__featcache_count(fc), 2);
    CU_ASSERT_EQUAL(apr_stat(&fi2, path, APR_FINFO_SIZE, pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(fi2.size, fi.size);
    pfz__featcache_close(fc);

    /* another variant: another file, empty */
    CU_ASSERT_EQUAL_FATAL(pfz__featcache_open(&fc, dir, pfz_test_self, "v=2", pool), APR_SUCCESS);
    CU_ASSERT_STRING_NOT_EQUAL(pfz__featcache_path(fc), path);
    CU_ASSERT_EQUAL(pfz__featcache_count(fc), 0);
    pfz__featcache_close(fc);

    /* not a cache file: started afresh */
    CU_ASSERT_EQUAL(pfz__write_atomic(path, "not a cache file at all, no", 27, pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pfz__featcache_open(&fc, dir, pfz_test_self, "v=1", pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__featcache_count(fc), 0);
    pfz__featcache_put(fc, (const uint8_t *)"abc", 3, f1, 2, 0);
    pfz__featcache_close(fc);
    CU_ASSERT_EQUAL_FATAL(pfz__featcache_open(&fc, dir, pfz_test_self, "v=1", pool), APR_SUCCESS);
    CU_ASSERT(pfz__featcache_get(fc, (const uint8_t *)"abc", 3, &got, &n, &rej) && n == 2);
    pfz__featcache_close(fc);

    /* other binaries' files: the 4 most recently used are kept, ours too */
    {
        apr_array_header_t *left = apr_array_make(pool, 8, sizeof(const char *));
        int k;
        for (k = 0; k < 6; k++) {
            const char *o = apr_psprintf(pool, "%s/%040d.pfc", dir, k);
            CU_ASSERT_EQUAL(pfz__write_atomic(o, "x", 1, pool), APR_SUCCESS);
            apr_file_mtime_set(o, apr_time_now() - apr_time_from_sec(1000 - k), pool);
        }
        CU_ASSERT_EQUAL_FATAL(pfz__featcache_open(&fc, dir, pfz_test_self, "v=1", pool),
                              APR_SUCCESS);
        pfz__featcache_close(fc);
        CU_ASSERT_EQUAL(pfz__list_files(left, dir, pool), APR_SUCCESS);
        CU_ASSERT_EQUAL(left->nelts, 4);
        /* kept: ours, the v=2 file (used a moment ago), the newest two of
         * the six; gone: the four oldest */
        for (k = 0; k < 6; k++) {
            apr_finfo_t ofi;
            int there = apr_stat(&ofi, apr_psprintf(pool, "%s/%040d.pfc", dir, k), APR_FINFO_TYPE,
                                 pool) == APR_SUCCESS;
            CU_ASSERT(there == (k >= 4));
        }
        CU_ASSERT(apr_stat(&fi, path, APR_FINFO_TYPE, pool) == APR_SUCCESS);
    }

    /* a missing executable: an error, no cache */
    CU_ASSERT_NOT_EQUAL(pfz__featcache_open(&fc, dir, apr_pstrcat(pool, dir, "/nope", NULL), "v",
                                            pool), APR_SUCCESS);
    CU_ASSERT_PTR_NULL(fc);

    apr_env_set("PORTFUZZ_FEATURE_CACHE", "0", pool);
    CU_ASSERT_PTR_NULL(pfz__featcache_default_dir(pool));
    apr_env_set("PORTFUZZ_FEATURE_CACHE", dir, pool);
    CU_ASSERT_STRING_EQUAL(pfz__featcache_default_dir(pool), dir);
    apr_env_set("PORTFUZZ_FEATURE_CACHE", "0", pool); /* as the runner has it */
    apr_pool_destroy(pool);
}

/* -reload's directory stamps: an unchanged tree is seen as such without a
 * listing; a file added to it or to a subdirectory, or a stamp too recent to
 * trust (a change in the same file system tick would not show), is not. */
static void test_dir_stamps(void)
{
    apr_pool_t *pool;
    apr_array_header_t *files, *stamps;
    const char *dir, *sub;
    apr_time_t later;

    apr_pool_create(&pool, pfz_test_pool);
    dir = apr_psprintf(pool, "%s/tests/stamps-%" APR_TIME_T_FMT, PFZ_BUILDDIR, apr_time_now());
    sub = apr_pstrcat(pool, dir, "/sub", NULL);
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(sub, APR_FPROT_OS_DEFAULT, pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__write_atomic(apr_pstrcat(pool, dir, "/a", NULL), "a", 1, pool), APR_SUCCESS);
    apr_sleep(20000); /* the directories' times are before the listing's */
    files = apr_array_make(pool, 4, sizeof(const char *));
    stamps = apr_array_make(pool, 4, sizeof(pfz__dirstamp_t));
    CU_ASSERT_EQUAL_FATAL(pfz__list_tree(files, NULL, stamps, dir, pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(files->nelts, 1);
    CU_ASSERT_EQUAL(stamps->nelts, 2);
    /* "taken" as if the listing were 10 s after the directories' last change
     * (the tests cannot wait a file system tick) */
    later = apr_time_now() + apr_time_from_sec(10);
    CU_ASSERT(pfz__dirs_unchanged(stamps, later, pool));
    /* taken within a tick of the directories' time: not to be trusted */
    CU_ASSERT(!pfz__dirs_unchanged(stamps, apr_time_now(), pool));
    /* a file in the subdirectory */
    CU_ASSERT_EQUAL(pfz__write_atomic(apr_pstrcat(pool, sub, "/b", NULL), "b", 1, pool), APR_SUCCESS);
    CU_ASSERT(!pfz__dirs_unchanged(stamps, later, pool));
    /* listed again: unchanged; then a file at the top */
    apr_sleep(20000);
    apr_array_clear(files);
    apr_array_clear(stamps);
    CU_ASSERT_EQUAL(pfz__list_tree(files, NULL, stamps, dir, pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(files->nelts, 2);
    CU_ASSERT(pfz__dirs_unchanged(stamps, later, pool));
    CU_ASSERT_EQUAL(pfz__write_atomic(apr_pstrcat(pool, dir, "/c", NULL), "c", 1, pool), APR_SUCCESS);
    CU_ASSERT(!pfz__dirs_unchanged(stamps, later, pool));
    /* nothing recorded: never "unchanged" */
    apr_array_clear(stamps);
    CU_ASSERT(!pfz__dirs_unchanged(stamps, later, pool));
    apr_pool_destroy(pool);
}

/* A corpus entry is written to the output directory as <sha1>, but not
 * again when a restarted campaign offers it with that file already there. */
static void test_corpus_no_rewrite(void)
{
    apr_pool_t *pool;
    pfz__corpus_t *c;
    const char *dir, *px, *py;
    char hx[PFZ__SHA1_HEX_LEN + 1], hy[PFZ__SHA1_HEX_LEN + 1];
    const uint32_t fx[] = {1, 2}, fy[] = {3};
    apr_time_t old = apr_time_now() - apr_time_from_sec(1000);
    apr_status_t st;
    apr_finfo_t fi;

    apr_pool_create(&pool, pfz_test_pool);
    dir = apr_psprintf(pool, "%s/tests/corpus-%" APR_TIME_T_FMT, PFZ_BUILDDIR, apr_time_now());
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, pool), APR_SUCCESS);
    pfz__sha1_hex("xx", 2, hx);
    pfz__sha1_hex("yyy", 3, hy);
    px = apr_pstrcat(pool, dir, "/", hx, NULL);
    py = apr_pstrcat(pool, dir, "/", hy, NULL);
    CU_ASSERT_EQUAL_FATAL(pfz__corpus_create(&c, dir, pool), APR_SUCCESS);
    CU_ASSERT(pfz__corpus_offer(c, (const uint8_t *)"xx", 2, fx, 2, 0, &st) && st == APR_SUCCESS);
    pfz__corpus_destroy(c);
    CU_ASSERT_EQUAL_FATAL(apr_file_mtime_set(px, old, pool), APR_SUCCESS);
    /* the restart */
    CU_ASSERT_EQUAL_FATAL(pfz__corpus_create(&c, dir, pool), APR_SUCCESS);
    CU_ASSERT(pfz__corpus_offer(c, (const uint8_t *)"xx", 2, fx, 2, 0, &st) && st == APR_SUCCESS);
    CU_ASSERT(pfz__corpus_offer(c, (const uint8_t *)"yyy", 3, fy, 1, 0, &st) && st == APR_SUCCESS);
    CU_ASSERT(apr_stat(&fi, px, APR_FINFO_MTIME, pool) == APR_SUCCESS &&
              apr_time_sec(fi.mtime) == apr_time_sec(old));
    CU_ASSERT(apr_stat(&fi, py, APR_FINFO_SIZE, pool) == APR_SUCCESS && fi.size == 3);
    pfz__corpus_destroy(c);
    /* a file of that name with other bytes (truncated) is written over */
    CU_ASSERT_EQUAL(pfz__write_atomic(px, "x", 1, pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pfz__corpus_create(&c, dir, pool), APR_SUCCESS);
    CU_ASSERT(pfz__corpus_offer(c, (const uint8_t *)"xx", 2, fx, 2, 0, &st) && st == APR_SUCCESS);
    CU_ASSERT(apr_stat(&fi, px, APR_FINFO_SIZE, pool) == APR_SUCCESS && fi.size == 2);
    pfz__corpus_destroy(c);
    apr_pool_destroy(pool);
}

/* The corpus writer thread: files appear once it is closed (the end of a
 * run), in order (a replacement's old file goes after the new one is there),
 * an existing file of the right size is kept, a failed write is counted and
 * loses nothing in memory, and after the close a put writes at once. */
static int file_is(const char *path, const char *want, apr_pool_t *p)
{
    uint8_t *d = NULL;
    size_t n = 0;
    int ok = pfz__read_file(path, &d, &n, 1 << 20, p) == APR_SUCCESS && n == strlen(want) &&
             memcmp(d, want, n) == 0;
    free(d);
    return ok;
}

static void test_cwriter(void)
{
    apr_pool_t *pool;
    pfz__cwriter_t *w;
    pfz__cwriter_stats_t ws;
    pfz__corpus_t *c;
    const char *dir, *bad;
    char name[32], body[32], hx[PFZ__SHA1_HEX_LEN + 1], hs[PFZ__SHA1_HEX_LEN + 1];
    const uint32_t fx[] = {1, 2}, fz[] = {7};
    apr_finfo_t fi;
    apr_status_t st;
    size_t n0;
    int i, all = 1, waited;

    apr_pool_create(&pool, pfz_test_pool);
    dir = apr_psprintf(pool, "%s/tests/cwriter-%" APR_TIME_T_FMT, PFZ_BUILDDIR, apr_time_now());
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__write_atomic(apr_pstrcat(pool, dir, "/kept", NULL), "abc", 3, pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pfz__cwriter_start(&w, dir, pool), APR_SUCCESS);
    for (i = 0; i < 300; i++) {
        apr_snprintf(name, sizeof name, "e%03d", i);
        apr_snprintf(body, sizeof body, "body %d", i);
        CU_ASSERT_EQUAL(pfz__cwriter_put(w, name, body, strlen(body), 0, NULL), APR_SUCCESS);
    }
    CU_ASSERT_EQUAL(pfz__cwriter_put(w, "kept", "xyz", 3, 1, NULL), APR_SUCCESS);   /* same size: kept */
    CU_ASSERT_EQUAL(pfz__cwriter_put(w, "e000s", "b0", 2, 0, "e000"), APR_SUCCESS); /* a replacement */
    CU_ASSERT_EQUAL(pfz__cwriter_put(w, "empty", NULL, 0, 0, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__cwriter_close(w, 30000000u), 0);
    for (i = 1; i < 300; i++) {
        apr_snprintf(body, sizeof body, "body %d", i);
        all &= file_is(apr_psprintf(pool, "%s/e%03d", dir, i), body, pool);
    }
    CU_ASSERT(all);
    CU_ASSERT(file_is(apr_pstrcat(pool, dir, "/kept", NULL), "abc", pool));
    CU_ASSERT(file_is(apr_pstrcat(pool, dir, "/e000s", NULL), "b0", pool));
    CU_ASSERT(apr_stat(&fi, apr_pstrcat(pool, dir, "/e000", NULL), APR_FINFO_TYPE, pool) != APR_SUCCESS);
    CU_ASSERT(file_is(apr_pstrcat(pool, dir, "/empty", NULL), "", pool));
    pfz__cwriter_get_stats(w, &ws);
    CU_ASSERT(ws.written == 303 && ws.failed == 0 && ws.queued_max >= 1);
    /* closed: a put is done before it returns; closing again is harmless */
    CU_ASSERT_EQUAL(pfz__cwriter_put(w, "late", "L", 1, 0, NULL), APR_SUCCESS);
    CU_ASSERT(file_is(apr_pstrcat(pool, dir, "/late", NULL), "L", pool));
    CU_ASSERT_EQUAL(pfz__cwriter_close(w, 1000000u), 0);

    /* Back-pressure: past the bound, wait_room waits until the writer is
     * below it; every file is written in the end, by the writer or (past 4
     * times the bound) by the caller. */
    CU_ASSERT_EQUAL_FATAL(pfz__cwriter_start(&w, dir, pool), APR_SUCCESS);
    for (i = 0; i < PFZ__CWRITER_MAX_JOBS + 2000; i++) {
        apr_snprintf(name, sizeof name, "p%05d", i);
        CU_ASSERT_EQUAL(pfz__cwriter_put(w, name, name, strlen(name), 0, NULL), APR_SUCCESS);
    }
    n0 = pfz__cwriter_pending(w);
    waited = pfz__cwriter_wait_room(w, 30000000u);
    CU_ASSERT(pfz__cwriter_pending(w) <= PFZ__CWRITER_MAX_JOBS + 1); /* + the one being written */
    pfz__cwriter_get_stats(w, &ws);
    CU_ASSERT_EQUAL(ws.waits, (apr_uint64_t)waited);
    /* Far over a moment ago: it waited (the writer cannot write 500 files
     * between the two calls). */
    CU_ASSERT(n0 <= PFZ__CWRITER_MAX_JOBS + 500 || waited);
    CU_ASSERT_EQUAL(pfz__cwriter_wait_room(w, 30000000u), 0); /* under: no wait */
    pfz__cwriter_get_stats(w, &ws);
    CU_ASSERT_EQUAL(ws.waits, (apr_uint64_t)waited);
    CU_ASSERT_EQUAL(pfz__cwriter_close(w, 30000000u), 0);
    CU_ASSERT_EQUAL(pfz__cwriter_pending(w), 0);
    pfz__cwriter_get_stats(w, &ws);
    CU_ASSERT_EQUAL(ws.written, PFZ__CWRITER_MAX_JOBS + 2000);
    for (i = 0, all = 1; i < PFZ__CWRITER_MAX_JOBS + 2000; i += 97) {
        apr_snprintf(name, sizeof name, "p%05d", i);
        all &= file_is(apr_pstrcat(pool, dir, "/", name, NULL), name, pool);
    }
    CU_ASSERT(all);

    /* A directory that cannot be written: every job fails, counted (and
     * warned about), none is left queued; a put after the close says why. */
    bad = apr_pstrcat(pool, dir, "/no/such/dir", NULL);
    CU_ASSERT_EQUAL_FATAL(pfz__cwriter_start(&w, bad, pool), APR_SUCCESS);
    for (i = 0; i < 12; i++) {
        apr_snprintf(name, sizeof name, "f%d", i);
        CU_ASSERT_EQUAL(pfz__cwriter_put(w, name, "x", 1, 1, NULL), APR_SUCCESS);
    }
    CU_ASSERT_EQUAL(pfz__cwriter_close(w, 30000000u), 0);
    pfz__cwriter_get_stats(w, &ws);
    CU_ASSERT(ws.failed == 12 && ws.written == 0);
    CU_ASSERT(pfz__cwriter_put(w, "g", "x", 1, 0, NULL) != APR_SUCCESS);

    /* Through the corpus: an offer and a REDUCE of it, written by the thread. */
    CU_ASSERT_EQUAL_FATAL(pfz__corpus_create(&c, dir, pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pfz__cwriter_start(&w, dir, pool), APR_SUCCESS);
    c->writer = w;
    CU_ASSERT(pfz__corpus_offer(c, (const uint8_t *)"xxxx", 4, fx, 2, 0, &st) && st == APR_SUCCESS);
    CU_ASSERT(pfz__corpus_offer(c, (const uint8_t *)"zz", 2, fz, 1, 0, &st) && st == APR_SUCCESS);
    CU_ASSERT(pfz__corpus_replace(c, 0, (const uint8_t *)"xs", 2, &st) && st == APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__cwriter_close(w, 30000000u), 0);
    pfz__sha1_hex("xxxx", 4, hx);
    pfz__sha1_hex("xs", 2, hs);
    CU_ASSERT(apr_stat(&fi, apr_pstrcat(pool, dir, "/", hx, NULL), APR_FINFO_TYPE, pool) != APR_SUCCESS);
    CU_ASSERT(file_is(apr_pstrcat(pool, dir, "/", hs, NULL), "xs", pool));
    pfz__sha1_hex("zz", 2, hx);
    CU_ASSERT(file_is(apr_pstrcat(pool, dir, "/", hx, NULL), "zz", pool));
    pfz__corpus_destroy(c);
    apr_pool_destroy(pool);
}

void pfz_test_register_misc(void)
{
    CU_pSuite s = pfz_test_suite("misc");

    PFZ_TEST_ADD(s, test_clock);
    PFZ_TEST_ADD(s, test_self_exe);
    PFZ_TEST_ADD(s, test_cpu_count);
    PFZ_TEST_ADD(s, test_temp_dir);
    PFZ_TEST_ADD(s, test_interrupt);
    PFZ_TEST_ADD(s, test_rawline);
    PFZ_TEST_ADD(s, test_progress);
    PFZ_TEST_ADD(s, test_feature_cache_file);
    PFZ_TEST_ADD(s, test_dir_stamps);
    PFZ_TEST_ADD(s, test_corpus_no_rewrite);
    PFZ_TEST_ADD(s, test_cwriter);
}
