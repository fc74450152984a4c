/* cstats.c -- the coordinator's opt-in statistics (cstats.h). All platforms.
 *
 * Delays go into log-linear histograms (32 steps per power of two, so a
 * quantile is within about 3%) instead of one sample per hand-off: 64
 * workers x 100,000 entries would otherwise be 6.4 million samples. Per
 * corpus entry we keep when it entered, which worker found it and how many
 * other workers got it (16 bytes an entry, only while the statistics are on). */
#include <stdlib.h>
#include <string.h>

#include <apr_env.h>
#include <apr_strings.h>

#include "artifact.h"
#include "cstats.h"
#include "platform.h"

#define SUB 32                      /* histogram steps per power of two */
#define NBUCKETS (SUB + 40 * SUB)   /* up to 2^45 us */
#define NBANDS 9                    /* corpus sizes <1k, 1k-2k, ... 64k-128k, >=128k */

typedef struct hist {
    uint64_t n, max;
    uint64_t b[NBUCKETS];
} hist_t;

typedef struct band {
    uint64_t new_n, new_us;         /* call ends that added an entry */
    uint64_t plain_n, plain_us;     /* call ends that did not */
    uint64_t pre_n, pre_us, pre_ent; /* call starts, and the entries they handed out */
} band_t;

struct pfz__cstats {
    const char *path;
    apr_pool_t *pool;
    int nworkers;
    uint64_t start_us;
    uint64_t fuzz_calls, run_calls, new_inputs, handed;
    size_t known;                   /* entries seen by the last hook */
    size_t cap;                     /* of the per-entry arrays */
    int lost;                       /* an allocation failed: entries past cap are not tracked */
    uint64_t *added_us;             /* per entry: when it entered */
    int32_t *finder;                /* per entry: the worker that found it; -1: not tracked */
    uint32_t *got;                  /* per entry: other workers that got it */
    size_t *high;                   /* per worker: entries [0, high) were handed to it once */
    hist_t handoff, all_others;
    band_t bands[NBANDS];
};

static size_t bucket_of(uint64_t v)
{
    unsigned e = 0;
    size_t i;

    if (v < SUB)
        return (size_t)v;
    while ((v >> e) >= 2 * SUB)
        e++;
    /* v >> e is in [SUB, 2 SUB): e + 1 doublings above SUB */
    i = SUB + (size_t)e * SUB + (size_t)((v >> e) - SUB);
    return i < NBUCKETS ? i : NBUCKETS - 1;
}

/* The middle of a bucket's range. */
static double bucket_value(size_t i)
{
    unsigned e;

    if (i < SUB)
        return (double)i;
    e = (unsigned)((i - SUB) / SUB);
    return ((double)(SUB + (i - SUB) % SUB) + 0.5) * (double)((uint64_t)1 << e);
}

static void hist_add(hist_t *h, uint64_t v)
{
    h->b[bucket_of(v)]++;
    h->n++;
    if (v > h->max)
        h->max = v;
}

static double hist_quantile(const hist_t *h, double q)
{
    uint64_t want = (uint64_t)(q * (double)h->n), seen = 0;
    size_t i;

    if (h->n == 0)
        return 0;
    if (want >= h->n)
        want = h->n - 1;
    for (i = 0; i < NBUCKETS; i++) {
        seen += h->b[i];
        if (seen > want) /* a bucket's middle may lie past the largest value seen */
            return PFZ_MIN(bucket_value(i), (double)h->max);
    }
    return (double)h->max;
}

static band_t *band_of(pfz__cstats_t *st, size_t entries)
{
    size_t k = 0;

    while (k + 1 < NBANDS && entries >= ((size_t)1024 << k))
        k++;
    return &st->bands[k];
}

void pfz__cstats_open(pfz__cstats_t **out, int nworkers, size_t entries, apr_pool_t *pool)
{
    pfz__cstats_t *st;
    char *v = NULL;

    *out = NULL;
    if (apr_env_get(&v, PFZ__CSTATS_ENV, pool) != APR_SUCCESS || v == NULL || *v == '\0' ||
        nworkers < 1)
        return;
    st = apr_pcalloc(pool, sizeof *st);
    st->path = apr_pstrdup(pool, v);
    st->pool = pool;
    st->nworkers = nworkers;
    st->start_us = pfz__now_us();
    st->known = entries;
    st->high = apr_pcalloc(pool, sizeof *st->high * (size_t)nworkers);
    *out = st;
}

uint64_t pfz__cstats_now(const pfz__cstats_t *st)
{
    return st != NULL ? pfz__now_us() : 0;
}

/* Makes room for entries [0, n); 0 when it cannot (those are not tracked). */
static int reserve(pfz__cstats_t *st, size_t n)
{
    size_t cap = st->cap ? st->cap : 1024;
    uint64_t *a;
    int32_t *f;
    uint32_t *g;

    if (n <= st->cap)
        return 1;
    if (st->lost)
        return 0;
    while (cap < n)
        cap *= 2;
    a = realloc(st->added_us, cap * sizeof *a);
    if (a != NULL)
        st->added_us = a;
    f = a != NULL ? realloc(st->finder, cap * sizeof *f) : NULL;
    if (f != NULL)
        st->finder = f;
    g = f != NULL ? realloc(st->got, cap * sizeof *g) : NULL;
    if (g == NULL) {
        st->lost = 1;
        return 0;
    }
    st->got = g;
    for (; st->cap < cap; st->cap++) { /* the corpus at open: no one's find */
        st->finder[st->cap] = -1;
        st->got[st->cap] = 0;
    }
    return 1;
}

void pfz__cstats_handout(pfz__cstats_t *st, int worker, size_t from, size_t to, uint64_t held)
{
    uint64_t now;
    band_t *b;
    size_t i;

    if (st == NULL || worker < 0 || worker >= st->nworkers)
        return;
    now = pfz__now_us();
    b = band_of(st, to);
    b->pre_n++;
    b->pre_us += now - held;
    if (to > from) {
        b->pre_ent += to - from;
        st->handed += to - from;
    }
    /* Only the first time an entry reaches this worker's slot: a restarted
     * worker gets the whole corpus again, which is no hand-off of a find. */
    for (i = PFZ_MAX(from, st->high[worker]); i < to && i < st->cap; i++) {
        if (st->finder[i] < 0 || st->finder[i] == worker)
            continue;
        hist_add(&st->handoff, now - st->added_us[i]);
        if (++st->got[i] == (uint32_t)(st->nworkers - 1))
            hist_add(&st->all_others, now - st->added_us[i]);
    }
    if (to > st->high[worker])
        st->high[worker] = to;
}

void pfz__cstats_call(pfz__cstats_t *st, int worker, int fuzz, size_t entries, uint64_t held)
{
    uint64_t now;
    band_t *b;
    size_t i;

    if (st == NULL)
        return;
    now = pfz__now_us();
    if (fuzz)
        st->fuzz_calls++;
    else
        st->run_calls++;
    if (fuzz) {
        b = band_of(st, entries);
        if (entries > st->known) {
            b->new_n++;
            b->new_us += now - held;
        } else {
            b->plain_n++;
            b->plain_us += now - held;
        }
    }
    if (entries > st->known) {
        if (fuzz)
            st->new_inputs += entries - st->known;
        if (reserve(st, entries)) {
            for (i = st->known; i < entries; i++) {
                st->added_us[i] = now;
                st->finder[i] = fuzz ? worker : -1; /* a corpus input: no one's find */
                st->got[i] = 0;
            }
        }
        st->known = entries;
    }
}

static double mean(uint64_t sum, uint64_t n)
{
    return n > 0 ? (double)sum / (double)n : 0;
}

void pfz__cstats_close(pfz__cstats_t *st, uint64_t execs, const char *extra)
{
    const char *t;
    uint64_t pre = 0, post = 0, post_new = 0;
    apr_status_t rv;
    char msg[128];
    int k;

    if (st == NULL)
        return;
    for (k = 0; k < NBANDS; k++) {
        pre += st->bands[k].pre_us;
        post += st->bands[k].plain_us + st->bands[k].new_us;
        post_new += st->bands[k].new_us;
    }
    /* APR's formatter knows no %zu: counts go out as uint64. */
    t = apr_psprintf(
        st->pool,
        "# portfuzz coordinator statistics (" PFZ__CSTATS_ENV "); times in microseconds\n"
        "workers: %d\nseconds: %.3f\nexecs: %" APR_UINT64_T_FMT "\nfuzz_calls: %" APR_UINT64_T_FMT
        "\nrun_calls: %" APR_UINT64_T_FMT "\nnew_inputs: %" APR_UINT64_T_FMT
        "\ncorpus_entries: %" APR_UINT64_T_FMT "\nentries_handed: %" APR_UINT64_T_FMT
        "\nhandoffs: %" APR_UINT64_T_FMT "\nhandoff_us_median: %.0f\nhandoff_us_p99: %.0f"
        "\nhandoff_us_max: %" APR_UINT64_T_FMT "\nall_others: %" APR_UINT64_T_FMT
        "\nall_others_us_median: %.0f\nall_others_us_p99: %.0f\nmu_pre_us: %" APR_UINT64_T_FMT
        "\nmu_post_us: %" APR_UINT64_T_FMT "\nmu_post_new_us: %" APR_UINT64_T_FMT
        "\nuntracked: %d\n%s"
        "# band: corpus_lo corpus_hi new_calls new_us_mean plain_calls plain_us_mean "
        "start_calls start_us_mean entries_handed (corpus_hi 0: no bound)\n",
        st->nworkers, (double)(pfz__now_us() - st->start_us) / 1e6, execs, st->fuzz_calls,
        st->run_calls, st->new_inputs, (uint64_t)st->known, st->handed, st->handoff.n,
        hist_quantile(&st->handoff, 0.5), hist_quantile(&st->handoff, 0.99), st->handoff.max,
        st->all_others.n, hist_quantile(&st->all_others, 0.5),
        hist_quantile(&st->all_others, 0.99), pre, post, post_new, st->lost,
        extra != NULL ? extra : "");
    for (k = 0; k < NBANDS; k++) {
        const band_t *b = &st->bands[k];
        if (b->new_n + b->plain_n + b->pre_n == 0)
            continue;
        t = apr_psprintf(st->pool,
                         "%sband: %" APR_UINT64_T_FMT " %" APR_UINT64_T_FMT " %" APR_UINT64_T_FMT
                         " %.1f %" APR_UINT64_T_FMT " %.1f %" APR_UINT64_T_FMT " %.1f %"
                         APR_UINT64_T_FMT "\n",
                         t, k == 0 ? (uint64_t)0 : (uint64_t)1024 << (k - 1),
                         k + 1 == NBANDS ? (uint64_t)0 : (uint64_t)1024 << k, b->new_n,
                         mean(b->new_us, b->new_n), b->plain_n, mean(b->plain_us, b->plain_n),
                         b->pre_n, mean(b->pre_us, b->pre_n), b->pre_ent);
    }
    if ((rv = pfz__write_atomic(st->path, t, strlen(t), st->pool)) != APR_SUCCESS)
        pfz__log("WARNING: cannot write the coordinator statistics to '%s' (" PFZ__CSTATS_ENV
                 "): %s; check that its directory exists and is writable",
                 st->path, pfz__strerror(rv, msg, sizeof msg));
    free(st->added_us);
    free(st->finder);
    free(st->got);
}
