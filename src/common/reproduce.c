/* reproduce.c -- positional files: each is run -runs times (at least once),
 * in this process, the way ClusterFuzz reproduces a finding
 * (`fuzzer -runs=100 -timeout=N -rss_limit_mb=M file`). Like libFuzzer's:
 *   Running: FILE
 *   Executed FILE in N ms
 * A crash is reported by the deadly-signal handler (stack included) and ends
 * the process with -error_exitcode; exit() in the target, a malloc over the
 * limit and a write into the input by the guards (report.c), a leak by
 * LeakSanitizer (when linked) after each file's runs. A watchdog
 * thread enforces -timeout (exit -timeout_exitcode) and -rss_limit_mb (exit
 * 71), so a reproducer never hangs the CI job that runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "artifact.h"
#include "engine.h"
#include "platform.h"
#include "report.h"
#include "reproduce.h"

#define TICK_US 50000u

typedef struct watch {
    const pfz__options_t *o;
    apr_thread_mutex_t *mu;
    int running;       /* (mu) the target runs */
    int stop;          /* (mu) reproduction is over */
    uint64_t start_us; /* (mu) when the current execution began */
} watch_t;

static void *APR_THREAD_FUNC watch_main(apr_thread_t *t, void *arg)
{
    watch_t *w = arg;
    uint64_t timeout_us = w->o->timeout > 0 ? (uint64_t)w->o->timeout * 1000000u : 0;
    uint64_t limit = w->o->rss_limit_mb > 0 ? (uint64_t)w->o->rss_limit_mb << 20 : 0;
    apr_uint64_t rss;

    for (;;) {
        uint64_t now, ran = 0;
        int stop, running;

        apr_sleep(TICK_US);
        apr_thread_mutex_lock(w->mu);
        stop = w->stop;
        running = w->running;
        now = pfz__now_us();
        if (running)
            ran = now - w->start_us;
        apr_thread_mutex_unlock(w->mu);
        if (stop)
            break;
        if (running && timeout_us != 0 && ran > timeout_us) {
            uint64_t secs = ran / 1000000u;
            pfz__report("ALARM: working on the last Unit for %" APR_UINT64_T_FMT " seconds\n"
                        "       and the timeout value is %" APR_INT64_T_FMT
                        " (use -timeout=N to change)\n",
                        secs, w->o->timeout);
            pfz__report_timeout(pfz__self_pid(), (int64_t)secs);
            /* The hung thread's stack, as libFuzzer's alarm handler prints
             * it: a timeout's crash state (ClusterFuzz) is read from it. */
            pfz__print_target_stack(PFZ__STACK_TIMEOUT);
            pfz__report_summary("timeout");
            _Exit((int)w->o->timeout_exitcode);
        }
        if (limit != 0 && pfz__self_rss(&rss) == APR_SUCCESS && rss > limit) {
            pfz__report_oom_rss(pfz__self_pid(), rss >> 20, w->o->rss_limit_mb);
            pfz__report_summary("out-of-memory");
            _Exit(PFZ_EXIT_OOM);
        }
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void set_running(watch_t *w, int running)
{
    if (w->mu == NULL)
        return;
    apr_thread_mutex_lock(w->mu);
    w->running = running;
    w->start_us = pfz__now_us();
    apr_thread_mutex_unlock(w->mu);
}

/* Runs one input once, on an exact-size copy (as when fuzzing). */
static int run_once(watch_t *w, const uint8_t *data, size_t len) PFZ_ENGINE_FRAME("run_once", "_ZN6fuzzer8portfuzz14reproduce_onceEv");
PFZ_NOINLINE static int run_once(watch_t *w, const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);

    if (copy == NULL)
        return 0;
    memcpy(copy, data, len);
    set_running(w, 1);
    (void)pfz__call_target(pfz__hooks.target, copy, len);
    set_running(w, 0);
    if (pfz__input_overwritten(data, copy, len))
        pfz__report_overwritten_and_exit();
    free(copy);
    return 1;
}

int pfz__reproduce(const pfz__options_t *o, apr_pool_t *pool)
{
    int64_t runs = o->runs > 1 ? o->runs : 1, r;
    watch_t w;
    apr_thread_t *thread = NULL;
    apr_status_t rv;
    int i, rc = PFZ_EXIT_OK;
    char msg[128];

    memset(&w, 0, sizeof w);
    w.o = o;
    if ((o->timeout > 0 || o->rss_limit_mb > 0) &&
        (apr_thread_mutex_create(&w.mu, APR_THREAD_MUTEX_DEFAULT, pool) != APR_SUCCESS ||
         apr_thread_create(&thread, NULL, watch_main, &w, pool) != APR_SUCCESS)) {
        pfz__log("ERROR: cannot start the thread that enforces -timeout and -rss_limit_mb");
        return PFZ_EXIT_USAGE;
    }
    pfz__log("INFO: running %d input file(s) %" APR_INT64_T_FMT " time(s) each", o->nfiles, runs);
    for (i = 0; i < o->nfiles && rc == PFZ_EXIT_OK; i++) {
        uint8_t *data;
        size_t len;
        uint64_t t0;
        apr_status_t st = pfz__read_file(
            o->files[i], &data, &len, o->max_len > 0 ? (size_t)o->max_len : (size_t)1 << 30, pool);
        if (st != APR_SUCCESS) {
            pfz__log("ERROR: cannot read input file '%s': %s", o->files[i],
                     pfz__strerror(st, msg, sizeof msg));
            rc = PFZ_EXIT_USAGE;
            break;
        }
        pfz__log("Running: %s", o->files[i]);
        t0 = pfz__now_us();
        for (r = 0; r < runs; r++)
            if (!run_once(&w, data, len)) {
                rc = PFZ_EXIT_OOM;
                break;
            }
        pfz__log("Executed %s in %" APR_UINT64_T_FMT " ms", o->files[i],
                 (pfz__now_us() - t0) / 1000);
        free(data);
        if (rc == PFZ_EXIT_OK && o->detect_leaks && pfz__leak_check()) {
            /* LeakSanitizer printed its report; as libFuzzer, end now (its
             * check at exit would report the same leaks again). */
            pfz__log("INFO: to ignore leaks on libFuzzer side use -detect_leaks=0.");
            fflush(stdout);
            fflush(stderr);
            _Exit((int)o->error_exitcode);
        }
    }
    if (thread != NULL) {
        apr_thread_mutex_lock(w.mu);
        w.stop = 1;
        apr_thread_mutex_unlock(w.mu);
        apr_thread_join(&rv, thread);
    }
    if (rc == PFZ_EXIT_OK)
        pfz__log("***\n*** NOTE: fuzzing was not performed, you have only\n***       executed the "
                 "target code on a fixed set of inputs.\n***");
    return rc;
}
