/* watchdog.c -- the coordinator's watchdog thread. Every ~50 ms it reads each
 * worker's heartbeat from the shared region (under the worker's guard) and its
 * resident memory, and kills a worker whose current execution has run longer
 * than -timeout, or whose memory passed -rss_limit_mb, recording why; the
 * worker's client thread then saves the input as timeout-/oom-. It also kills
 * a worker whose call overran its deadline (a hang outside the target), and
 * ends every worker's call when the run is interrupted.
 *
 * Before a -timeout or -rss_limit_mb kill it asks the worker for the stack of
 * the target's thread (which the report and the de-duplication signature
 * need) and kills on a later tick, STACK_GRACE_US later: a pending kill is
 * recorded, never waited for, so the other workers stay supervised.
 * (Worker output needs no watching: its capture is capped as it arrives,
 * outcap.c.) */
#include <stdlib.h>

#include "coordinator.h"
#include "platform.h"

/* Time a worker has to print its stack before the kill: a backtrace takes
 * microseconds, a sanitizer's symbolizer (a child process) up to some
 * hundred milliseconds on a loaded machine. */
#define STACK_GRACE_US 1000000u

/* A kill that waits for a stack report. */
typedef struct pending {
    long pid;                  /* 0: none */
    pfz__kill_reason_e reason;
    uint64_t at;               /* pfz__now_us() at which to kill */
} pending_t;

/* Asks for the stack and schedules the kill; kills at once when that fails. */
static void stack_then_kill(pfz__wslot_t *s, pending_t *pend, pfz__kill_reason_e reason,
                            uint64_t now)
{
    long pid = pfz__worker_request_stack(s->worker, reason);

    if (pid > 0) {
        pend->pid = pid;
        pend->reason = reason;
        pend->at = now + STACK_GRACE_US;
    }
}

void *APR_THREAD_FUNC pfz__watchdog_main(apr_thread_t *t, void *arg)
{
    pfz__coord_t *c = arg;
    const pfz__options_t *o = c->o;
    uint64_t timeout_us = (uint64_t)o->timeout * 1000000u;
    uint64_t rss_limit = (uint64_t)o->rss_limit_mb << 20, now, seq, rss;
    size_t peak_mb = 0;
    uint64_t slowest = 0;
    apr_pool_t *p = NULL;
    pending_t *pend = calloc((size_t)(c->nworkers > 0 ? c->nworkers : 1), sizeof *pend);
    int i;

    apr_pool_create(&p, NULL); /* our own: pools are not shared between threads */
    while (!pfz__coord_stopping(c)) {
        void (*tick)(pfz__coord_t *, uint64_t);
        apr_sleep(50000);
        if (pfz__interrupted()) {
            /* Ctrl-C / SIGTERM ends even a call in progress at once (a
             * minimization or merge call can run for minutes): clean the
             * workers up, and their calls return "closed". */
            pfz__coord_request_stop(c, PFZ_EXIT_INTERRUPTED);
            for (i = 0; i < c->nworkers; i++)
                pfz__worker_cleanup(c->slots[i].worker);
            break;
        }
        now = pfz__now_us();
        for (i = 0; i < c->nworkers; i++) {
            pfz__wslot_t *s = &c->slots[i];
            pending_t *pk = pend != NULL ? &pend[i] : NULL;
            if (pk != NULL && pk->pid != 0) {
                if (now < pk->at)
                    continue; /* still printing its stack */
                pfz__worker_kill_pid(s->worker, pk->reason, pk->pid);
                pk->pid = 0;
                s->hb_since = now; /* its execution is being killed: not again */
                continue;
            }
            if (pfz__worker_heartbeat(s->worker, &seq) != APR_SUCCESS)
                continue; /* cleaned up */
            if ((seq & 1) == 0 || seq != s->hb_seq) {
                s->hb_seq = seq;
                s->hb_since = now;
            } else if (now - s->hb_since > slowest) {
                /* stat::slowest_unit_time_sec, from our own clock: nothing
                 * the worker writes is trusted for it. */
                slowest = now - s->hb_since;
            }
            if (timeout_us != 0 && (seq & 1) != 0 && seq == s->hb_seq &&
                now - s->hb_since > timeout_us) { /* -timeout=0: no limit */
                if (pk != NULL)
                    stack_then_kill(s, pk, PFZ__KILL_TIMEOUT, now);
                else
                    pfz__worker_kill(s->worker, PFZ__KILL_TIMEOUT);
                s->hb_since = now; /* do not kill the same execution twice */
                continue;
            }
            rss = pfz__worker_rss(s->worker);
            if ((size_t)(rss >> 20) > peak_mb)
                peak_mb = (size_t)(rss >> 20);
            if (rss_limit && rss > rss_limit) {
                apr_thread_mutex_lock(c->mu);
                s->oom_rss_mb = rss >> 20;
                apr_thread_mutex_unlock(c->mu);
                if (pk != NULL)
                    stack_then_kill(s, pk, PFZ__KILL_OOM, now);
                else
                    pfz__worker_kill(s->worker, PFZ__KILL_OOM);
                continue;
            }
            if (pfz__worker_call_overdue(s->worker, now))
                pfz__worker_kill(s->worker, PFZ__KILL_TIMEOUT);
        }
        apr_thread_mutex_lock(c->mu);
        if (peak_mb > c->peak_rss_mb)
            c->peak_rss_mb = peak_mb;
        if (slowest > c->slowest_us)
            c->slowest_us = slowest;
        tick = c->tick;
        apr_thread_mutex_unlock(c->mu);
        if (tick != NULL)
            tick(c, now);
    }
    /* Kills still pending are done by the coordinator's cleanup of every
     * worker, which follows the stop. */
    free(pend);
    apr_pool_destroy(p);
    pfz__coord_thread_done(c);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}
