/* worker.h -- a worker as the coordinator sees it: its shared-memory region
 * (behind a guard), its current process, its pipes, and the lock-guarded client
 * that makes RPC calls to it.
 *
 * Threads and ownership:
 *  - One "client thread" makes calls (pfz__client_*) and restarts the process
 *    (pfz__worker_start / pfz__worker_reap). Calls are serialised by call_mu,
 *    so several threads may call, but one at a time.
 *  - Any thread may call pfz__worker_kill (the watchdog: timeout, memory) and
 *    pfz__worker_cleanup (stop, Ctrl-C, fatal error) at any moment. Neither
 *    waits for a call in progress: cleanup closes the guard (unmapping the
 *    region) and kills the process, and the client's call then returns
 *    PFZ_ESHMCLOSED, which means "interrupted" and is never a finding.
 *  - The process handle and the kill reason are protected by proc_mu; the
 *    region only by the guard; the pipes belong to whoever holds call_mu.
 */
#ifndef PFZ_WORKER_H
#define PFZ_WORKER_H

#include <apr_thread_mutex.h>

#include "common.h"
#include "guard.h"
#include "outcap.h"
#include "platform.h"
#include "rpc.h"

/* How long a read or write of a worker's pipe waits before it checks that
 * the worker still lives (and was not cleaned up). */
#define PFZ__IO_SLICE_US 50000

typedef enum pfz__kill_reason {
    PFZ__KILL_NONE = 0,
    PFZ__KILL_TIMEOUT,  /* the watchdog saw one execution run past -timeout */
    PFZ__KILL_OOM,      /* the watchdog saw RSS past -rss_limit_mb */
    PFZ__KILL_CLEANUP   /* pfz__worker_cleanup */
} pfz__kill_reason_e;

typedef struct pfz__worker_cfg {
    int id;
    const char *exe;
    const char *const *argv;
    const char *const *env_extra;
    pfz__outcap_t *output;     /* captures the worker's stdout+stderr; NULL: ours (not owned) */
    apr_size_t value_capacity; /* initial room for inputs (max_len) */
} pfz__worker_cfg_t;

typedef struct pfz__worker pfz__worker_t;

/* Private to worker.c and worker_client.c. */
struct pfz__worker {
    apr_pool_t *pool;
    pfz__worker_cfg_t cfg;
    pfz__guard_t guard;            /* owns the region */
    apr_thread_mutex_t *call_mu;   /* serialises calls; owns the pipes and bufs */
    apr_file_t *calls, *replies;   /* our ends; NULL when no process */
    apr_pool_t *proc_pool;         /* per-process allocations (pipes, handle) */
    pfz__rpc_buf_t buf;
    pfz__call_t call;
    apr_thread_mutex_t *proc_mu;   /* protects the three fields below */
    pfz__proc_t *proc;             /* current process, or NULL */
    pfz__kill_reason_e kill_reason;
    int cleaned;
    uint64_t call_deadline_us;     /* pfz__now_us() after which a call is overdue; 0 = none */
    const char *start_failed_call; /* (call_mu) the OS call the last failed start named, or NULL */
};

apr_status_t pfz__worker_create(pfz__worker_t **w, const pfz__worker_cfg_t *cfg, apr_pool_t *pool);
int pfz__worker_id(const pfz__worker_t *w);
pfz__outcap_t *pfz__worker_output(const pfz__worker_t *w);

/** Client thread: starts the process if none is running (emptying the output
 * capture first). Returns PFZ_ESHMCLOSED after cleanup. */
apr_status_t pfz__worker_start(pfz__worker_t *w);

/** Client thread, after pfz__worker_start failed with st: why, in buf
 * ("posix_spawn failed: Resource temporarily unavailable"). */
const char *pfz__worker_start_error(pfz__worker_t *w, apr_status_t st, char *buf, apr_size_t len);

/** Client thread, after a call returned PFZ_EWORKERDIED: waits for the process
 * (killing it if it lingers), releases it and says how it ended and whether we
 * killed it (reason). The next pfz__worker_start spawns a fresh process. */
apr_status_t pfz__worker_reap(pfz__worker_t *w, pfz__exit_t *how, pfz__kill_reason_e *reason);

/** Any thread: kills the current process, recording why (first reason wins). */
void pfz__worker_kill(pfz__worker_t *w, pfz__kill_reason_e reason);

/** Any thread: asks the current process for the stack of its target thread
 * (pfz__proc_request_stack) and records `reason` (PFZ__KILL_TIMEOUT or
 * PFZ__KILL_OOM) as the kill reason. Returns the process's pid, which the
 * caller passes to pfz__worker_kill_pid after a grace of at most a second;
 * 0 when there is no process or it could not be asked (it was killed at
 * once then). */
long pfz__worker_request_stack(pfz__worker_t *w, pfz__kill_reason_e reason);

/** Any thread: like pfz__worker_kill, but only if the current process is
 * still `pid` (a worker that died meanwhile may have been restarted). */
void pfz__worker_kill_pid(pfz__worker_t *w, pfz__kill_reason_e reason, long pid);

/** Any thread: resident memory of the current process (0 when none). */
apr_uint64_t pfz__worker_rss(pfz__worker_t *w);

/** Any thread: reads the heartbeat (exec_seq) under the guard. */
apr_status_t pfz__worker_heartbeat(pfz__worker_t *w, uint64_t *seq);

/** Any thread: 1 when a call has been running past its deadline (its budget
 * plus the per-execution timeout plus a grace period): the worker hangs outside
 * the target (e.g. in LLVMFuzzerInitialize), where the heartbeat cannot see it. */
int pfz__worker_call_overdue(pfz__worker_t *w, uint64_t now_us);

/** Any thread, any time, idempotent: closes the region and kills the process. */
void pfz__worker_cleanup(pfz__worker_t *w);

/** After every thread using w is done: releases pipes and the process. */
void pfz__worker_destroy(pfz__worker_t *w);

/* ------------------------------------------------------------- the client */

/** An input handed to a worker. */
typedef struct pfz__input {
    const uint8_t *data;
    size_t size;
} pfz__input_t;

/** A corpus entry handed to a worker (see the inbox record in wire.h). */
typedef struct pfz__inbox_item {
    uint32_t index;          /* corpus index: append (== worker's count) or replace */
    const uint8_t *data;
    size_t size;
    const uint32_t *owned;   /* features credited to the entry (REDUCE) */
    size_t nowned;
    const uint32_t *feats;   /* every feature it reaches (NULL: unknown, the
                                worker runs it to learn them) */
    size_t nfeats;
    uint32_t exec_us;        /* the measured execution's duration (0: unknown) */
} pfz__inbox_item_t;

typedef struct pfz__fuzz_args {
    uint32_t type;            /* PFZ__CALL_FUZZ, _RUN or _MINIMIZE */
    uint32_t flags;
    uint64_t seed;
    uint64_t time_budget_us;
    uint64_t exec_limit;
    uint32_t max_len;
    uint64_t deadline_us;     /* how long the whole call may take before the
                                 watchdog calls the worker hung (0: no limit) */
    pfz__input_t value;       /* written to the region's value before the call */
    const pfz__inbox_item_t *inbox; /* corpus entries for the worker's local corpus */
    size_t inbox_count;
    const uint32_t *features; /* global features the worker has not seen yet */
    size_t nfeatures;
} pfz__fuzz_args_t;

typedef struct pfz__fuzz_result {
    pfz__reply_t reply;  /* valid when the call returned APR_SUCCESS */
    uint8_t *input;      /* the region's value after the call (malloc; reused) */
    size_t input_size;
    size_t input_cap;
    uint64_t exec_count; /* executions the region recorded for this call */
    uint64_t exec_seq;   /* the heartbeat at the end: odd = died inside the target */
    unsigned flags;      /* PFZ__RESF_*: how the target broke the engine, if it did */
} pfz__fuzz_result_t;

#define PFZ__RESF_GARBAGE 1u      /* the worker wrote bytes that are not a reply */
#define PFZ__RESF_CORRUPT 2u      /* the region's header was overwritten */
#define PFZ__RESF_CHANNEL_LOST 4u /* the target closed or replaced the worker's channels */

void pfz__fuzz_result_free(pfz__fuzz_result_t *r);

/** Makes one call. APR_SUCCESS: res->reply holds the reply; for NEW_INPUT,
 * REDUCE, RUN and MINIMIZE res->input holds the region's value (the input the reply is
 * about). PFZ_EWORKERDIED: the process ended (crash, exit, or killed by the
 * watchdog) and res->input holds the exact input that was running; call
 * pfz__worker_reap next. PFZ_ESHMCLOSED: the worker was cleaned up during the
 * call; res holds nothing; this is never a finding. */
apr_status_t pfz__client_call(pfz__worker_t *w, const pfz__fuzz_args_t *args,
                              pfz__fuzz_result_t *res);

/** Pings the worker (PFZ_EWORKERDIED / PFZ_ESHMCLOSED as above). */
apr_status_t pfz__client_ping(pfz__worker_t *w);

#endif
