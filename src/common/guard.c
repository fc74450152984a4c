/* guard.c -- lock + closed flag in front of a shared-memory region (guard.h). */
#include <string.h>

#include "guard.h"

apr_status_t pfz__guard_init(pfz__guard_t *g, pfz__shm_t *shm, apr_pool_t *pool)
{
    g->shm = shm;
    g->closed = 0;
    g->region_size = pfz__shm_size(shm);
    g->value_capacity = g->inbox_offset = g->inbox_capacity = 0;
    return apr_thread_mutex_create(&g->mu, APR_THREAD_MUTEX_DEFAULT, pool);
}

apr_status_t pfz__guard_lock(pfz__guard_t *g, pfz__shm_hdr_t **hdr)
{
    apr_thread_mutex_lock(g->mu);
    if (g->closed) {
        apr_thread_mutex_unlock(g->mu);
        *hdr = NULL;
        return PFZ_ESHMCLOSED;
    }
    *hdr = pfz__shm_base(g->shm);
    return APR_SUCCESS;
}

void pfz__guard_unlock(pfz__guard_t *g)
{
    apr_thread_mutex_unlock(g->mu);
}

pfz__shm_t *pfz__guard_shm(pfz__guard_t *g)
{
    return g->shm;
}

/* Layout: header | value (value_capacity, 64-byte aligned) | inbox. Computed
 * from the private copies only; the shared header is written, never read. */
apr_status_t pfz__guard_reserve(pfz__guard_t *g, pfz__shm_hdr_t **hdr, uint64_t value_capacity,
                                uint64_t inbox_capacity)
{
    uint64_t vcap, icap, need;
    apr_status_t st;

    if (g->value_capacity >= value_capacity && g->inbox_capacity >= inbox_capacity) {
        pfz__guard_publish(g, *hdr);
        return APR_SUCCESS;
    }
    vcap = PFZ_MAX(g->value_capacity, (value_capacity + 63) & ~(uint64_t)63);
    icap = PFZ_MAX(g->inbox_capacity, inbox_capacity);
    icap = icap + icap / 2 + 4096; /* grow geometrically: few re-maps */
    need = PFZ__SHM_VALUE_OFFSET + vcap + icap;
    if (vcap > (uint64_t)(apr_size_t)-1 || need > (uint64_t)(apr_size_t)-1 || need < vcap)
        return PFZ_ETOOBIG;
    if (need > pfz__shm_size(g->shm)) {
        if ((st = pfz__shm_grow(g->shm, (apr_size_t)need)) != APR_SUCCESS)
            return st;
        *hdr = pfz__shm_base(g->shm);
    }
    g->region_size = pfz__shm_size(g->shm);
    g->value_capacity = vcap;
    g->inbox_offset = PFZ__SHM_VALUE_OFFSET + vcap;
    g->inbox_capacity = g->region_size - g->inbox_offset;
    pfz__guard_publish(g, *hdr);
    return APR_SUCCESS;
}

void pfz__guard_publish(pfz__guard_t *g, pfz__shm_hdr_t *hdr)
{
    hdr->magic = PFZ__SHM_MAGIC;
    hdr->version = PFZ__SHM_VERSION;
    hdr->region_size = g->region_size;
    hdr->value_capacity = g->value_capacity;
    hdr->inbox_offset = g->inbox_offset;
    hdr->inbox_capacity = g->inbox_capacity;
}

int pfz__guard_header_intact(const pfz__guard_t *g, const pfz__shm_hdr_t *hdr)
{
    return hdr->magic == PFZ__SHM_MAGIC && hdr->version == PFZ__SHM_VERSION &&
           hdr->region_size == g->region_size && hdr->value_capacity == g->value_capacity &&
           hdr->inbox_offset == g->inbox_offset && hdr->inbox_capacity == g->inbox_capacity;
}

uint64_t pfz__guard_value_capacity(const pfz__guard_t *g)
{
    return g->value_capacity;
}

void pfz__guard_close(pfz__guard_t *g)
{
    apr_thread_mutex_lock(g->mu);
    if (!g->closed) {
        g->closed = 1;
        pfz__shm_close(g->shm);
    }
    apr_thread_mutex_unlock(g->mu);
}
