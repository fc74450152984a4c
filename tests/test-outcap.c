/* test-outcap.c -- the capture of worker output (outcap.c): the ring keeps the
 * last bytes, snapshots are consistent while a writer runs, reset empties it,
 * snapshot and destroy stay bounded while a child floods the pipe; and the
 * artifact fallback (artifact.c) when the requested place cannot be written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_env.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "tests.h"
#include "artifact.h"
#include "outcap.h"
#include "platform.h"
#include "sha1.h"

static void write_all(pfz__outcap_t *oc, const char *data, size_t len)
{
    apr_size_t done = 0;

    CU_ASSERT_EQUAL(apr_file_write_full(pfz__outcap_write_end(oc), data, len, &done), APR_SUCCESS);
    CU_ASSERT_EQUAL(done, len);
}

/* The ring keeps exactly the last bytes, across wrap-around and for writes
 * smaller than, equal to and larger than the ring; `dropped` counts the rest. */
static void test_ring_wraps(void)
{
    enum { RING = 100 };
    apr_pool_t *pool;
    pfz__outcap_t *oc;
    char stream[1000], *text;
    size_t len, i, written = 0;
    apr_uint64_t dropped;
    static const size_t pieces[] = {1, 37, 99, 100, 1, 250, 3, 7, 100, 2};

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(pfz__outcap_create(&oc, RING, pool) == APR_SUCCESS);
    for (i = 0; i < sizeof stream; i++)
        stream[i] = (char)('!' + (i * 7 + i / 94) % 94);
    pfz__outcap_snapshot(oc, &text, &len, &dropped, pool);
    CU_ASSERT(len == 0 && dropped == 0 && text[0] == '\0');
    for (i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        size_t keep;
        write_all(oc, stream + written, pieces[i]);
        written += pieces[i];
        keep = written < RING ? written : RING;
        pfz__outcap_snapshot(oc, &text, &len, &dropped, pool);
        CU_ASSERT_EQUAL(len, keep);
        CU_ASSERT_EQUAL(dropped, written - keep);
        CU_ASSERT(memcmp(text, stream + written - keep, keep) == 0);
        CU_ASSERT(text[len] == '\0');
    }
    pfz__outcap_destroy(oc);
    pfz__outcap_destroy(oc); /* idempotent */
    apr_pool_destroy(pool);  /* and the pool's cleanup after it is harmless */
}

/* reset empties the ring and drops what is still in the pipe. */
static void test_reset(void)
{
    apr_pool_t *pool;
    pfz__outcap_t *oc;
    char *text;
    size_t len;
    apr_uint64_t dropped;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(pfz__outcap_create(&oc, 64, pool) == APR_SUCCESS);
    write_all(oc, "the previous process said this, and a lot more than the ring holds...", 70);
    pfz__outcap_reset(oc);
    pfz__outcap_snapshot(oc, &text, &len, &dropped, pool);
    CU_ASSERT(len == 0 && dropped == 0);
    write_all(oc, "new process", 11);
    pfz__outcap_snapshot(oc, &text, &len, &dropped, pool);
    CU_ASSERT_STRING_EQUAL(text, "new process");
    CU_ASSERT(len == 11 && dropped == 0);
    /* Destroying the pool alone stops the capture too. */
    apr_pool_destroy(pool);
}

typedef struct writer {
    pfz__outcap_t *oc;
    volatile apr_uint32_t stop; /* apr_atomic: read by the writer thread */
    unsigned lines;
} writer_t;

/* Writes numbered lines ("%08u\n"), many per write, until told to stop. */
static void *APR_THREAD_FUNC writer_main(apr_thread_t *t, void *arg)
{
    writer_t *w = arg;
    char buf[9 * 50 + 1];
    apr_size_t done;
    int k;

    while (!apr_atomic_read32(&w->stop)) {
        for (k = 0; k < 50; k++)
            snprintf(buf + 9 * k, 10, "%08u\n", w->lines++);
        if (apr_file_write_full(pfz__outcap_write_end(w->oc), buf, 9 * 50, &done) != APR_SUCCESS)
            break;
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* Every snapshot taken while a writer runs is a contiguous piece of what it
 * wrote (in order, nothing lost or doubled inside it), and later snapshots
 * never go back in time. */
static void test_snapshot_while_writing(void)
{
    apr_pool_t *pool, *sp;
    pfz__outcap_t *oc;
    apr_thread_t *t;
    apr_status_t rv;
    writer_t w;
    long last_seen = -1;
    int i, bad = 0;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(pfz__outcap_create(&oc, 4096, pool) == APR_SUCCESS);
    memset(&w, 0, sizeof w);
    w.oc = oc;
    CU_ASSERT_FATAL(apr_thread_create(&t, NULL, writer_main, &w, pool) == APR_SUCCESS);
    for (i = 0; i < 300 && !bad; i++) {
        char *text, *p, *nl;
        size_t len;
        long prev = -1, first = -1;
        apr_pool_create(&sp, pool);
        pfz__outcap_snapshot(oc, &text, &len, NULL, sp);
        if (len > 4096)
            bad = 1;
        /* Skip the partial first line; check the whole ones. */
        p = memchr(text, '\n', len);
        for (p = p != NULL ? p + 1 : text + len; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
            long v = nl - p == 8 ? strtol(p, NULL, 10) : -2;
            if (v < 0 || (prev >= 0 && v != prev + 1)) {
                fprintf(stderr, "\n  snapshot %d: line %ld after %ld\n", i, v, prev);
                bad = 1;
                break;
            }
            if (first < 0)
                first = v;
            prev = v;
        }
        if (prev >= 0 && prev < last_seen) {
            fprintf(stderr, "\n  snapshot %d ends at %ld, an earlier one at %ld\n", i, prev, last_seen);
            bad = 1;
        }
        if (prev >= 0)
            last_seen = prev;
        apr_pool_destroy(sp);
        apr_sleep(1000);
    }
    apr_atomic_set32(&w.stop, 1);
    apr_thread_join(&rv, t);
    CU_ASSERT(!bad);
    CU_ASSERT(last_seen > 0);
    pfz__outcap_destroy(oc);
    apr_pool_destroy(pool);
}

/* Child mode "outcap": floods its stdout until the pipe breaks. */
int pfz_test_child_outcap(void)
{
    static char line[4096];

    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (;;)
        if (fwrite(line, 1, sizeof line, stdout) != sizeof line)
            return 0;
}

/* A child that never stops writing (it could as well be a grandchild that
 * inherited the pipe): snapshot still returns promptly with at most a ring,
 * and destroy stops the pump within a second. */
static void test_bounded_under_flood(void)
{
    apr_pool_t *pool;
    pfz__outcap_t *oc;
    pfz__shm_t *shm;
    pfz__proc_t *proc;
    apr_file_t *calls, *replies;
    pfz__spawn_t sp;
    const char *argv[] = {pfz_test_self, NULL};
    const char *env[] = {"PFZ_TEST_CHILD=outcap", NULL};
    apr_uint64_t t0, dropped = 0;
    char *text;
    size_t len;
    int i;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(pfz__outcap_create(&oc, 64u << 10, pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(pfz__shm_create(&shm, 4096, pool) == APR_SUCCESS);
    memset(&sp, 0, sizeof sp);
    sp.exe = pfz_test_self;
    sp.argv = argv;
    sp.env_extra = env;
    sp.shm = shm;
    sp.output = pfz__outcap_write_end(oc);
    CU_ASSERT_FATAL(pfz__proc_spawn_worker(&proc, &calls, &replies, &sp, pool) == APR_SUCCESS);
    /* Until the tail is full and some output was dropped (a fixed pause was
     * too short under Wine on a loaded machine); bounded: 20 s. */
    for (i = 0; i < 200; i++) {
        apr_sleep(100000);
        pfz__outcap_snapshot(oc, &text, &len, &dropped, pool);
        if (len == (64u << 10) && dropped > 0)
            break;
    }
    for (i = 0; i < 5; i++) {
        t0 = pfz__now_us();
        pfz__outcap_snapshot(oc, &text, &len, &dropped, pool);
        CU_ASSERT(pfz__now_us() - t0 < 1000000u);
        CU_ASSERT(len == (64u << 10) && memchr(text, 'x', len) != NULL);
    }
    CU_ASSERT(dropped > 0);
    t0 = pfz__now_us();
    pfz__outcap_destroy(oc);
    CU_ASSERT(pfz__now_us() - t0 < 1000000u);
    if (pfz__now_us() - t0 >= 1000000u)
        fprintf(stderr, "\n  destroy took %.2f s\n", (double)(pfz__now_us() - t0) / 1e6);
    pfz__proc_destroy(proc);
    apr_file_close(calls);
    apr_file_close(replies);
    pfz__shm_close(shm);
    apr_pool_destroy(pool);
}

/* ------------------------------------------------------------ artifacts */

static const char *scratch_dir(const char *name)
{
    const char *dir = apr_psprintf(pfz_test_pool, "%s/tests/outcap-scratch/%s-%" APR_TIME_T_FMT,
                                   PFZ_BUILDDIR, name, apr_time_now());
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    return dir;
}

/* path ends with tail: the current directory may spell itself differently
 * from the path the test built (a drive letter under Wine). */
static int ends_with(const char *path, const char *tail)
{
    size_t n = path != NULL ? strlen(path) : 0, k = strlen(tail);

    return n >= k && strcmp(path + n - k, tail) == 0;
}

static int file_is(const char *path, const char *content)
{
    uint8_t *d;
    size_t n;
    int same;

    if (pfz__read_file(path, &d, &n, 1024, pfz_test_pool) != APR_SUCCESS)
        return 0;
    same = n == strlen(content) && memcmp(d, content, n) == 0;
    free(d);
    return same;
}

/* A missing artifact directory is created; one that cannot be (a path under
 * a regular file) makes the artifact fall back to the current directory,
 * then to the temp directory; only when nothing can be written is it an
 * error. Root ignores permission bits, so "unwritable" is a path under a file
 * and a deleted current directory. */
static void test_artifact_fallback(void)
{
    const char *dir = scratch_dir("fallback"), *out = NULL, *want;
    const char *file = apr_pstrcat(pfz_test_pool, dir, "/a-file", NULL);
    const char *bad = apr_pstrcat(pfz_test_pool, file, "/", NULL);
    char *cwd = NULL, hex[41];
    apr_status_t st;

    pfz__sha1_hex("boom", 4, hex);
    CU_ASSERT_EQUAL_FATAL(pfz__write_atomic(file, "x", 1, pfz_test_pool), APR_SUCCESS);
    /* Missing directories are made. */
    st = pfz__artifact_save(&out, apr_pstrcat(pfz_test_pool, dir, "/new/sub/", NULL), NULL, "crash",
                            "boom", 4, pfz_test_pool);
    want = apr_pstrcat(pfz_test_pool, dir, "/new/sub/crash-", hex, NULL);
    CU_ASSERT(st == APR_SUCCESS && out != NULL && strcmp(out, want) == 0 && file_is(want, "boom"));

    /* Under a regular file: to the current directory. */
    CU_ASSERT_FATAL(apr_filepath_get(&cwd, 0, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(apr_filepath_set(dir, pfz_test_pool) == APR_SUCCESS);
    st = pfz__artifact_save(&out, bad, NULL, "crash", "boom", 4, pfz_test_pool);
    want = apr_pstrcat(pfz_test_pool, dir, "/crash-", hex, NULL);
    CU_ASSERT(st == APR_SUCCESS && out != NULL && ends_with(out, want + strlen(dir)) &&
              file_is(want, "boom"));
    st = pfz__artifact_save(&out, NULL, apr_pstrcat(pfz_test_pool, bad, "exact", NULL), "crash",
                            "boom", 4, pfz_test_pool);
    want = apr_pstrcat(pfz_test_pool, dir, "/exact", NULL);
    CU_ASSERT(st == APR_SUCCESS && out != NULL && ends_with(out, "/exact") && file_is(want, "boom"));
#ifndef _WIN32
    {
        /* The current directory is gone (and TMPDIR is broken too): nowhere
         * to write, so an error, with *out cleared. */
        const char *gone = apr_pstrcat(pfz_test_pool, dir, "/gone", NULL);
        const char *old_tmp = getenv("TMPDIR");
        char *saved = old_tmp != NULL ? apr_pstrdup(pfz_test_pool, old_tmp) : NULL;
        CU_ASSERT_FATAL(apr_dir_make(gone, APR_FPROT_OS_DEFAULT, pfz_test_pool) == APR_SUCCESS);
        CU_ASSERT_FATAL(apr_filepath_set(gone, pfz_test_pool) == APR_SUCCESS);
        CU_ASSERT_FATAL(apr_dir_remove(gone, pfz_test_pool) == APR_SUCCESS);
        apr_env_set("TMPDIR", bad, pfz_test_pool);
        out = "unchanged";
        st = pfz__artifact_save(&out, bad, NULL, "crash", "boom", 4, pfz_test_pool);
        CU_ASSERT(st != APR_SUCCESS && out == NULL);
        /* With the temp directory back, that is where it goes. */
        if (saved != NULL)
            apr_env_set("TMPDIR", saved, pfz_test_pool);
        else
            apr_env_delete("TMPDIR", pfz_test_pool);
        st = pfz__artifact_save(&out, bad, NULL, "crash", "boom", 4, pfz_test_pool);
        want = apr_pstrcat(pfz_test_pool, pfz__temp_dir(pfz_test_pool), "/crash-", hex, NULL);
        CU_ASSERT(st == APR_SUCCESS && out != NULL && strcmp(out, want) == 0 && file_is(want, "boom"));
        apr_file_remove(want, pfz_test_pool);
    }
#endif
    CU_ASSERT(apr_filepath_set(cwd, pfz_test_pool) == APR_SUCCESS);
}

void pfz_test_register_outcap(void)
{
    CU_pSuite s = pfz_test_suite("outcap");
    PFZ_TEST_ADD(s, test_ring_wraps);
    PFZ_TEST_ADD(s, test_reset);
    PFZ_TEST_ADD(s, test_snapshot_while_writing);
    PFZ_TEST_ADD(s, test_bounded_under_flood);
    PFZ_TEST_ADD(s, test_artifact_fallback);
}
