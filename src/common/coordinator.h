/* coordinator.h -- the coordinator: N workers, one client thread each, a
 * watchdog thread and the main loop. The coordinator alone owns the corpus,
 * the global coverage, the artifacts and the clock.
 *
 * Locking: coord.mu protects every field marked (mu); a worker's own state is
 * behind its locks (worker.h); fields marked (client) belong to that worker's
 * client thread, (watchdog) to the watchdog thread. Lock order: coord.mu is
 * never held while calling into a worker. */
#ifndef PFZ_COORDINATOR_H
#define PFZ_COORDINATOR_H

#include <apr_thread_proc.h>
#include <apr_thread_cond.h>

#include "common.h"
#include "corpus.h"
#include "dict.h"
#include "options.h"
#include "outcap.h"
#include "progress.h"
#include "worker.h"

typedef struct pfz__coord pfz__coord_t;

typedef struct pfz__wslot {
    pfz__coord_t *coord;
    int id;
    pfz__worker_t *worker;
    pfz__outcap_t *out;         /* the worker's output; created before and destroyed after it */
    apr_thread_t *thread;
    apr_pool_t *pool;           /* (client) */
    pfz__fuzz_result_t res;     /* (client) */
    size_t entries_sent;        /* (client) corpus entries this process has */
    size_t features_sent;       /* (client) global features this process has */
    size_t replaces_sent;       /* (client) corpus replace_log entries handled */
    uint8_t *inbox_buf;         /* (client) copies of the entries of one call (malloc) */
    size_t inbox_cap;
    uint32_t *inbox_feats;      /* (client) copies of their features (malloc) */
    size_t inbox_feats_cap;
    uint64_t hb_seq, hb_since;  /* (watchdog) last heartbeat seen and since when */
    uint64_t oom_rss_mb;        /* (mu) its memory when the watchdog saw -rss_limit_mb passed */
} pfz__wslot_t;

struct pfz__coord {
    const pfz__options_t *o;
    apr_pool_t *pool;
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *cv;      /* signalled (under mu) when a stop is requested */
    int nworkers;
    pfz__wslot_t *slots;
    apr_thread_t *watchdog;
    uint64_t seed;
    size_t max_len;
    uint64_t start_us;
    pfz__cwriter_t *writer;     /* writes corpus files (its own lock; cwriter.h),
                                   NULL without a corpus directory */

    /* (mu) */
    pfz__corpus_t *corpus;
    apr_array_header_t *seeds;  /* pfz__input_t: inputs to run once first */
    apr_array_header_t *seed_retry; /* pfz__input_t: seeds of a batch whose worker
                                       died before it replied: to run again */
    int next_seed, seeds_inflight, inited;
    int stopping;               /* 1: stop requested */
    int threads_live;           /* client threads + watchdog not yet finished */
    int exit_code;
    int first_finding_code;     /* with -keep_going: the status to exit with */
    uint64_t total_execs;
    uint64_t runs_reserved;     /* -runs: executions promised to calls in flight */
    uint64_t next_pulse;
    uint64_t crashes, timeouts, ooms, leaks;
    uint64_t new_units;         /* (mu) corpus entries added by fuzzing (not the seeds) */
    uint64_t slowest_us;        /* (mu) the longest execution the watchdog saw */
    apr_hash_t *signatures;     /* de-duplication of findings */
    uint8_t *to_minimize;       /* the first crash, for minimization at the end */
    size_t to_minimize_size;
    const char *to_minimize_path;
    int exact_saved;            /* findings written under -exact_artifact_path so far */
    size_t peak_rss_mb;
    /* (main thread) -reload: the file names already taken, and the
     * directories as the last listing found them (stamps in stamp_pool). */
    apr_hash_t *reloaded;
    apr_pool_t *stamp_pool;
    apr_array_header_t *stamps;
    apr_time_t stamps_taken;
    apr_uint64_t reload_own;    /* new files that were this run's own (not read) */
    struct pfz__cstats *stats;  /* (mu) PORTFUZZ_COORD_STATS, or NULL (cstats.h) */
    struct pfz__featcache *fc;  /* the inputs' features across runs, or NULL (locks itself) */
    uint64_t last_reload_us, last_plot_us;
    uint64_t last_plot_execs;   /* (mu) total_execs at the last -plot_data line */
    int plotted_inited;         /* (mu) the -plot_data line at INITED is written */
    pfz__progress_t seed_prog;  /* (mu) progress of the corpus inputs running */
    int seed_prog_on;
    /* (mu) Called by the watchdog on each of its ticks, outside mu, or NULL:
     * how a solo's owner prints progress while it waits in a long call. */
    void (*tick)(pfz__coord_t *c, uint64_t now_us);
    void *tick_ctx;
};

/** Runs a fuzzing campaign per the options; returns the exit status. */
int pfz__coordinator_run(const pfz__options_t *o, char **argv, int argc, apr_pool_t *pool);

/** One worker under its own watchdog, outside a campaign (merge,
 * minimization): the worker is s->slot.worker, its last result s->slot.res. */
typedef struct pfz__solo {
    pfz__coord_t c;
    pfz__wslot_t slot;
} pfz__solo_t;

apr_status_t pfz__solo_open(pfz__solo_t *s, const pfz__options_t *o, const char *exe,
                            const char *const *argv, size_t value_capacity, apr_pool_t *pool);
void pfz__solo_close(pfz__solo_t *s);
/** Runs one input once in the solo's worker (a RUN call, the worker started
 * first): APR_SUCCESS (it ran through; s->slot.res has its features),
 * PFZ_EWORKERDIED (it crashed, hung or ran out of memory: reap the worker),
 * or the error. */
apr_status_t pfz__solo_run(pfz__solo_t *s, const uint8_t *data, size_t len);

/** -merge=1 OUT IN... (merge.c); returns the exit status. */
int pfz__merge(const pfz__options_t *o, char **argv, int argc, apr_pool_t *pool);

/** Minimizes a crashing input in a fresh worker (see coordinator.c). */
int pfz__minimize_input(const pfz__options_t *o, const char *exe, const char *const *argv,
                        const uint8_t *input, size_t size, apr_pool_t *pool);

/** The watchdog thread (watchdog.c). */
void *APR_THREAD_FUNC pfz__watchdog_main(apr_thread_t *t, void *coord);

/** A coordinator thread (client, watchdog) is about to return. */
void pfz__coord_thread_done(pfz__coord_t *c);

/** Set when a campaign ended without its threads (they did not stop within
 * the shutdown deadline): the caller must end the process without tearing
 * down what they may still use (engine.c does _Exit). */
extern int pfz__coord_abandoned;

/** Requests a stop with an exit status (the first request's status wins). */
void pfz__coord_request_stop(pfz__coord_t *c, int exit_code);
int pfz__coord_stopping(pfz__coord_t *c);

#endif
