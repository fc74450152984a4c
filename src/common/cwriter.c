/* cwriter.c -- the corpus writer thread (see cwriter.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "artifact.h"
#include "cwriter.h"
#include "platform.h"

/* How many failed writes get a WARNING of their own (a full disk fails them
 * all); a count of the rest is printed at close. */
#define MAX_WARNINGS 10
/* Past these a put writes in the caller (see cwriter.h). */
#define HARD_JOBS (4 * PFZ__CWRITER_MAX_JOBS)
#define HARD_BYTES (4 * PFZ__CWRITER_MAX_BYTES)

/* (w->mu) More queued than a finder may add to without waiting. */
#define OVER(w) ((w)->njobs > PFZ__CWRITER_MAX_JOBS || (w)->nbytes > PFZ__CWRITER_MAX_BYTES)

typedef struct job {
    struct job *next;
    char *name;       /* malloc, with the job */
    char *old;        /* malloc, or NULL */
    uint8_t *data;    /* malloc, or NULL when size is 0 */
    size_t size;
    int keep_existing;
} job_t;

struct pfz__cwriter {
    const char *dir;
    apr_thread_t *thread;
    apr_pool_t *tpool;       /* the thread's own (cleared after each job) */
    apr_thread_mutex_t *mu;  /* guards every field below */
    apr_thread_cond_t *cv;   /* a job was queued, or stop was asked */
    apr_thread_cond_t *idle; /* a job was done */
    job_t *head, *tail;
    size_t njobs, nbytes;
    int busy;                /* the thread is doing a job (taken off the queue) */
    int stop, closed, joined;
    pfz__cwriter_stats_t stats;
};

static void job_free(job_t *j)
{
    free(j->name);
    free(j->old);
    free(j->data);
    free(j);
}

/* Does job j (without w->mu). Returns the status of the write. */
static apr_status_t do_job(pfz__cwriter_t *w, const char *dir, const job_t *j, apr_pool_t *p)
{
    const char *path = apr_pstrcat(p, dir, "/", j->name, NULL);
    apr_finfo_t fi;
    apr_status_t st = APR_SUCCESS;

    if (!j->keep_existing || apr_stat(&fi, path, APR_FINFO_SIZE | APR_FINFO_TYPE, p) != APR_SUCCESS ||
        fi.filetype != APR_REG || fi.size != (apr_off_t)j->size)
        st = pfz__write_atomic(path, j->data, j->size, p);
    /* The old file goes only once the new one is safely there. */
    if (st == APR_SUCCESS && j->old != NULL)
        (void)apr_file_remove(apr_pstrcat(p, dir, "/", j->old, NULL), p);
    if (st != APR_SUCCESS) {
        apr_uint64_t n;
        char msg[128];
        apr_thread_mutex_lock(w->mu);
        n = ++w->stats.failed;
        apr_thread_mutex_unlock(w->mu);
        if (n <= MAX_WARNINGS)
            pfz__log("WARNING: cannot write the corpus entry '%s': %s (it is kept in memory; "
                     "free space or fix the directory's permissions to have it on disk)%s",
                     path, pfz__strerror(st, msg, sizeof msg),
                     n == MAX_WARNINGS ? "; further failed corpus writes are counted, not shown" : "");
    } else {
        apr_thread_mutex_lock(w->mu);
        w->stats.written++;
        apr_thread_mutex_unlock(w->mu);
    }
    return st;
}

static void *APR_THREAD_FUNC writer_main(apr_thread_t *t, void *arg)
{
    pfz__cwriter_t *w = arg;
    job_t *j;

    apr_thread_mutex_lock(w->mu);
    for (;;) {
        if (w->head == NULL) {
            if (w->stop)
                break;
            /* Bounded: a missed wake-up costs at most this long. */
            apr_thread_cond_timedwait(w->cv, w->mu, 200000);
            continue;
        }
        j = w->head;
        w->head = j->next;
        if (w->head == NULL)
            w->tail = NULL;
        w->njobs--;
        w->nbytes -= j->size;
        w->busy = 1;
        apr_thread_mutex_unlock(w->mu);
        (void)do_job(w, w->dir, j, w->tpool);
        apr_pool_clear(w->tpool);
        job_free(j);
        apr_thread_mutex_lock(w->mu);
        w->busy = 0;
        apr_thread_cond_broadcast(w->idle);
    }
    apr_thread_mutex_unlock(w->mu);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

apr_status_t pfz__cwriter_start(pfz__cwriter_t **out, const char *dir, apr_pool_t *pool)
{
    pfz__cwriter_t *w = apr_pcalloc(pool, sizeof *w);
    apr_status_t st;

    *out = NULL;
    w->dir = dir;
    if ((st = apr_pool_create(&w->tpool, pool)) != APR_SUCCESS ||
        (st = apr_thread_mutex_create(&w->mu, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS ||
        (st = apr_thread_cond_create(&w->cv, pool)) != APR_SUCCESS ||
        (st = apr_thread_cond_create(&w->idle, pool)) != APR_SUCCESS ||
        (st = apr_thread_create(&w->thread, NULL, writer_main, w, pool)) != APR_SUCCESS)
        return st;
    *out = w;
    return APR_SUCCESS;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

apr_status_t pfz__cwriter_put(pfz__cwriter_t *w, const char *name, const void *data, size_t size,
                              int keep_existing, const char *old)
{
    job_t *j = calloc(1, sizeof *j);
    int queued = 0;

    if (j == NULL || (j->name = dup_str(name)) == NULL || (old != NULL && (j->old = dup_str(old)) == NULL) ||
        (size > 0 && (j->data = malloc(size)) == NULL)) {
        if (j != NULL)
            job_free(j);
        return APR_ENOMEM;
    }
    if (size > 0)
        memcpy(j->data, data, size);
    j->size = size;
    j->keep_existing = keep_existing;
    apr_thread_mutex_lock(w->mu);
    if (!w->closed && w->njobs < HARD_JOBS && (w->njobs == 0 || w->nbytes + size <= HARD_BYTES)) {
        if (w->tail != NULL)
            w->tail->next = j;
        else
            w->head = j;
        w->tail = j;
        w->njobs++;
        w->nbytes += size;
        if (w->njobs > w->stats.queued_max)
            w->stats.queued_max = w->njobs;
        apr_thread_cond_signal(w->cv);
        queued = 1;
    } else {
        w->stats.inline_++;
    }
    apr_thread_mutex_unlock(w->mu);
    if (!queued) {
        /* In the caller, in a pool of its own: the caller may hold its lock
         * (as before the writer existed). The queue may still hold jobs for
         * this name; names are content hashes, so the file is the same. */
        apr_pool_t *p;
        apr_status_t st;
        if ((st = apr_pool_create(&p, NULL)) == APR_SUCCESS) {
            st = do_job(w, w->dir, j, p);
            apr_pool_destroy(p);
        }
        job_free(j);
        return st;
    }
    return APR_SUCCESS;
}

int pfz__cwriter_wait_room(pfz__cwriter_t *w, uint64_t limit_us)
{
    uint64_t t0, now;
    int waited = 0;

    apr_thread_mutex_lock(w->mu);
    if (OVER(w) && !w->closed) {
        waited = 1;
        t0 = now = pfz__now_us();
        while (OVER(w) && !w->closed && now - t0 < limit_us) {
            apr_thread_cond_timedwait(w->idle, w->mu,
                                      (apr_interval_time_t)PFZ_MIN(limit_us - (now - t0), 100000));
            now = pfz__now_us();
        }
        w->stats.waits++;
        w->stats.wait_us += now - t0;
    }
    apr_thread_mutex_unlock(w->mu);
    return waited;
}

size_t pfz__cwriter_close(pfz__cwriter_t *w, uint64_t limit_us)
{
    uint64_t t0 = pfz__now_us();
    size_t left;
    apr_uint64_t failed;
    apr_status_t rv;
    int join;

    apr_thread_mutex_lock(w->mu);
    w->closed = w->stop = 1;
    apr_thread_cond_broadcast(w->cv);
    while ((w->head != NULL || w->busy) && !w->joined) {
        uint64_t now = pfz__now_us();
        if (now - t0 >= limit_us)
            break;
        apr_thread_cond_timedwait(w->idle, w->mu, (apr_interval_time_t)PFZ_MIN(limit_us - (now - t0), 100000));
    }
    left = w->njobs + (size_t)w->busy;
    failed = w->stats.failed;
    join = left == 0 && !w->joined;
    if (join)
        w->joined = 1;
    apr_thread_mutex_unlock(w->mu);
    if (join) {
        apr_thread_join(&rv, w->thread);
        if (failed > MAX_WARNINGS)
            pfz__log("WARNING: %" APR_UINT64_T_FMT " corpus entries could not be written into '%s' "
                     "(%d of them were shown above)", failed, w->dir, MAX_WARNINGS);
    } else if (left > 0) {
        pfz__log("WARNING: %zu corpus entr%s still not written into '%s' after %d s (the disk is slow "
                 "or hangs); exiting without waiting for %s",
                 left, left == 1 ? "y is" : "ies are", w->dir, (int)(limit_us / 1000000u),
                 left == 1 ? "it" : "them");
    }
    return left;
}

void pfz__cwriter_get_stats(pfz__cwriter_t *w, pfz__cwriter_stats_t *s)
{
    apr_thread_mutex_lock(w->mu);
    *s = w->stats;
    apr_thread_mutex_unlock(w->mu);
}

size_t pfz__cwriter_pending(pfz__cwriter_t *w)
{
    size_t n;

    apr_thread_mutex_lock(w->mu);
    n = w->njobs + (size_t)w->busy;
    apr_thread_mutex_unlock(w->mu);
    return n;
}
