/* guard.h -- the only way to reach a worker's shared-memory region.
 *
 * A guard is a mutex plus a `closed` flag in front of a region. Locking it
 * yields the region's header, or PFZ_ESHMCLOSED once the region was closed
 * (and then the guard is NOT held). pfz__guard_close takes the lock, marks the
 * guard closed and unmaps the region, so no thread can be inside the region
 * while it disappears, and none can enter it afterwards.
 *
 * The layout of the region (its size, the value's capacity, where the inbox
 * is and how big) lives here, in coordinator-private memory: the worker --
 * that is, the fuzz target -- can write anything into the shared header, so
 * the coordinator writes the layout there for the worker before every call
 * and never reads it back; what it does read back (value_len, counters) is
 * checked against these copies.
 *
 * Ownership: the guard owns the region (pfz__shm_t) from pfz__guard_init on.
 * Lock order: a worker's call mutex, then its guard, then its process mutex.
 */
#ifndef PFZ_GUARD_H
#define PFZ_GUARD_H

#include <apr_thread_mutex.h>

#include "common.h"
#include "platform.h"
#include "wire.h"

typedef struct pfz__guard {
    apr_thread_mutex_t *mu;
    pfz__shm_t *shm; /* protected by mu */
    int closed;      /* protected by mu */
    /* The layout, protected by mu (see above). */
    uint64_t region_size, value_capacity, inbox_offset, inbox_capacity;
} pfz__guard_t;

apr_status_t pfz__guard_init(pfz__guard_t *g, pfz__shm_t *shm, apr_pool_t *pool);

/** Locks the guard and returns the header of the mapped region, or returns
 * PFZ_ESHMCLOSED (guard not held) when the region was closed. */
apr_status_t pfz__guard_lock(pfz__guard_t *g, pfz__shm_hdr_t **hdr);
void pfz__guard_unlock(pfz__guard_t *g);

/** With the guard held: makes sure the region can hold `value_capacity` bytes of
 * value and `inbox_capacity` bytes of inbox, growing (re-mapping) it if needed.
 * Updates *hdr, which may move. */
apr_status_t pfz__guard_reserve(pfz__guard_t *g, pfz__shm_hdr_t **hdr, uint64_t value_capacity,
                                uint64_t inbox_capacity);

/** With the guard held: writes magic, version and the layout into the
 * shared header (a worker that died may have scribbled over them). */
void pfz__guard_publish(pfz__guard_t *g, pfz__shm_hdr_t *hdr);

/** With the guard held: 1 when the shared header still holds exactly the
 * magic, version and layout that the coordinator published. */
int pfz__guard_header_intact(const pfz__guard_t *g, const pfz__shm_hdr_t *hdr);

/** With the guard held: the value's capacity (coordinator-private). */
uint64_t pfz__guard_value_capacity(const pfz__guard_t *g);

/** With the guard held: the region itself (for spawning a worker on it). */
pfz__shm_t *pfz__guard_shm(pfz__guard_t *g);

/** Closes the region for good: any thread, any time, idempotent. */
void pfz__guard_close(pfz__guard_t *g);

#endif
