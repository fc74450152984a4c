/* scheduler.h -- a worker's local copy of the corpus and the choice of which entry
 * to mutate next. The coordinator alone decides what is in the corpus; every
 * worker mirrors it (entries arrive through the shared-memory inbox) and
 * weights entries by the rarity of the features they cover (see sched.c for the
 * scheme and why). Owned by the worker's fuzzing thread; not thread-safe. */
#ifndef PFZ_SCHEDULER_H
#define PFZ_SCHEDULER_H

#include "common.h"

typedef struct pfz__sched pfz__sched_t;

apr_status_t pfz__sched_create(pfz__sched_t **s, apr_pool_t *pool);
void pfz__sched_destroy(pfz__sched_t *s);
/** Adds a copy of an entry with its features (sorted, unique) and its
 * execution time in microseconds. */
apr_status_t pfz__sched_add(pfz__sched_t *s, const uint8_t *data, size_t size,
                            const uint32_t *features, size_t nfeatures, uint64_t exec_us);
/** Puts entry i: appends it when i == count, replaces entry i when i < count
 * (a reduced input took its place), APR_EINVAL otherwise. `owned` (sorted,
 * unique, may be empty) are the features the coordinator credits to this entry:
 * an input mutated from it that is smaller and reaches all of them may replace
 * it (REDUCE). */
apr_status_t pfz__sched_put(pfz__sched_t *s, size_t i, const uint8_t *data, size_t size,
                            const uint32_t *features, size_t nfeatures, const uint32_t *owned,
                            size_t nowned, uint64_t exec_us);
/** The owned features of entry i (NULL and 0 if none). */
const uint32_t *pfz__sched_owned(const pfz__sched_t *s, size_t i, size_t *n);
size_t pfz__sched_count(const pfz__sched_t *s);
/** Picks an entry to mutate (weighted); the entry stays owned by s. Returns
 * the index; count must be > 0. */
size_t pfz__sched_pick(pfz__sched_t *s, pfz__rng_t *rng);
const uint8_t *pfz__sched_data(const pfz__sched_t *s, size_t i, size_t *size);

#endif /* PFZ_SCHEDULER_H */
