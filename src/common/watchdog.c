/* watchdog.c -- the coordinator's watchdog thread. Every ~50 ms it reads each
 * worker's heartbeat from the shared region (under the worker's guard) and its
 * resident memory, and kills a worker whose current execution has run longer
 * than -timeout, or whose memory passed -rss_limit_mb, recording why; the
 * worker's client thread then saves the input as timeout-/oom-. It also kills
 * a worker whose call overran its deadline (a hang outside the target).
 * (Worker output needs no watching: its capture is capped as it arrives,
 * outcap.c.) */

#include "coordinator.h"
#include "platform.h"

void *APR_THREAD_FUNC pfz__watchdog_main(apr_thread_t *t, void *arg)
{
    pfz__coord_t *c = arg;
    const pfz__options_t *o = c->o;
    uint64_t timeout_us = (uint64_t)o->timeout * 1000000u;
    uint64_t rss_limit = (uint64_t)o->rss_limit_mb << 20, now, seq, rss;
    size_t peak_mb = 0;
    apr_pool_t *p = NULL;
    int i;

    apr_pool_create(&p, NULL); /* our own: pools are not shared between threads */
    while (!pfz__coord_stopping(c)) {
        apr_sleep(50000);
        now = pfz__now_us();
        for (i = 0; i < c->nworkers; i++) {
            pfz__wslot_t *s = &c->slots[i];
            if (pfz__worker_heartbeat(s->worker, &seq) != APR_SUCCESS)
                continue; /* cleaned up */
            if ((seq & 1) == 0 || seq != s->hb_seq) {
                s->hb_seq = seq;
                s->hb_since = now;
            } else if (now - s->hb_since > timeout_us) {
                pfz__worker_kill(s->worker, PFZ__KILL_TIMEOUT);
                s->hb_since = now; /* do not kill the same execution twice */
            }
            rss = pfz__worker_rss(s->worker);
            if ((size_t)(rss >> 20) > peak_mb)
                peak_mb = (size_t)(rss >> 20);
            if (rss_limit && rss > rss_limit)
                pfz__worker_kill(s->worker, PFZ__KILL_OOM);
            if (pfz__worker_call_overdue(s->worker, now))
                pfz__worker_kill(s->worker, PFZ__KILL_TIMEOUT);
        }
        apr_thread_mutex_lock(c->mu);
        if (peak_mb > c->peak_rss_mb)
            c->peak_rss_mb = peak_mb;
        apr_thread_mutex_unlock(c->mu);
    }
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}
