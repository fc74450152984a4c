/* mergectl.c -- libFuzzer's merge control file and the merge's choice of
 * inputs (mergectl.h). All platforms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "coverage.h"
#include "mergectl.h"

#define MAX_FILES 10000000u     /* libFuzzer's limit */
#define MAX_SIZE ((uint64_t)1 << 30)

/* ------------------------------------------------------------ parsing */

/* Reads an unsigned decimal number at *p, after spaces; 0 when there is
 * none, it is followed by something else than a space or the end, or it is
 * over max. */
static int next_num(const char **p, const char *end, uint64_t max, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;

    while (s < end && *s == ' ')
        s++;
    if (s == end || *s < '0' || *s > '9')
        return 0;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        x = x * 10 + (uint64_t)(*s - '0');
        if (x > max)
            return 0;
    }
    if (s < end && *s != ' ')
        return 0;
    *p = s;
    *v = x;
    return 1;
}

static int only_spaces(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p == end;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Reads numbers (each < PFZ__FEATURE_SPACE) up to end into v. */
static const char *read_list(pfz__u32vec_t *v, const char *p, const char *end)
{
    uint64_t x;

    while (!only_spaces(p, end)) {
        if (!next_num(&p, end, PFZ__FEATURE_SPACE - 1, &x))
            return "a number below 2^24 expected";
        if (pfz__u32vec_push(v, (uint32_t)x) != APR_SUCCESS)
            return "out of memory";
    }
    return NULL;
}

void pfz__u32vec_sort_unique(pfz__u32vec_t *v)
{
    size_t i, o = 0;

    qsort(v->v, v->n, sizeof *v->v, cmp_u32);
    for (i = 0; i < v->n; i++)
        if (o == 0 || v->v[o - 1] != v->v[i])
            v->v[o++] = v->v[i];
    v->n = o;
}

/* One record line [p, end): STARTED, FT or COV. *expect is the next STARTED
 * index, *last the last one seen ((size_t)-1: none). */
static const char *record(pfz__mctl_t *m, const char *p, const char *end, size_t *expect,
                          size_t *last)
{
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    size_t wlen = sp ? (size_t)(sp - p) : (size_t)(end - p);
    const char *q = p + wlen, *why;
    uint64_t i, size;
    pfz__mfile_t *f;

    if (!next_num(&q, end, MAX_FILES, &i))
        return "a record must be 'STARTED|FT|COV <index> ...'";
    if (wlen == 7 && memcmp(p, "STARTED", 7) == 0) {
        if (i != *expect || i >= m->nfiles)
            return "STARTED out of order";
        if (!next_num(&q, end, MAX_SIZE, &size) || !only_spaces(q, end))
            return "STARTED needs the input's size (up to 1 GiB)";
        f = &m->files[i];
        f->started = 1;
        f->size = size;
        *last = (size_t)i;
        (*expect)++;
        return NULL;
    }
    if (*last == (size_t)-1 || i != *last)
        return "FT or COV for another input than the last STARTED";
    f = &m->files[i];
    if (wlen == 2 && memcmp(p, "FT", 2) == 0) {
        if (f->done)
            return "a second FT for the same input";
        f->feats.n = 0;
        if ((why = read_list(&f->feats, q, end)) != NULL)
            return why;
        pfz__u32vec_sort_unique(&f->feats);
        f->done = 1;
        return NULL;
    }
    if (wlen == 3 && memcmp(p, "COV", 3) == 0) {
        if ((why = read_list(&f->cov, q, end)) != NULL)
            return why;
        pfz__u32vec_sort_unique(&f->cov);
        return NULL;
    }
    return "unknown record (STARTED, FT or COV expected)";
}

apr_status_t pfz__mctl_parse(pfz__mctl_t *m, const char *text, size_t len, char *err,
                             size_t errlen, apr_pool_t *pool)
{
    size_t valid = len, pos = 0, line = 0, lines = 0, k, expect = 0, last = (size_t)-1, last_at = 0;
    const char *why = NULL;
    uint64_t n = 0, first = 0;

    memset(m, 0, sizeof *m);
    while (valid > 0 && text[valid - 1] != '\n')
        valid--; /* a last line cut short: the writer was killed */
    m->valid_len = valid;
    for (k = 0; k < valid; k++)
        lines += text[k] == '\n';
    while (why == NULL && pos < valid) {
        const char *p = text + pos, *end = memchr(p, '\n', valid - pos);
        line++;
        pos = (size_t)(end - text) + 1;
        if (line == 1) {
            if (!next_num(&p, end, MAX_FILES, &n) || n == 0 || !only_spaces(p, end))
                why = "the number of inputs (1 to 10000000) expected";
            else if (n + 2 > lines)
                why = "fewer paths than the number of inputs says";
        } else if (line == 2) {
            if (!next_num(&p, end, n, &first) || !only_spaces(p, end)) {
                why = "the number of inputs in the first corpus (at most the number of inputs) expected";
            } else {
                m->files = apr_pcalloc(pool, (size_t)n * sizeof *m->files);
                m->nfiles = (size_t)n;
                m->ninitial = (size_t)first;
            }
        } else if (line - 3 < m->nfiles) {
            pfz__mfile_t *f = &m->files[line - 3];
            if (end == p)
                why = "empty path";
            f->path = apr_pstrmemdup(pool, p, (apr_size_t)(end - p));
            f->initial = line - 3 < m->ninitial;
        } else {
            if ((size_t)(end - p) > 8 && memcmp(p, "STARTED ", 8) == 0)
                last_at = (size_t)(p - text);
            why = record(m, p, end, &expect, &last);
        }
    }
    if (why == NULL && line < 2 + n)
        why = line == 0 ? "empty" : "the list of inputs is cut short";
    if (why != NULL) {
        apr_snprintf(err, errlen, "line %lu: %s", (unsigned long)(line ? line : 1), why);
        pfz__mctl_free(m);
        return PFZ_EFORMAT;
    }
    if (last != (size_t)-1 && valid < len && (text[valid] == 'F' || text[valid] == 'C')) {
        /* The writer was killed while it wrote the input's FT or COV: the
         * input ran through, it is no failure. Its records go; it runs again. */
        pfz__mfile_t *f = &m->files[last];
        f->started = f->done = 0;
        f->feats.n = f->cov.n = 0;
        m->valid_len = last_at;
        expect = last;
    } else if (last != (size_t)-1 && !m->files[last].done) {
        m->last_failure = m->files[last].path;
    }
    m->first_unprocessed = expect;
    return APR_SUCCESS;
}

void pfz__mctl_free(pfz__mctl_t *m)
{
    size_t i;

    for (i = 0; m->files != NULL && i < m->nfiles; i++) {
        pfz__u32vec_free(&m->files[i].feats);
        pfz__u32vec_free(&m->files[i].cov);
    }
    m->files = NULL;
    m->nfiles = 0;
}

/* ------------------------------------------------------------ writing */

apr_status_t pfz__mctl_header(char **text, size_t *len, const pfz__mctl_t *m, apr_pool_t *pool)
{
    size_t i, cap = 48, o;
    char *t;

    for (i = 0; i < m->nfiles; i++) {
        if (strchr(m->files[i].path, '\n') != NULL)
            return PFZ_EFORMAT;
        cap += strlen(m->files[i].path) + 1;
    }
    t = apr_palloc(pool, cap);
    o = (size_t)apr_snprintf(t, cap, "%" APR_SIZE_T_FMT "\n%" APR_SIZE_T_FMT "\n", m->nfiles,
                             m->ninitial);
    for (i = 0; i < m->nfiles; i++) {
        size_t l = strlen(m->files[i].path);
        memcpy(t + o, m->files[i].path, l);
        o += l;
        t[o++] = '\n';
    }
    *text = t;
    *len = o;
    return APR_SUCCESS;
}

static size_t put_list(char *t, size_t cap, const char *what, size_t i, const pfz__u32vec_t *v)
{
    size_t o = (size_t)apr_snprintf(t, cap, "%s %" APR_SIZE_T_FMT, what, i), k;

    for (k = 0; v != NULL && k < v->n; k++)
        o += (size_t)apr_snprintf(t + o, cap - o, " %u", (unsigned)v->v[k]);
    t[o++] = '\n';
    return o;
}

char *pfz__mctl_records(size_t i, const pfz__u32vec_t *feats, const pfz__u32vec_t *cov,
                        apr_pool_t *pool)
{
    size_t cap = 64 + 11 * (feats->n + cov->n), o;
    char *t = apr_palloc(pool, cap);

    o = put_list(t, cap, "FT", i, feats);
    o += put_list(t + o, cap - o, "COV", i, cov);
    t[o] = '\0';
    return t;
}

/* ---------------------------------------------------------- selection */

typedef struct cand {
    size_t idx;
    uint64_t size;
    size_t fresh;
} cand_t;

static int by_size_then_features(const void *a, const void *b)
{
    const cand_t *x = a, *y = b;

    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    if (x->fresh != y->fresh)
        return x->fresh > y->fresh ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static size_t missing(const pfz__featset_t *have, const pfz__mfile_t *f)
{
    size_t k, c = 0;

    for (k = 0; k < f->feats.n; k++)
        c += !pfz__featset_has(have, f->feats.v[k]);
    return c;
}

static size_t take(pfz__featset_t *have, const pfz__mfile_t *f)
{
    size_t k, c = 0;

    for (k = 0; k < f->feats.n; k++)
        c += (size_t)pfz__featset_add(have, f->feats.v[k]);
    return c;
}

/* Greedy set cover: the candidate with the most missing features, the
 * smaller (then the earlier) at a tie; candidates with none missing drop out. */
static size_t set_cover(size_t *chosen, cand_t *c, size_t nc, pfz__featset_t *have,
                        pfz__mfile_t *const *files)
{
    size_t nchosen = 0, j;

    for (;;) {
        size_t best = (size_t)-1;
        for (j = 0; j < nc; j++) {
            c[j].fresh = missing(have, files[c[j].idx]);
            if (c[j].fresh == 0) {
                c[j--] = c[--nc];
                continue;
            }
            if (best == (size_t)-1 || c[j].fresh > c[best].fresh ||
                (c[j].fresh == c[best].fresh &&
                 (c[j].size < c[best].size || (c[j].size == c[best].size && c[j].idx < c[best].idx))))
                best = j;
        }
        if (best == (size_t)-1)
            return nchosen;
        take(have, files[c[best].idx]);
        chosen[nchosen++] = c[best].idx;
        c[best] = c[--nc];
    }
}

apr_status_t pfz__mctl_select(size_t *nchosen, size_t *chosen, pfz__mfile_t *const *files, size_t n,
                              int set_cover_merge, size_t *new_features, size_t *new_edges)
{
    pfz__featset_t have, edges0, edges;
    cand_t *c = malloc((n ? n : 1) * sizeof *c);
    size_t i, k, nc = 0, base;
    apr_status_t st = APR_ENOMEM;

    *nchosen = *new_features = *new_edges = 0;
    if (c == NULL)
        return APR_ENOMEM;
    if (pfz__featset_init(&have) != APR_SUCCESS)
        goto no_have;
    if (pfz__featset_init(&edges0) != APR_SUCCESS)
        goto no_edges0;
    if (pfz__featset_init(&edges) != APR_SUCCESS)
        goto no_edges;
    for (i = 0; i < n; i++)
        if (files[i]->initial) {
            take(&have, files[i]);
            for (k = 0; k < files[i]->cov.n; k++)
                pfz__featset_add(&edges0, files[i]->cov.v[k]);
        }
    base = have.count;
    for (i = 0; i < n; i++) {
        if (files[i]->initial)
            continue;
        for (k = 0; k < files[i]->cov.n; k++)
            if (!pfz__featset_has(&edges0, files[i]->cov.v[k]))
                pfz__featset_add(&edges, files[i]->cov.v[k]);
        if (files[i]->done && (c[nc].fresh = missing(&have, files[i])) > 0) {
            c[nc].idx = i;
            c[nc++].size = files[i]->size;
        }
    }
    *new_edges = edges.count;
    if (set_cover_merge) {
        *nchosen = set_cover(chosen, c, nc, &have, files);
    } else {
        qsort(c, nc, sizeof *c, by_size_then_features);
        for (i = 0; i < nc; i++)
            if (take(&have, files[c[i].idx]) > 0)
                chosen[(*nchosen)++] = c[i].idx;
    }
    *new_features = have.count - base;
    st = APR_SUCCESS;
    pfz__featset_free(&edges);
no_edges:
    pfz__featset_free(&edges0);
no_edges0:
    pfz__featset_free(&have);
no_have:
    free(c);
    return st;
}
