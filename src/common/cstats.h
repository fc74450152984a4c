/* cstats.h -- the coordinator's own statistics, opt-in: with
 * PORTFUZZ_COORD_STATS=FILE a campaign writes FILE at its end (calls, new
 * inputs, entries handed to workers, how long a worker's find took to reach
 * the others, how long the client threads held the coordinator mutex, per
 * corpus size). bench/scale.sh reads it; bench/SCALING.md explains it.
 *
 * Every hook is called with the coordinator mutex held (the counters need no
 * lock of their own) and is a no-op on NULL (the statistics are off): they
 * sit at a call's start and end, never on the per-execution path. Times are
 * wall-clock microseconds (pfz__now_us), so a thread preempted while it
 * holds the mutex counts that time too. All platforms. */
#ifndef PFZ_CSTATS_H
#define PFZ_CSTATS_H

#include "common.h"

#define PFZ__CSTATS_ENV "PORTFUZZ_COORD_STATS"

typedef struct pfz__cstats pfz__cstats_t;

/** *st = the statistics of a campaign of nworkers workers whose corpus has
 * `entries` entries now (those are not counted as found), or NULL when
 * PORTFUZZ_COORD_STATS is unset or empty. */
void pfz__cstats_open(pfz__cstats_t **st, int nworkers, size_t entries, apr_pool_t *pool);

/** (mu) The time now when the statistics are on, else 0: taken as the mutex
 * is acquired, passed to the hook that ends the section. */
uint64_t pfz__cstats_now(const pfz__cstats_t *st);

/** (mu) Worker `worker`'s next call carries corpus entries [from, to); the
 * section began at `held`. */
void pfz__cstats_handout(pfz__cstats_t *st, int worker, size_t from, size_t to, uint64_t held);

/** (mu) Worker `worker`'s call ended (fuzz: a FUZZ call, else a RUN of a
 * corpus input); the corpus has `entries` entries after what the call
 * brought; the section began at `held`. */
void pfz__cstats_call(pfz__cstats_t *st, int worker, int fuzz, size_t entries, uint64_t held);

/** Writes the file (a warning names it when it cannot be written) and frees
 * the statistics; execs: the campaign's executions; extra: more "key: value"
 * lines (each ending in a newline) for the file, or NULL. No-op on NULL. */
void pfz__cstats_close(pfz__cstats_t *st, uint64_t execs, const char *extra);

#endif
