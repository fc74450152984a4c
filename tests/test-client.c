/* test-client.c -- the lock-guarded worker client, against real worker
 * processes (this runner re-executed with PFZ_TEST_CHILD=worker).
 *
 * The stress test reproduces the race Go's engine once crashed on: client
 * threads call `fuzz` on live workers while other threads clean the same
 * workers up at random moments. Every call must end with success or
 * PFZ_ESHMCLOSED (never a crash, a hang, or a "finding"), and no thread may
 * touch an unmapped region (a segfault or an ASan/TSan report fails the run).
 *
 * Its length: pfz__worker_cleanup waits for proc_mu, which pfz__worker_start
 * holds while it creates the process, so each cleanup can wait for a whole
 * spawn; the cleaner's pace, and so the test's length, is that of process
 * creation (about 1 ms on Linux, 40-200 ms under Wine depending on load: 2000
 * cleanups were 1 to 6 minutes there). Hence a time budget besides the round
 * count (PFZ_STRESS_ROUNDS, PFZ_STRESS_SECONDS). A spawn the OS refuses
 * (Wine's CreateProcessW error 1359 under load) is retried a bounded number of
 * times, as the coordinator does, and tallied apart; every wait is bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "tests.h"
#include "worker.h"
#include "worker_server.h"
#include "wire.h"

/* The child's target: a little work, never a crash (unless asked). */
static int child_target(const uint8_t *data, size_t size)
{
    unsigned acc = 0;
    size_t i;

    for (i = 0; i < size; i++)
        acc += data[i];
    if (acc == 0xdeadbeefu) /* keeps the loop; never true for these short inputs */
        return 1;
    if (size >= 5 && memcmp(data, "CRASH", 5) == 0 && getenv("PFZ_TEST_ALLOW_CRASH"))
        abort();
    return 0;
}

int pfz_test_child_worker(void)
{
    pfz__server_opts_t so;

    memset(&so, 0, sizeof so);
    so.target = child_target;
    so.use_cmp = 1;
    pfz__worker_process_setup(); /* as engine.c does for a real worker */
    return pfz__worker_serve(&so, pfz_test_pool);
}

static pfz__worker_t *new_worker(apr_pool_t *p, int id, int allow_crash)
{
    static const char *const env[] = {"PFZ_TEST_CHILD=worker", NULL};
    static const char *const env_crash[] = {"PFZ_TEST_CHILD=worker", "PFZ_TEST_ALLOW_CRASH=1", NULL};
    const char **argv = apr_pcalloc(p, 2 * sizeof *argv);
    pfz__worker_cfg_t cfg;
    pfz__worker_t *w = NULL;

    argv[0] = pfz_test_self;
    memset(&cfg, 0, sizeof cfg);
    cfg.id = id;
    cfg.exe = pfz_test_self;
    cfg.argv = argv;
    cfg.env_extra = allow_crash ? env_crash : env;
    cfg.value_capacity = 256;
    CU_ASSERT_EQUAL_FATAL(pfz__worker_create(&w, &cfg, p), APR_SUCCESS);
    return w;
}

static void fuzz_args(pfz__fuzz_args_t *a, uint64_t budget_us, const char *value)
{
    memset(a, 0, sizeof *a);
    a->type = PFZ__CALL_FUZZ;
    a->seed = 1;
    a->time_budget_us = budget_us;
    a->max_len = 64;
    a->deadline_us = 30000000;
    a->value.data = (const uint8_t *)value;
    a->value.size = value ? strlen(value) : 0;
}

/* A call on a live worker works; after cleanup every call returns
 * PFZ_ESHMCLOSED and starting again is refused. */
static void test_call_then_cleanup(void)
{
    apr_pool_t *p;
    pfz__worker_t *w;
    pfz__fuzz_args_t a;
    pfz__fuzz_result_t r;

    apr_pool_create(&p, pfz_test_pool);
    memset(&r, 0, sizeof r);
    w = new_worker(p, 0, 0);
    CU_ASSERT_EQUAL_FATAL(pfz__worker_start(w), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__client_ping(w), APR_SUCCESS);
    fuzz_args(&a, 20000, NULL);
    CU_ASSERT_EQUAL(pfz__client_call(w, &a, &r), APR_SUCCESS);
    CU_ASSERT(r.reply.execs > 0);
    CU_ASSERT(r.exec_count > 0);
    pfz__worker_cleanup(w);
    CU_ASSERT_EQUAL(pfz__client_call(w, &a, &r), PFZ_ESHMCLOSED);
    CU_ASSERT_EQUAL(pfz__client_ping(w), PFZ_ESHMCLOSED);
    CU_ASSERT_EQUAL(pfz__worker_start(w), PFZ_ESHMCLOSED);
    pfz__worker_cleanup(w); /* idempotent */
    pfz__worker_destroy(w);
    pfz__fuzz_result_free(&r);
    apr_pool_destroy(p);
}

/* A worker that dies during a call: the client returns PFZ_EWORKERDIED with the
 * exact input that was running; the worker restarts and works again. */
static void test_death_keeps_input(void)
{
    apr_pool_t *p;
    pfz__worker_t *w;
    pfz__fuzz_args_t a;
    pfz__fuzz_result_t r;
    pfz__exit_t how;
    pfz__kill_reason_e why;
    static const char crasher[] = "CRASH-this-exact-input";

    apr_pool_create(&p, pfz_test_pool);
    memset(&r, 0, sizeof r);
    w = new_worker(p, 0, 1);
    CU_ASSERT_EQUAL_FATAL(pfz__worker_start(w), APR_SUCCESS);
    fuzz_args(&a, 0, crasher);
    a.type = PFZ__CALL_RUN;
    CU_ASSERT_EQUAL_FATAL(pfz__client_call(w, &a, &r), PFZ_EWORKERDIED);
    CU_ASSERT_EQUAL(r.input_size, strlen(crasher));
    CU_ASSERT(r.input_size == strlen(crasher) && memcmp(r.input, crasher, r.input_size) == 0);
    CU_ASSERT(r.exec_seq & 1); /* died inside the target */
    pfz__worker_reap(w, &how, &why);
    CU_ASSERT_EQUAL(why, PFZ__KILL_NONE);
    CU_ASSERT(how.crash);
    CU_ASSERT_EQUAL_FATAL(pfz__worker_start(w), APR_SUCCESS);
    fuzz_args(&a, 0, "fine");
    a.type = PFZ__CALL_RUN;
    CU_ASSERT_EQUAL(pfz__client_call(w, &a, &r), APR_SUCCESS);
    CU_ASSERT_EQUAL(r.reply.execs, 1);
    pfz__worker_destroy(w);
    pfz__fuzz_result_free(&r);
    apr_pool_destroy(p);
}

/* ------------------------------------------------------------ the stress */

typedef struct stress {
    pfz__worker_t *volatile *workers; /* slot i: the worker of round k */
    apr_pool_t **pools;               /* slot i: the pool that worker lives in */
    apr_thread_mutex_t *mu;           /* protects workers[] swaps */
    int nworkers;
    int rounds;
    volatile apr_uint32_t done_rounds;
    volatile apr_uint32_t ok, closed, bad, stop;
    volatile apr_uint32_t refused;  /* spawns the OS refused, then retried */
    apr_time_t deadline;            /* the cleaner stops here, rounds done or not */
    apr_time_t cleanup_us, cleanup_max_us; /* time the cleaner spent in cleanup */
    volatile apr_uint32_t epoch[8]; /* per caller: iterations finished */
    volatile apr_uint32_t exited;   /* callers that left their loop */
    int ncallers;
    apr_array_header_t *retired; /* set by the cleaner when it is done */
    apr_pool_t *pool;
} stress_t;

/* A worker the cleaner replaced: destroyed once every caller has finished the
 * iteration in which it may still have been using it (epoch-based reclamation). */
typedef struct retired {
    pfz__worker_t *w;
    apr_pool_t *pool;
    apr_uint32_t seen[8];
} retired_t;

typedef struct caller {
    stress_t *st;
    int slot;
    int slot_index; /* index into st->epoch */
} caller_t;

/* A spawn the OS refuses is retried this many times (pausing 10, 20, 40, ...
 * ms, like the coordinator's start_worker) before it counts as bad. */
#define SPAWN_ATTEMPTS 6

/* How long a thread may take to leave once told to stop: a call in flight
 * when the stop came is interrupted by the cleanup that follows it. */
#define LEAVE_TIMEOUT (60 * APR_USEC_PER_SEC)

/* Starts w (if it has no process), retrying a refused spawn. */
static apr_status_t start_with_retry(stress_t *st, pfz__worker_t *w)
{
    apr_interval_time_t pause = 10000;
    apr_status_t rv = APR_EGENERAL;
    int attempt;

    for (attempt = 1; attempt <= SPAWN_ATTEMPTS; attempt++) {
        /* No new process after the stop: it would be started for nothing
         * and (Linux) die with this thread. */
        if (apr_atomic_read32(&st->stop))
            return PFZ_ESHMCLOSED;
        rv = pfz__worker_start(w);
        if (rv == APR_SUCCESS || rv == PFZ_ESHMCLOSED)
            return rv;
        apr_atomic_inc32(&st->refused);
        apr_sleep(pause);
        pause *= 2;
    }
    return rv;
}

/* A client thread: keeps calling fuzz on its slot's current worker,
 * (re)starting it as needed, until told to stop. */
static void *APR_THREAD_FUNC caller_main(apr_thread_t *t, void *arg)
{
    caller_t *c = arg;
    stress_t *st = c->st;
    pfz__fuzz_args_t a;
    pfz__fuzz_result_t r;
    apr_status_t rv;

    memset(&r, 0, sizeof r);
    fuzz_args(&a, 500, "seed");
    while (!apr_atomic_read32(&st->stop)) {
        pfz__worker_t *w;
        apr_thread_mutex_lock(st->mu);
        w = st->workers[c->slot];
        apr_thread_mutex_unlock(st->mu);
        rv = start_with_retry(st, w);
        if (rv == APR_SUCCESS)
            rv = pfz__client_call(w, &a, &r);
        if (rv == APR_SUCCESS)
            apr_atomic_inc32(&st->ok);
        else if (rv == PFZ_ESHMCLOSED)
            apr_atomic_inc32(&st->closed);
        else {
            char msg[128];
            apr_atomic_inc32(&st->bad); /* a "finding" or an error: must not happen */
            fprintf(stderr, "\n    stress: unexpected status %d: %s\n", rv,
                    pfz__strerror(rv, msg, sizeof msg));
        }
        if (rv != APR_SUCCESS && rv != PFZ_ESHMCLOSED) {
            pfz__exit_t how;
            pfz__kill_reason_e why;
            pfz__worker_reap(w, &how, &why);
        }
        apr_atomic_inc32(&st->epoch[c->slot_index]);
    }
    /* Leave together: on Linux a worker dies with the thread that spawned it
     * (PR_SET_PDEATHSIG), and a slot's worker may be mid-call for another
     * caller of the same slot. Bounded: a caller that never leaves is
     * reported by the test, not waited for. */
    apr_atomic_inc32(&st->exited);
    {
        apr_time_t until = apr_time_now() + LEAVE_TIMEOUT;
        while (apr_atomic_read32(&st->exited) < (apr_uint32_t)st->ncallers &&
               apr_time_now() < until)
            apr_sleep(1000);
    }
    pfz__fuzz_result_free(&r);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* A cleaner thread: at random moments cleans a random slot's worker up and
 * puts a fresh one in its place. The old one is destroyed only when no caller
 * can still hold it (the callers are joined at the end; old workers are kept
 * until then). */
static void *APR_THREAD_FUNC cleaner_main(apr_thread_t *t, void *arg)
{
    stress_t *st = arg;
    unsigned seed = 12345;
    apr_array_header_t *old = apr_array_make(st->pool, 64, sizeof(retired_t));
    apr_uint32_t ok_before = 0, quiet_rounds = 0;
    int i, k;

    while (apr_atomic_read32(&st->done_rounds) < (apr_uint32_t)st->rounds &&
           apr_time_now() < st->deadline) {
        int slot;
        pfz__worker_t *w, *fresh;
        apr_pool_t *p, *wp;
        apr_time_t t0;
        seed = seed * 1103515245u + 12345u;
        slot = (int)((seed >> 16) % (unsigned)st->nworkers);
        apr_sleep((apr_interval_time_t)((seed >> 8) % 3000)); /* 0..3 ms */
        /* Where a spawn takes longer than the cleanups leave (ThreadSanitizer,
         * a loaded machine: 692 calls, all interrupted, was seen), a pause
         * after 100 rounds without a finished call lets some finish: the
         * test also shows that calls work, not only that they end. */
        if (apr_atomic_read32(&st->ok) != ok_before) {
            ok_before = apr_atomic_read32(&st->ok);
            quiet_rounds = 0;
        } else if (++quiet_rounds == 100) {
            apr_sleep(500000);
            quiet_rounds = 0;
        }
        apr_pool_create(&p, st->pool);
        fresh = new_worker(p, slot, 0);
        apr_thread_mutex_lock(st->mu);
        w = st->workers[slot];
        st->workers[slot] = fresh;
        wp = st->pools[slot];
        st->pools[slot] = p;
        apr_thread_mutex_unlock(st->mu);
        t0 = apr_time_now();
        pfz__worker_cleanup(w); /* maybe mid-call; maybe waits for a spawn */
        t0 = apr_time_now() - t0;
        st->cleanup_us += t0;
        if (t0 > st->cleanup_max_us)
            st->cleanup_max_us = t0;
        {
            retired_t *r = &APR_ARRAY_PUSH(old, retired_t);
            r->w = w;
            r->pool = wp;
            for (i = 0; i < st->ncallers; i++)
                r->seen[i] = apr_atomic_read32(&st->epoch[i]);
        }
        /* Reclaim the retired workers no caller can still be using. */
        for (k = 0; k < old->nelts;) {
            retired_t *r = &APR_ARRAY_IDX(old, k, retired_t);
            int busy = 0;
            for (i = 0; i < st->ncallers; i++)
                busy |= apr_atomic_read32(&st->epoch[i]) == r->seen[i];
            if (busy) {
                k++;
                continue;
            }
            pfz__worker_destroy(r->w);
            apr_pool_destroy(r->pool);
            *r = APR_ARRAY_IDX(old, old->nelts - 1, retired_t);
            old->nelts--;
        }
        apr_atomic_inc32(&st->done_rounds);
    }
    /* Stop, and wake every caller: a call in flight on a current worker is
     * interrupted (PFZ_ESHMCLOSED) instead of being waited for, and no slot
     * can start a process any more. */
    apr_atomic_set32(&st->stop, 1);
    apr_thread_mutex_lock(st->mu);
    for (i = 0; i < st->nworkers; i++)
        pfz__worker_cleanup(st->workers[i]);
    apr_thread_mutex_unlock(st->mu);
    st->retired = old;
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void test_stress_cleanup_race(void)
{
    enum { NSLOTS = 4, NCALLERS = 6 };
    stress_t st;
    caller_t callers[NCALLERS];
    apr_thread_t *ct[NCALLERS], *cl;
    apr_status_t rv;
    const char *env = getenv("PFZ_STRESS_ROUNDS"), *secs = getenv("PFZ_STRESS_SECONDS");
    apr_time_t t0 = apr_time_now(), until;
    int i, min_rounds;

    memset(&st, 0, sizeof st);
    apr_pool_create(&st.pool, pfz_test_pool);
    st.nworkers = NSLOTS;
    st.ncallers = NCALLERS;
    st.rounds = env ? atoi(env) : 2000;
    st.deadline = t0 + apr_time_from_sec(secs && atoi(secs) > 0 ? atoi(secs) : 60);
    /* Fewer rounds than asked only when the budget ran out, and then still
     * enough for the race to be exercised. */
    min_rounds = st.rounds < 100 ? st.rounds : 100;
    st.workers = apr_pcalloc(st.pool, NSLOTS * sizeof *st.workers);
    st.pools = apr_pcalloc(st.pool, NSLOTS * sizeof *st.pools);
    CU_ASSERT_EQUAL_FATAL(apr_thread_mutex_create(&st.mu, APR_THREAD_MUTEX_DEFAULT, st.pool), APR_SUCCESS);
    for (i = 0; i < NSLOTS; i++) {
        apr_pool_create(&st.pools[i], st.pool);
        st.workers[i] = new_worker(st.pools[i], i, 0);
    }
    /* More callers than slots: several threads call the same worker at once. */
    for (i = 0; i < NCALLERS; i++) {
        callers[i].st = &st;
        callers[i].slot = i % NSLOTS;
        callers[i].slot_index = i;
        CU_ASSERT_EQUAL_FATAL(apr_thread_create(&ct[i], NULL, caller_main, &callers[i], st.pool), APR_SUCCESS);
    }
    CU_ASSERT_EQUAL_FATAL(apr_thread_create(&cl, NULL, cleaner_main, &st, st.pool), APR_SUCCESS);
    apr_thread_join(&rv, cl);
    /* Bounded: the stop interrupted every call, so the callers leave at once;
     * one that does not is a hang of the client, and is named, not joined. */
    until = apr_time_now() + LEAVE_TIMEOUT + 10 * APR_USEC_PER_SEC;
    while (apr_atomic_read32(&st.exited) < (apr_uint32_t)NCALLERS && apr_time_now() < until)
        apr_sleep(10000);
    if (apr_atomic_read32(&st.exited) < (apr_uint32_t)NCALLERS) {
        fprintf(stderr, "\n    stress: %u of %d callers still inside a call %d s after the "
                "stop; not joined (their workers stay alive)\n",
                NCALLERS - apr_atomic_read32(&st.exited), NCALLERS,
                (int)((LEAVE_TIMEOUT + 10 * APR_USEC_PER_SEC) / APR_USEC_PER_SEC));
        CU_FAIL_FATAL("a client call was not interrupted by cleanup");
    }
    for (i = 0; i < NCALLERS; i++)
        apr_thread_join(&rv, ct[i]);
    for (i = 0; i < NSLOTS; i++)
        pfz__worker_destroy(st.workers[i]);
    for (i = 0; i < st.retired->nelts; i++)
        pfz__worker_destroy(APR_ARRAY_IDX(st.retired, i, retired_t).w);
    fprintf(stderr, "\n    stress: %u cleanups in %.1f s (mean %.1f ms, max %.1f ms each), %u calls "
            "ok, %u interrupted (closed), %u bad, %u spawns refused by the OS (retried)\n",
            st.done_rounds, (double)(apr_time_now() - t0) / APR_USEC_PER_SEC,
            st.done_rounds ? (double)st.cleanup_us / st.done_rounds / 1000 : 0.0,
            (double)st.cleanup_max_us / 1000, st.ok, st.closed, st.bad, st.refused);
    CU_ASSERT_EQUAL(st.bad, 0);
    CU_ASSERT(st.done_rounds >= (apr_uint32_t)min_rounds);
    /* Refusals are rare and transient; spawning itself must work. */
    CU_ASSERT(st.refused <= st.ok / 10 + 5);
    CU_ASSERT(st.ok > 0);
    CU_ASSERT(st.closed > 0); /* the race was really exercised */
    apr_pool_destroy(st.pool);
}

void pfz_test_register_client(void)
{
    CU_pSuite s = pfz_test_suite("client");
    PFZ_TEST_ADD(s, test_call_then_cleanup);
    PFZ_TEST_ADD(s, test_death_keeps_input);
    PFZ_TEST_ADD(s, test_stress_cleanup_race);
}

/* For other suites (test-fault.c): a worker serving the built-in target. */
pfz__worker_t *pfz_test_new_worker(apr_pool_t *p, int id)
{
    return new_worker(p, id, 0);
}
