/* outcap.c -- capture of a worker's output into a bounded in-memory tail
 * (outcap.h).
 *
 * Locks: read_mu is held by whoever reads the pipe, for the read *and* the
 * append of what it read, so bytes enter the ring in the order they left the
 * pipe; mu protects the ring and the flags. Order: read_mu, then mu. The pump
 * holds read_mu for at most one timed read (PUMP_TIMEOUT) and steps aside
 * while another thread waits for it (`waiting`), so snapshot and reset never
 * wait long behind it, even while the target floods.
 *
 * Pools: APR pools are not thread-safe. The capture allocates only from its
 * own subpool, at creation, in the creating thread; the pump thread never
 * allocates from a pool (its buffer is malloc'd), and snapshot copies into the
 * caller's pool, which belongs to the caller's thread.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "outcap.h"
#include "platform.h"

/* One timed read of the pump: how long destroy, snapshot and reset wait for
 * it at most, and how often an idle pump wakes up. */
#define PUMP_TIMEOUT (50 * 1000)
/* Bytes per read. */
#define PUMP_CHUNK (64u << 10)
/* A drain (snapshot, reset) stops after this many rings' worth of bytes: what
 * is already in the pipe is far less (a pipe buffer), so more means a writer
 * that does not stop, which must not hold the caller. */
#define DRAIN_RINGS 4

struct pfz__outcap {
    /* Set by create, constant until destroy. */
    apr_pool_t *pool;          /* own subpool: the pipe ends and the pump thread */
    apr_file_t *rd;            /* our end; used only under read_mu */
    apr_file_t *wr;            /* the worker's, by way of pfz__spawn_t.output */
    apr_thread_t *pump;
    apr_thread_mutex_t *read_mu;
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *cv;     /* (mu) signalled when `waiting` drops or `stop` is set */
    size_t cap;                /* ring size */

    char *buf;                 /* (read_mu) PUMP_CHUNK bytes (malloc) */
    char *ring;                /* (mu) cap bytes (malloc) */
    size_t head;               /* (mu) where the next byte goes */
    size_t len;                /* (mu) valid bytes, <= cap, ending just before head */
    apr_uint64_t total;        /* (mu) bytes since the last reset */
    int waiting;               /* (mu) threads that want read_mu: the pump lets them in */
    int stop;                  /* (mu) destroy asked the pump to end */
    int destroyed;             /* destroy ran (only destroy touches it) */
};

/* (mu held) Appends n bytes, keeping the last cap. */
static void ring_put(pfz__outcap_t *oc, const char *d, size_t n)
{
    size_t first;

    oc->total += n;
    if (n >= oc->cap) {
        memcpy(oc->ring, d + (n - oc->cap), oc->cap);
        oc->head = 0;
        oc->len = oc->cap;
        return;
    }
    first = PFZ_MIN(n, oc->cap - oc->head);
    memcpy(oc->ring + oc->head, d, first);
    memcpy(oc->ring, d + first, n - first);
    oc->head = (oc->head + n) % oc->cap;
    oc->len = PFZ_MIN(oc->len + n, oc->cap);
}

/* (read_mu held) One read of the pipe into the ring. */
static apr_status_t read_once(pfz__outcap_t *oc)
{
    apr_size_t n = PUMP_CHUNK;
    apr_status_t st = apr_file_read(oc->rd, oc->buf, &n);

    if (n > 0) {
        apr_thread_mutex_lock(oc->mu);
        ring_put(oc, oc->buf, n);
        apr_thread_mutex_unlock(oc->mu);
    }
    return n > 0 ? APR_SUCCESS : st;
}

/* Takes read_mu ahead of the pump, then reads what the pipe holds now
 * (non-blocking, bounded). Returns with read_mu held and `waiting` still
 * counted; give both back with unlock_reader. */
static void lock_and_drain(pfz__outcap_t *oc)
{
    apr_uint64_t before, limit = (apr_uint64_t)oc->cap * DRAIN_RINGS;

    apr_thread_mutex_lock(oc->mu);
    oc->waiting++;
    apr_thread_mutex_unlock(oc->mu);
    apr_thread_mutex_lock(oc->read_mu);
    apr_thread_mutex_lock(oc->mu);
    before = oc->total;
    apr_thread_mutex_unlock(oc->mu);
    apr_file_pipe_timeout_set(oc->rd, 0);
    for (;;) {
        apr_uint64_t got;
        if (read_once(oc) != APR_SUCCESS)
            break; /* empty now (EAGAIN), or closed */
        apr_thread_mutex_lock(oc->mu);
        got = oc->total - before;
        apr_thread_mutex_unlock(oc->mu);
        if (got >= limit)
            break; /* a writer that does not stop: what we have is the tail so far */
    }
    apr_file_pipe_timeout_set(oc->rd, PUMP_TIMEOUT);
}

static void unlock_reader(pfz__outcap_t *oc)
{
    apr_thread_mutex_lock(oc->mu);
    oc->waiting--;
    apr_thread_cond_broadcast(oc->cv);
    apr_thread_mutex_unlock(oc->mu);
    apr_thread_mutex_unlock(oc->read_mu);
}

static void *APR_THREAD_FUNC pump_main(apr_thread_t *t, void *arg)
{
    pfz__outcap_t *oc = arg;
    apr_status_t st;
    int stop;

    for (;;) {
        apr_thread_mutex_lock(oc->mu);
        while (oc->waiting > 0 && !oc->stop)
            apr_thread_cond_wait(oc->cv, oc->mu);
        stop = oc->stop;
        apr_thread_mutex_unlock(oc->mu);
        if (stop)
            break;
        apr_thread_mutex_lock(oc->read_mu);
        st = read_once(oc);
        apr_thread_mutex_unlock(oc->read_mu);
        /* Nothing within the timeout is the normal idle case. Anything else
         * (EOF cannot happen while we hold the write end; an error can) must
         * not become a busy loop. */
        if (st != APR_SUCCESS && !APR_STATUS_IS_TIMEUP(st) && !APR_STATUS_IS_EAGAIN(st))
            apr_sleep(PUMP_TIMEOUT);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static apr_status_t outcap_cleanup(void *data)
{
    pfz__outcap_destroy(data);
    return APR_SUCCESS;
}

apr_status_t pfz__outcap_create(pfz__outcap_t **out, size_t ring_size, apr_pool_t *pool)
{
    pfz__outcap_t *oc;
    apr_status_t st;

    *out = NULL;
    oc = apr_pcalloc(pool, sizeof *oc);
    oc->cap = ring_size ? ring_size : PFZ__OUTCAP_RING;
    if ((st = apr_pool_create(&oc->pool, pool)) != APR_SUCCESS)
        return st;
    oc->ring = malloc(oc->cap);
    oc->buf = malloc(PUMP_CHUNK);
    if (oc->ring == NULL || oc->buf == NULL) {
        st = APR_ENOMEM;
        goto done;
    }
    if ((st = apr_thread_mutex_create(&oc->read_mu, APR_THREAD_MUTEX_DEFAULT, oc->pool)) !=
            APR_SUCCESS ||
        (st = apr_thread_mutex_create(&oc->mu, APR_THREAD_MUTEX_DEFAULT, oc->pool)) != APR_SUCCESS ||
        (st = apr_thread_cond_create(&oc->cv, oc->pool)) != APR_SUCCESS ||
        (st = pfz__output_pipe_create(&oc->rd, &oc->wr, oc->pool)) != APR_SUCCESS ||
        (st = apr_file_pipe_timeout_set(oc->rd, PUMP_TIMEOUT)) != APR_SUCCESS ||
        (st = apr_thread_create(&oc->pump, NULL, pump_main, oc, oc->pool)) != APR_SUCCESS)
        goto done;
    /* A pre-cleanup: it must run while the subpool (pipe, thread) still exists. */
    apr_pool_pre_cleanup_register(pool, oc, outcap_cleanup);
    *out = oc;
done:
    if (st != APR_SUCCESS) {
        apr_pool_destroy(oc->pool);
        free(oc->ring);
        free(oc->buf);
    }
    return st;
}

apr_file_t *pfz__outcap_write_end(pfz__outcap_t *oc)
{
    return oc != NULL ? oc->wr : NULL;
}

void pfz__outcap_reset(pfz__outcap_t *oc)
{
    if (oc == NULL)
        return;
    lock_and_drain(oc);
    apr_thread_mutex_lock(oc->mu);
    oc->head = oc->len = 0;
    oc->total = 0;
    apr_thread_mutex_unlock(oc->mu);
    unlock_reader(oc);
}

void pfz__outcap_snapshot(pfz__outcap_t *oc, char **text, size_t *len, apr_uint64_t *dropped,
                          apr_pool_t *pool)
{
    char *copy;
    size_t start, first;

    *text = "";
    *len = 0;
    if (dropped != NULL)
        *dropped = 0;
    if (oc == NULL)
        return;
    lock_and_drain(oc);
    apr_thread_mutex_lock(oc->mu);
    copy = apr_palloc(pool, oc->len + 1);
    start = (oc->head + oc->cap - oc->len) % oc->cap;
    first = PFZ_MIN(oc->len, oc->cap - start);
    memcpy(copy, oc->ring + start, first);
    memcpy(copy + first, oc->ring, oc->len - first);
    copy[oc->len] = '\0';
    *text = copy;
    *len = oc->len;
    if (dropped != NULL)
        *dropped = oc->total - oc->len;
    apr_thread_mutex_unlock(oc->mu);
    unlock_reader(oc);
}

void pfz__outcap_destroy(pfz__outcap_t *oc)
{
    apr_status_t rv;

    if (oc == NULL || oc->destroyed)
        return;
    oc->destroyed = 1;
    apr_thread_mutex_lock(oc->mu);
    oc->stop = 1;
    apr_thread_cond_broadcast(oc->cv);
    apr_thread_mutex_unlock(oc->mu);
    /* At most one timed read away, whoever holds the write end. */
    apr_thread_join(&rv, oc->pump);
    apr_pool_destroy(oc->pool); /* closes both ends */
    free(oc->ring);
    free(oc->buf);
    oc->ring = oc->buf = NULL;
}
