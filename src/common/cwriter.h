/* cwriter.h -- the corpus writer: a thread that writes new corpus entries'
 * files (and removes the files of entries a REDUCE replaced), so that the
 * coordinator's mutex is never held across that I/O (45-85 us per new
 * input on a local disk, much more on a slow one).
 *
 * Owner and locks: the writer's queue and counters are guarded by its own
 * mutex (never held across I/O, never taken with another lock held inside
 * it); its thread holds no other lock. Jobs run in the order queued (a
 * replacement's old file goes only after the new file is written).
 * Bounded, with back-pressure on whoever finds faster than the disk
 * writes: past PFZ__CWRITER_MAX_JOBS jobs or PFZ__CWRITER_MAX_BYTES bytes
 * queued, pfz__cwriter_wait_room (called with no lock held, by a client
 * thread after its call's end) waits, for a bounded time, until the queue is
 * below them: that client's worker waits, the mutex and the other workers
 * do not. Past 4 times those (a burst from a thread that does not wait), or
 * once closed, pfz__cwriter_put does the job in the caller (as before the
 * writer). The bound is also what the end of a run may wait for: 4096 small
 * files take about 2 s where a disk manages 2,800 files a second
 * (bench/scale.sh's growth run); a queue of 65,536 made a 60 s run end at
 * 88 s. A failed write is reported by a WARNING naming the file (the entry
 * stays in memory, and in the other workers). */
#ifndef PFZ_CWRITER_H
#define PFZ_CWRITER_H

#include <apr_pools.h>

#include "common.h"

#define PFZ__CWRITER_MAX_JOBS 4096
#define PFZ__CWRITER_MAX_BYTES ((size_t)64 << 20)

typedef struct pfz__cwriter pfz__cwriter_t;

typedef struct pfz__cwriter_stats {
    apr_uint64_t written;  /* files written (or found already there) */
    apr_uint64_t failed;   /* writes that failed */
    apr_uint64_t inline_;  /* jobs done in the caller (queue full, or closed) */
    apr_uint64_t queued_max; /* the most jobs queued at once */
    apr_uint64_t waits;    /* pfz__cwriter_wait_room calls that waited */
    apr_uint64_t wait_us;  /* how long they waited, in all */
} pfz__cwriter_stats_t;

/** Starts a writer for files in dir (which must outlive it). */
apr_status_t pfz__cwriter_start(pfz__cwriter_t **w, const char *dir, apr_pool_t *pool);

/** Queues a job (copying name, data and old): write data as dir/name --
 * unless keep_existing is set and a regular file of that name and size is
 * there already (names are the SHA-1 of the content) -- then, if old is not
 * NULL and the write succeeded, remove dir/old. Returns APR_SUCCESS when
 * queued or done; the error of the write when it was done here and failed,
 * or APR_ENOMEM. */
apr_status_t pfz__cwriter_put(pfz__cwriter_t *w, const char *name, const void *data, size_t size,
                              int keep_existing, const char *old);

/** Back-pressure: while more than the bounds are queued, waits (at most
 * limit_us) for the writer to catch up. Call it holding no lock. Returns 1
 * if it had to wait, 0 if there was room. */
int pfz__cwriter_wait_room(pfz__cwriter_t *w, uint64_t limit_us);

/** Finishes every queued job, waiting at most limit_us, and stops the
 * thread. Returns how many jobs were not done in time (0: all of them;
 * those that were not are named in a WARNING, and the thread is left
 * running -- a disk that hangs must not hang the run). Later puts are done
 * in the caller. Safe to call twice. */
size_t pfz__cwriter_close(pfz__cwriter_t *w, uint64_t limit_us);

void pfz__cwriter_get_stats(pfz__cwriter_t *w, pfz__cwriter_stats_t *s);
/** How many jobs are queued or being done now. */
size_t pfz__cwriter_pending(pfz__cwriter_t *w);

#endif
