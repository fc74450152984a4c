/* worker.c -- start, restart, kill and clean up a worker process (worker.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "worker.h"
#include "wire.h"

apr_status_t pfz__worker_create(pfz__worker_t **out, const pfz__worker_cfg_t *cfg, apr_pool_t *pool)
{
    pfz__worker_t *w;
    pfz__shm_t *shm = NULL;
    pfz__shm_hdr_t *hdr;
    apr_status_t st;

    w = apr_pcalloc(pool, sizeof *w);
    w->cfg = *cfg;
    /* A pool of the worker's own: its client thread allocates from it on
     * every restart, and APR pools are not thread-safe, so it must not be the
     * caller's (the coordinator's pool is shared by every client thread). */
    if ((st = apr_pool_create(&w->pool, NULL)) != APR_SUCCESS)
        return st;
    if ((st = apr_thread_mutex_create(&w->call_mu, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS ||
        (st = apr_thread_mutex_create(&w->proc_mu, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS)
        return st;
    if ((st = pfz__shm_create(&shm, PFZ__SHM_VALUE_OFFSET + 4096, pool)) != APR_SUCCESS)
        return st;
    hdr = pfz__shm_base(shm);
    memset(hdr, 0, sizeof *hdr);
    hdr->magic = PFZ__SHM_MAGIC;
    hdr->version = PFZ__SHM_VERSION;
    if ((st = pfz__guard_init(&w->guard, shm, pool)) != APR_SUCCESS) {
        pfz__shm_close(shm);
        return st;
    }
    /* Size the region for max_len now, so that the common case never re-maps. */
    if ((st = pfz__guard_lock(&w->guard, &hdr)) == APR_SUCCESS) {
        st = pfz__guard_reserve(&w->guard, &hdr, cfg->value_capacity, 4096);
        pfz__guard_unlock(&w->guard);
    }
    if (st != APR_SUCCESS) {
        pfz__guard_close(&w->guard);
        return st;
    }
    *out = w;
    return APR_SUCCESS;
}

int pfz__worker_id(const pfz__worker_t *w)
{
    return w->cfg.id;
}

pfz__outcap_t *pfz__worker_output(const pfz__worker_t *w)
{
    return w->cfg.output;
}

apr_status_t pfz__worker_start(pfz__worker_t *w)
{
    pfz__spawn_t sp;
    pfz__shm_hdr_t *hdr;
    pfz__proc_t *proc = NULL;
    apr_file_t *calls = NULL, *replies = NULL;
    apr_pool_t *pp = NULL;
    apr_status_t st;

    apr_thread_mutex_lock(w->call_mu);
    apr_thread_mutex_lock(w->proc_mu);
    st = w->cleaned ? PFZ_ESHMCLOSED : APR_SUCCESS;
    apr_thread_mutex_unlock(w->proc_mu);
    if (st != APR_SUCCESS || w->calls != NULL) /* cleaned up, or already running */
        goto done;
    /* After a crash the capture must hold only the crashing process's output.
     * Done here, before any lock but call_mu: it may wait a moment for the pump. */
    pfz__outcap_reset(w->cfg.output);
    /* The guard keeps the region's file open while we spawn on it; proc_mu makes
     * "not cleaned up yet" and "process recorded" one step, so a cleanup either
     * happens before (we do not spawn) or after (it kills what we spawned). */
    if ((st = pfz__guard_lock(&w->guard, &hdr)) != APR_SUCCESS)
        goto done;
    /* The last process may have scribbled over the header: the new one
     * checks it first thing. */
    pfz__guard_publish(&w->guard, hdr);
    apr_thread_mutex_lock(w->proc_mu);
    if (w->cleaned) {
        st = PFZ_ESHMCLOSED;
    } else {
        if ((st = apr_pool_create(&pp, w->pool)) == APR_SUCCESS) {
            memset(&sp, 0, sizeof sp);
            sp.exe = w->cfg.exe;
            sp.argv = w->cfg.argv;
            sp.env_extra = w->cfg.env_extra;
            sp.shm = pfz__guard_shm(&w->guard);
            sp.output = pfz__outcap_write_end(w->cfg.output);
            /* Each slice of I/O without progress asks whether the process
             * still lives (worker_client.c), so no call can block for ever
             * on a pipe that a descendant holds open. */
            sp.io_slice_us = PFZ__IO_SLICE_US;
            st = pfz__proc_spawn_worker(&proc, &calls, &replies, &sp, pp);
            w->start_failed_call = st != APR_SUCCESS ? sp.failed_call : NULL;
        }
        if (st == APR_SUCCESS) {
            w->proc = proc;
            w->kill_reason = PFZ__KILL_NONE;
        }
    }
    apr_thread_mutex_unlock(w->proc_mu);
    pfz__guard_unlock(&w->guard);
    if (st == APR_SUCCESS) {
        w->calls = calls;
        w->replies = replies;
        w->proc_pool = pp;
    } else if (pp != NULL) {
        apr_pool_destroy(pp);
    }
done:
    apr_thread_mutex_unlock(w->call_mu);
    return st;
}

const char *pfz__worker_start_error(pfz__worker_t *w, apr_status_t st, char *buf, apr_size_t len)
{
    char msg[256];

    pfz__strerror(st, msg, sizeof msg);
    if (w->start_failed_call != NULL)
        apr_snprintf(buf, len, "%s failed: %s", w->start_failed_call, msg);
    else
        apr_cpystrn(buf, msg, len);
    return buf;
}

/* With call_mu held: closes our pipe ends and releases the process. */
static void release_process(pfz__worker_t *w, pfz__exit_t *how, pfz__kill_reason_e *reason)
{
    pfz__proc_t *proc;
    pfz__exit_t ended;

    if (w->calls != NULL)
        apr_file_close(w->calls);
    if (w->replies != NULL)
        apr_file_close(w->replies);
    w->calls = w->replies = NULL;

    apr_thread_mutex_lock(w->proc_mu);
    proc = w->proc;
    w->proc = NULL;
    if (reason != NULL)
        *reason = w->kill_reason;
    w->kill_reason = PFZ__KILL_NONE;
    apr_thread_mutex_unlock(w->proc_mu);

    memset(&ended, 0, sizeof ended);
    if (proc != NULL) {
        /* Its reply pipe closed: the process is ending. Give it a moment to
         * finish (a sanitizer may still be writing its report), then kill. */
        if (pfz__proc_wait(proc, 5 * APR_USEC_PER_SEC, &ended) == APR_TIMEUP) {
            pfz__proc_kill(proc);
            pfz__proc_wait(proc, -1, &ended);
        }
        ended.pid = pfz__proc_pid(proc);
        pfz__proc_destroy(proc);
    }
    if (how != NULL)
        *how = ended;
    if (w->proc_pool != NULL) {
        apr_pool_destroy(w->proc_pool);
        w->proc_pool = NULL;
    }
}

apr_status_t pfz__worker_reap(pfz__worker_t *w, pfz__exit_t *how, pfz__kill_reason_e *reason)
{
    apr_thread_mutex_lock(w->call_mu);
    release_process(w, how, reason);
    apr_thread_mutex_unlock(w->call_mu);
    return APR_SUCCESS;
}

void pfz__worker_kill(pfz__worker_t *w, pfz__kill_reason_e reason)
{
    apr_thread_mutex_lock(w->proc_mu);
    if (w->proc != NULL) {
        if (w->kill_reason == PFZ__KILL_NONE)
            w->kill_reason = reason;
        pfz__proc_kill(w->proc);
    }
    apr_thread_mutex_unlock(w->proc_mu);
}

apr_uint64_t pfz__worker_rss(pfz__worker_t *w)
{
    apr_uint64_t rss = 0;

    apr_thread_mutex_lock(w->proc_mu);
    if (w->proc != NULL && pfz__proc_rss(w->proc, &rss) != APR_SUCCESS)
        rss = 0;
    apr_thread_mutex_unlock(w->proc_mu);
    return rss;
}

apr_status_t pfz__worker_heartbeat(pfz__worker_t *w, uint64_t *seq)
{
    pfz__shm_hdr_t *hdr;
    apr_status_t st = pfz__guard_lock(&w->guard, &hdr);

    if (st == APR_SUCCESS) {
        *seq = hdr->exec_seq;
        pfz__guard_unlock(&w->guard);
    }
    return st;
}

void pfz__worker_cleanup(pfz__worker_t *w)
{
    apr_thread_mutex_lock(w->proc_mu);
    w->cleaned = 1;
    if (w->proc != NULL) {
        if (w->kill_reason == PFZ__KILL_NONE)
            w->kill_reason = PFZ__KILL_CLEANUP;
        pfz__proc_kill(w->proc);
    }
    apr_thread_mutex_unlock(w->proc_mu);
    pfz__guard_close(&w->guard);
}

void pfz__worker_destroy(pfz__worker_t *w)
{
    pfz__worker_cleanup(w);
    apr_thread_mutex_lock(w->call_mu);
    release_process(w, NULL, NULL);
    pfz__rpc_buf_free(&w->buf);
    pfz__u32vec_free(&w->call.features);
    apr_thread_mutex_unlock(w->call_mu);
    if (w->pool != NULL) {
        apr_pool_destroy(w->pool);
        w->pool = NULL;
    }
}

int pfz__worker_call_overdue(pfz__worker_t *w, uint64_t now_us)
{
    int overdue;

    apr_thread_mutex_lock(w->proc_mu);
    overdue = w->proc != NULL && w->call_deadline_us != 0 && now_us > w->call_deadline_us;
    apr_thread_mutex_unlock(w->proc_mu);
    return overdue;
}

long pfz__worker_request_stack(pfz__worker_t *w, pfz__kill_reason_e reason)
{
    pfz__stack_reason_e why = reason == PFZ__KILL_OOM ? PFZ__STACK_OOM : PFZ__STACK_TIMEOUT;
    long pid = 0;

    apr_thread_mutex_lock(w->proc_mu);
    if (w->proc != NULL) {
        /* The reason is recorded now: if the worker dies during the grace
         * (the report itself crashes), it is still this finding. */
        if (w->kill_reason == PFZ__KILL_NONE)
            w->kill_reason = reason;
        if (pfz__proc_request_stack(w->proc, why) == APR_SUCCESS)
            pid = pfz__proc_pid(w->proc);
        else
            pfz__proc_kill(w->proc); /* no stack from this platform / process */
    }
    apr_thread_mutex_unlock(w->proc_mu);
    return pid;
}

void pfz__worker_kill_pid(pfz__worker_t *w, pfz__kill_reason_e reason, long pid)
{
    apr_thread_mutex_lock(w->proc_mu);
    if (w->proc != NULL && pfz__proc_pid(w->proc) == pid) {
        if (w->kill_reason == PFZ__KILL_NONE)
            w->kill_reason = reason;
        pfz__proc_kill(w->proc);
    }
    apr_thread_mutex_unlock(w->proc_mu);
}
