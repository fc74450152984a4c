/* worker_client.c -- the lock-guarded worker client.
 *
 * A call: (1) with the guard held, write the value and the inbox into the
 * region; (2) with the guard released, send the call and wait for the reply --
 * so a cleanup is never blocked behind a worker that takes its time; (3) with
 * the guard held again, read the result out of the region. If the guard was
 * closed at (1) or (3), the call returns PFZ_ESHMCLOSED without touching the
 * region: the worker was cleaned up meanwhile, and that is an interruption,
 * never a finding. The region is only ever touched with the guard held.
 */
#include <stdlib.h>
#include <string.h>

#include "worker.h"
#include "wire.h"

void pfz__fuzz_result_free(pfz__fuzz_result_t *r)
{
    free(r->input);
    r->input = NULL;
    r->input_size = r->input_cap = 0;
    pfz__u32vec_free(&r->reply.features);
}

/* The value the worker left in the region. Its length is worker-written
 * data: never trusted beyond the capacity the coordinator gave it. */
static apr_status_t copy_value_out(pfz__worker_t *w, pfz__fuzz_result_t *res,
                                   const pfz__shm_hdr_t *hdr)
{
    uint64_t len = hdr->value_len, cap = pfz__guard_value_capacity(&w->guard);
    size_t n = (size_t)PFZ_MIN(len, cap);

    if (len > cap)
        res->flags |= PFZ__RESF_CORRUPT;
    if (n > res->input_cap) {
        uint8_t *p = realloc(res->input, n);
        if (p == NULL)
            return APR_ENOMEM;
        res->input = p;
        res->input_cap = n;
    }
    memcpy(res->input, PFZ__SHM_VALUE(hdr), n);
    res->input_size = n;
    return APR_SUCCESS;
}

/* After a death: records the heartbeat, then makes it even again so that the
 * next process of this worker starts "not running" (the watchdog would
 * otherwise see the dead execution as one that hangs). */
static void take_heartbeat(pfz__fuzz_result_t *res, pfz__shm_hdr_t *hdr)
{
    res->exec_seq = hdr->exec_seq;
    hdr->exec_seq = (res->exec_seq + 1) & ~(uint64_t)1;
}

/* Step (1): with the guard held, put the value and the inbox in the region. */
static apr_status_t stage_inputs(pfz__worker_t *w, const pfz__fuzz_args_t *a)
{
    pfz__shm_hdr_t *hdr;
    uint64_t inbox = 0, vcap;
    uint8_t *p;
    size_t i;
    apr_status_t st;

    for (i = 0; i < a->inbox_count; i++)
        inbox += PFZ__INBOX_RECORD_FIXED + 4 * ((uint64_t)a->inbox[i].nowned + a->inbox[i].nfeats) +
                 a->inbox[i].size;
    vcap = PFZ_MAX((uint64_t)a->max_len, (uint64_t)a->value.size);
    if ((st = pfz__guard_lock(&w->guard, &hdr)) != APR_SUCCESS)
        return st;
    if ((st = pfz__guard_reserve(&w->guard, &hdr, vcap, inbox)) == APR_SUCCESS) {
        if (a->value.size > 0)
            memcpy(PFZ__SHM_VALUE(hdr), a->value.data, a->value.size);
        hdr->value_len = a->value.size;
        hdr->exec_count = 0;
        p = (uint8_t *)hdr + w->guard.inbox_offset; /* ours, not the header's */
        for (i = 0; i < a->inbox_count; i++) {
            const pfz__inbox_item_t *it = &a->inbox[i];
            size_t k;
            pfz__put_u32(p, it->index);
            pfz__put_u32(p + 4, (uint32_t)it->size);
            pfz__put_u32(p + 8, (uint32_t)it->nowned);
            pfz__put_u32(p + 12, (uint32_t)it->nfeats);
            pfz__put_u32(p + 16, it->exec_us);
            p += PFZ__INBOX_RECORD_FIXED;
            for (k = 0; k < it->nowned; k++, p += 4)
                pfz__put_u32(p, it->owned[k]);
            for (k = 0; k < it->nfeats; k++, p += 4)
                pfz__put_u32(p, it->feats[k]);
            if (it->size > 0)
                memcpy(p, it->data, it->size);
            p += it->size;
        }
        hdr->inbox_len = inbox;
        hdr->flags = a->type == PFZ__CALL_MINIMIZE ? PFZ__SHMF_MINIMIZING : 0;
    }
    pfz__guard_unlock(&w->guard);
    return st;
}

static void set_deadline(pfz__worker_t *w, uint64_t deadline)
{
    apr_thread_mutex_lock(w->proc_mu);
    w->call_deadline_us = deadline;
    apr_thread_mutex_unlock(w->proc_mu);
}

/* 1 while the current process has not ended (call_mu held: w->proc stays). */
static int process_alive(pfz__worker_t *w)
{
    pfz__proc_t *proc;

    apr_thread_mutex_lock(w->proc_mu);
    proc = w->proc;
    apr_thread_mutex_unlock(w->proc_mu);
    return proc != NULL && pfz__proc_wait(proc, 0, NULL) == APR_TIMEUP;
}

/* 1 when the current process ends within a short grace. */
static int ends_soon(pfz__worker_t *w)
{
    pfz__proc_t *proc;

    apr_thread_mutex_lock(w->proc_mu);
    proc = w->proc;
    apr_thread_mutex_unlock(w->proc_mu);
    return proc == NULL || pfz__proc_wait(proc, 200000, NULL) != APR_TIMEUP;
}

/* The I/O hook (rpc.h): between two timed-out slices of a read or write,
 * give up when the worker was cleaned up or its process has ended. The
 * process, not the pipe, tells: a child the target forked may hold the
 * other end of the pipe open forever. */
static apr_status_t call_wait(void *ctx)
{
    pfz__worker_t *w = ctx;
    int cleaned;

    apr_thread_mutex_lock(w->proc_mu);
    cleaned = w->cleaned;
    apr_thread_mutex_unlock(w->proc_mu);
    if (cleaned)
        return PFZ_ESHMCLOSED;
    return process_alive(w) ? APR_SUCCESS : APR_EOF;
}

apr_status_t pfz__client_call(pfz__worker_t *w, const pfz__fuzz_args_t *a, pfz__fuzz_result_t *res)
{
    pfz__shm_hdr_t *hdr;
    pfz__rpc_wait_t wait;
    apr_status_t st, io;
    int died, want_value;

    apr_thread_mutex_lock(w->call_mu);
    res->flags = 0;
    if ((st = stage_inputs(w, a)) != APR_SUCCESS)
        goto done;
    if (w->calls == NULL) { /* never started, or reaped and not restarted */
        st = APR_EINIT;
        goto done;
    }

    /* Step (2): the call itself, with no lock but call_mu held. */
    w->call.type = a->type;
    w->call.flags = a->flags;
    w->call.seed = a->seed;
    w->call.time_budget_us = a->time_budget_us;
    w->call.exec_limit = a->exec_limit;
    w->call.max_len = a->max_len;
    w->call.inbox_count = (uint32_t)a->inbox_count;
    w->call.features.n = 0;
    if ((st = pfz__u32vec_reserve(&w->call.features, a->nfeatures)) != APR_SUCCESS)
        goto done;
    if (a->nfeatures > 0)
        memcpy(w->call.features.v, a->features, a->nfeatures * sizeof *a->features);
    w->call.features.n = a->nfeatures;

    wait.fn = call_wait;
    wait.ctx = w;
    set_deadline(w, a->deadline_us ? pfz__now_us() + a->deadline_us : 0);
    io = pfz__rpc_write_call(w->calls, &w->buf, &w->call, &wait);
    if (io == APR_SUCCESS)
        io = pfz__rpc_read_reply(w->replies, &w->buf, &res->reply, &wait);
    set_deadline(w, 0);
    if (io == APR_SUCCESS && res->reply.type != a->type)
        io = PFZ_EPROTO;
    /* Bytes that are not a reply while the worker still runs: the target
     * wrote to the engine's reply channel. (A frame cut short by a death is
     * just the death.) */
    if (io == PFZ_EPROTO && process_alive(w))
        res->flags |= PFZ__RESF_GARBAGE;
    /* The end of the reply stream while the worker lives on: the target
     * closed the engine's end (a dying process closes it too, so give one
     * that is on its way out a moment to be seen as ended). */
    if (APR_STATUS_IS_EOF(io) && process_alive(w) && !ends_soon(w))
        res->flags |= PFZ__RESF_CHANNEL_LOST;
    died = io != APR_SUCCESS;
    if (died) /* EOF, broken pipe, cleanup, or a worker that broke the protocol */
        pfz__worker_kill(w, PFZ__KILL_NONE);

    /* Step (3): read the result with the guard held again. */
    if ((st = pfz__guard_lock(&w->guard, &hdr)) != APR_SUCCESS)
        goto done; /* cleaned up meanwhile: interrupted, whatever happened */
    if (!pfz__guard_header_intact(&w->guard, hdr)) {
        /* The target wrote over the engine's header (through the mapping or
         * the descriptor). A finding, whatever the reply said. */
        res->flags |= PFZ__RESF_CORRUPT;
        if (!died) {
            died = 1;
            pfz__worker_kill(w, PFZ__KILL_NONE);
        }
    }
    if (died && (hdr->flags & PFZ__SHMF_CHANNEL_LOST))
        res->flags |= PFZ__RESF_CHANNEL_LOST;
    want_value = died || a->type != PFZ__CALL_FUZZ || res->reply.status != PFZ__RS_OK;
    st = want_value ? copy_value_out(w, res, hdr) : APR_SUCCESS;
    res->exec_count = hdr->exec_count;
    if (res->exec_count > ((uint64_t)1 << 48))
        res->exec_count = 0; /* not a count any worker can reach: scribbled */
    if (died)
        take_heartbeat(res, hdr);
    else
        res->exec_seq = hdr->exec_seq;
    pfz__guard_unlock(&w->guard);
    if (st == APR_SUCCESS && died) {
        /* A death that a cleanup caused is an interruption, not a finding:
         * cleanup marks the worker before it kills. */
        apr_thread_mutex_lock(w->proc_mu);
        st = w->cleaned ? PFZ_ESHMCLOSED : PFZ_EWORKERDIED;
        apr_thread_mutex_unlock(w->proc_mu);
    }
done:
    apr_thread_mutex_unlock(w->call_mu);
    return st;
}

apr_status_t pfz__client_ping(pfz__worker_t *w)
{
    pfz__fuzz_args_t a;
    pfz__fuzz_result_t r;
    apr_status_t st;

    memset(&a, 0, sizeof a);
    memset(&r, 0, sizeof r);
    a.type = PFZ__CALL_PING;
    st = pfz__client_call(w, &a, &r);
    pfz__fuzz_result_free(&r);
    return st;
}
