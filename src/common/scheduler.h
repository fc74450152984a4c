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
size_t pfz__sched_count(const pfz__sched_t *s);
/** Picks an entry to mutate (weighted); the entry stays owned by s. Returns
 * the index; count must be > 0. */
size_t pfz__sched_pick(pfz__sched_t *s, pfz__rng_t *rng);
const uint8_t *pfz__sched_data(const pfz__sched_t *s, size_t i, size_t *size);

#endif /* PFZ_SCHED_H */
