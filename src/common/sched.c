/* sched.c -- a worker's local corpus and the weighted choice of the next
 * entry to mutate. All platforms.
 *
 * The scheme, and why. Entropic (libFuzzer's default) estimates, per entry,
 * the entropy of the rare features its mutants hit; that needs per-execution
 * feature hit counts which workers do not report and which would be different
 * in every worker. We keep the part that matters most and that every worker
 * can compute from what it already has (each entry's feature list):
 *
 *   rarity(e) = sum over features f of e of 1 / freq(f)
 *
 * where freq(f) is the number of corpus entries that have f. A feature found
 * by one entry only is the edge of explored space; mutating the entries that
 * own such features is the best bet for reaching what lies beyond (the same
 * intuition as AFL's "favored" entries and Entropic's rare features). An entry
 * whose features are all common gets little weight but never zero.
 *
 * The weight is rarity(e) times two mild factors: smaller inputs are mutated
 * more usefully (a mutation hits the interesting part more often) and faster
 * ones give more executions per second (AFL's perf score, tamed):
 *   size factor  1 / (1 + log2(1 + size/64))         (1 .. ~0.07)
 *   speed factor clamp(sqrt(avg_us / us), 0.25, 2)   (approximated, no libm)
 *
 * Cost. Adding an entry changes freq of its features, hence the weights of
 * other entries. Recomputing everything on each add would be O(total features)
 * per add, which hurts early in a campaign when new inputs come every few
 * milliseconds. So an added entry gets its weight computed at once (O(its
 * features)) and appended to the cumulative sums (O(1)); the full recompute is
 * deferred until enough picks have happened to amortise it (budget
 * proportional to its cost). pick is then a binary search: O(log n).
 */

#include <stdlib.h>
#include <string.h>

#include "scheduler.h"

typedef struct sched_entry {
    uint8_t *data;
    size_t size;
    uint32_t *features;
    size_t nfeatures;
    uint32_t *owned; /* features credited to this entry (REDUCE) */
    size_t nowned;
    uint64_t exec_us;
} sched_entry_t;

/* freq table: open addressing, key feature+1 (0 = empty). */
typedef struct freq_slot {
    uint32_t key;
    uint32_t count;
} freq_slot_t;

struct pfz__sched {
    sched_entry_t *e;
    size_t n, cap;
    double *cum; /* cum[i] = weight(0) + ... + weight(i) */
    freq_slot_t *freq;
    size_t freq_cap, freq_used;
    size_t total_features; /* sum of nfeatures: cost of a full recompute */
    uint64_t total_us;
    size_t stale;           /* entries added since the last full recompute */
    size_t picks_since;     /* picks since the last full recompute */
};

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

static freq_slot_t *freq_find(freq_slot_t *t, size_t cap, uint32_t f)
{
    size_t i = hash32(f) & (cap - 1);
    uint32_t key = f + 1;
    while (t[i].key != 0 && t[i].key != key)
        i = (i + 1) & (cap - 1);
    return &t[i];
}

static uint32_t freq_get(const pfz__sched_t *s, uint32_t f)
{
    const freq_slot_t *sl = freq_find(s->freq, s->freq_cap, f);
    return sl->key ? sl->count : 0;
}

static int freq_grow(pfz__sched_t *s)
{
    size_t ncap = s->freq_cap ? s->freq_cap * 2 : 4096, i;
    freq_slot_t *nt = (freq_slot_t *)calloc(ncap, sizeof(*nt));
    if (nt == NULL)
        return 0;
    for (i = 0; i < s->freq_cap; i++)
        if (s->freq[i].key)
            *freq_find(nt, ncap, s->freq[i].key - 1) = s->freq[i];
    free(s->freq);
    s->freq = nt;
    s->freq_cap = ncap;
    return 1;
}

static int freq_inc(pfz__sched_t *s, uint32_t f)
{
    freq_slot_t *sl;
    if ((s->freq_used + 1) * 2 > s->freq_cap && !freq_grow(s))
        return 0;
    sl = freq_find(s->freq, s->freq_cap, f);
    if (sl->key == 0) {
        sl->key = f + 1;
        sl->count = 0;
        s->freq_used++;
    }
    sl->count++;
    return 1;
}

static void freq_dec(pfz__sched_t *s, uint32_t f)
{
    freq_slot_t *sl = freq_find(s->freq, s->freq_cap, f);
    if (sl->key != 0 && sl->count > 0)
        sl->count--; /* the slot stays (count 0): open addressing keeps probing */
}

/* log2(1 + x) roughly, for x >= 0 (piecewise linear between powers of 2). */
static double log2p1(double x)
{
    double v = 1 + x, r = 0;
    while (v >= 2) {
        v /= 2;
        r += 1;
    }
    return r + (v - 1);
}

/* sqrt of r clamped to [0.25, 2] without libm (r > 0). */
static double speed_factor(double r)
{
    double g;
    int i;
    if (r <= 0.0625)
        return 0.25;
    if (r >= 4)
        return 2;
    g = r < 1 ? 1 : r / 2;
    for (i = 0; i < 6; i++)
        g = (g + r / g) / 2;
    return g;
}

static double entry_weight(const pfz__sched_t *s, const sched_entry_t *e)
{
    double rarity = 0, avg;
    size_t i;
    for (i = 0; i < e->nfeatures; i++) {
        uint32_t c = freq_get(s, e->features[i]);
        rarity += 1.0 / (double)(c ? c : 1);
    }
    if (rarity < 0.01)
        rarity = 0.01; /* never zero: every entry keeps a chance */
    rarity /= 1 + log2p1((double)e->size / 64);
    avg = s->n ? (double)s->total_us / (double)s->n : 0;
    if (avg > 0)
        rarity *= speed_factor((avg + 1) / ((double)e->exec_us + 1));
    return rarity;
}

static void entry_free(sched_entry_t *e)
{
    free(e->data);
    free(e->features);
    free(e->owned);
}

static void recompute(pfz__sched_t *s)
{
    double sum = 0;
    size_t i;
    for (i = 0; i < s->n; i++) {
        sum += entry_weight(s, &s->e[i]);
        s->cum[i] = sum;
    }
    s->stale = 0;
    s->picks_since = 0;
}

apr_status_t pfz__sched_create(pfz__sched_t **sp, apr_pool_t *pool)
{
    pfz__sched_t *s = (pfz__sched_t *)calloc(1, sizeof(*s));
    (void)pool; /* entries come and go with the worker: plain malloc */
    *sp = NULL;
    if (s == NULL)
        return APR_ENOMEM;
    *sp = s;
    return APR_SUCCESS;
}

void pfz__sched_destroy(pfz__sched_t *s)
{
    size_t i;
    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++)
        entry_free(&s->e[i]);
    free(s->e);
    free(s->cum);
    free(s->freq);
    free(s);
}

apr_status_t pfz__sched_put(pfz__sched_t *s, size_t idx, const uint8_t *data, size_t size,
                            const uint32_t *features, size_t nfeatures, const uint32_t *owned,
                            size_t nowned, uint64_t exec_us)
{
    sched_entry_t ne, *e;
    size_t i;
    if (idx > s->n)
        return APR_EINVAL;
    if (idx == s->n && s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        sched_entry_t *ge = (sched_entry_t *)realloc(s->e, ncap * sizeof(*ge));
        double *nc;
        if (ge == NULL)
            return APR_ENOMEM;
        s->e = ge;
        nc = (double *)realloc(s->cum, ncap * sizeof(*nc));
        if (nc == NULL)
            return APR_ENOMEM;
        s->cum = nc;
        s->cap = ncap;
    }
    memset(&ne, 0, sizeof(ne));
    ne.data = (uint8_t *)malloc(size ? size : 1);
    ne.features = (uint32_t *)malloc((nfeatures ? nfeatures : 1) * sizeof(uint32_t));
    ne.owned = (uint32_t *)malloc((nowned ? nowned : 1) * sizeof(uint32_t));
    if (ne.data == NULL || ne.features == NULL || ne.owned == NULL) {
        entry_free(&ne);
        return APR_ENOMEM;
    }
    if (size)
        memcpy(ne.data, data, size);
    if (nfeatures)
        memcpy(ne.features, features, nfeatures * sizeof(uint32_t));
    if (nowned)
        memcpy(ne.owned, owned, nowned * sizeof(uint32_t));
    ne.size = size;
    ne.nfeatures = nfeatures;
    ne.nowned = nowned;
    ne.exec_us = exec_us;
    for (i = 0; i < nfeatures; i++)
        if (!freq_inc(s, features[i])) {
            while (i-- > 0)
                freq_dec(s, features[i]);
            entry_free(&ne);
            return APR_ENOMEM;
        }
    if (idx < s->n) {
        /* Replacement: the old entry's features leave the counts. Its weight
         * (and the others') is refreshed by the next amortised recompute, like
         * after an add; until then the old weight stands. */
        e = &s->e[idx];
        for (i = 0; i < e->nfeatures; i++)
            freq_dec(s, e->features[i]);
        s->total_features -= e->nfeatures;
        s->total_us -= e->exec_us;
        entry_free(e);
        *e = ne;
        s->total_features += nfeatures;
        s->total_us += exec_us;
        s->stale++;
        return APR_SUCCESS;
    }
    e = &s->e[s->n];
    *e = ne;
    s->n++;
    s->total_features += nfeatures;
    s->total_us += exec_us;
    s->cum[s->n - 1] = (s->n > 1 ? s->cum[s->n - 2] : 0) + entry_weight(s, e);
    s->stale++;
    return APR_SUCCESS;
}

apr_status_t pfz__sched_add(pfz__sched_t *s, const uint8_t *data, size_t size,
                            const uint32_t *features, size_t nfeatures, uint64_t exec_us)
{
    return pfz__sched_put(s, s->n, data, size, features, nfeatures, NULL, 0, exec_us);
}

const uint32_t *pfz__sched_owned(const pfz__sched_t *s, size_t i, size_t *n)
{
    if (i >= s->n) {
        *n = 0;
        return NULL;
    }
    *n = s->e[i].nowned;
    return s->e[i].owned;
}

size_t pfz__sched_count(const pfz__sched_t *s)
{
    return s->n;
}

size_t pfz__sched_pick(pfz__sched_t *s, pfz__rng_t *rng)
{
    double u;
    size_t lo, hi;
    if (s->n <= 1)
        return 0;
    /* Refresh the stale weights once enough picks have paid for it: the
     * recompute costs ~total_features lookups, spread over as many picks / 32. */
    if (s->stale && s->picks_since * 32 >= s->total_features)
        recompute(s);
    s->picks_since++;
    u = (double)(pfz__rng_next(rng) >> 11) * (1.0 / 9007199254740992.0) * s->cum[s->n - 1];
    lo = 0;
    hi = s->n - 1;
    while (lo < hi) { /* first i with cum[i] > u */
        size_t mid = lo + (hi - lo) / 2;
        if (s->cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

const uint8_t *pfz__sched_data(const pfz__sched_t *s, size_t i, size_t *size)
{
    if (i >= s->n) {
        *size = 0;
        return NULL;
    }
    *size = s->e[i].size;
    return s->e[i].data;
}
