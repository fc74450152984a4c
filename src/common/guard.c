/* guard.c -- lock + closed flag in front of a shared-memory region (guard.h). */
#include <string.h>

#include "guard.h"

apr_status_t pfz__guard_init(pfz__guard_t *g, pfz__shm_t *shm, apr_pool_t *pool)
{
    g->shm = shm;
    g->closed = 0;
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

/* Layout: header | value (value_capacity, 64-byte aligned) | inbox. */
apr_status_t pfz__guard_reserve(pfz__guard_t *g, pfz__shm_hdr_t **hdr, uint64_t value_capacity,
                                uint64_t inbox_capacity)
{
    pfz__shm_hdr_t *h = *hdr;
    uint64_t vcap, icap, need;
    apr_status_t st;

    if (h->value_capacity >= value_capacity && h->inbox_capacity >= inbox_capacity)
        return APR_SUCCESS;
    vcap = PFZ_MAX(h->value_capacity, (value_capacity + 63) & ~(uint64_t)63);
    icap = PFZ_MAX(h->inbox_capacity, inbox_capacity);
    if (vcap != h->value_capacity)
        icap = PFZ_MAX(icap, h->inbox_capacity); /* the inbox moves; keep its size */
    icap = icap + icap / 2 + 4096; /* grow geometrically: few re-maps */
    need = PFZ__SHM_VALUE_OFFSET + vcap + icap;
    if (need > (uint64_t)(apr_size_t)-1)
        return PFZ_ETOOBIG;
    if (need > pfz__shm_size(g->shm)) {
        if ((st = pfz__shm_grow(g->shm, (apr_size_t)need)) != APR_SUCCESS)
            return st;
        h = pfz__shm_base(g->shm);
    }
    h->region_size = pfz__shm_size(g->shm);
    h->value_capacity = vcap;
    h->inbox_offset = PFZ__SHM_VALUE_OFFSET + vcap;
    h->inbox_capacity = h->region_size - h->inbox_offset;
    *hdr = h;
    return APR_SUCCESS;
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
