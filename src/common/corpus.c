/* corpus.c -- the coordinator's corpus (corpus.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>

#include "artifact.h"
#include "corpus.h"

apr_status_t pfz__corpus_create(pfz__corpus_t **out, const char *outdir, apr_pool_t *pool)
{
    pfz__corpus_t *c = apr_pcalloc(pool, sizeof *c);
    apr_status_t st;

    c->pool = pool;
    c->outdir = outdir;
    c->entries = apr_array_make(pool, 256, sizeof(pfz__entry_t *));
    c->by_sha1 = apr_hash_make(pool);
    if ((st = pfz__featset_init(&c->features)) != APR_SUCCESS)
        return st;
    if ((st = pfz__featset_init(&c->edges)) != APR_SUCCESS) {
        pfz__featset_free(&c->features);
        return st;
    }
    *out = c;
    return APR_SUCCESS;
}

void pfz__corpus_destroy(pfz__corpus_t *c)
{
    int i;

    for (i = 0; i < c->entries->nelts; i++) {
        free(APR_ARRAY_IDX(c->entries, i, pfz__entry_t *)->data);
        free(APR_ARRAY_IDX(c->entries, i, pfz__entry_t *)->owned);
        free(APR_ARRAY_IDX(c->entries, i, pfz__entry_t *)->feats);
    }
    pfz__u32vec_free(&c->replace_log);
    pfz__featset_free(&c->features);
    pfz__featset_free(&c->edges);
    pfz__u32vec_free(&c->feature_log);
}

void pfz__corpus_keep_features(pfz__corpus_t *c, size_t idx, const uint32_t *features,
                               size_t nfeatures, uint64_t exec_us)
{
    pfz__entry_t *e;
    uint32_t *copy = NULL;

    if (idx >= (size_t)c->entries->nelts)
        return;
    e = APR_ARRAY_IDX(c->entries, idx, pfz__entry_t *);
    if (nfeatures > 0 && (copy = malloc(nfeatures * sizeof *copy)) != NULL)
        memcpy(copy, features, nfeatures * sizeof *copy);
    free(e->feats);
    e->feats = copy;
    e->nfeats = copy != NULL ? nfeatures : 0;
    e->exec_us = exec_us;
}

int pfz__corpus_has(const pfz__corpus_t *c, const uint8_t *data, size_t size)
{
    char hex[PFZ__SHA1_HEX_LEN + 1];

    pfz__sha1_hex(data, size, hex);
    return apr_hash_get(c->by_sha1, hex, APR_HASH_KEY_STRING) != NULL;
}

int pfz__corpus_has_name(const pfz__corpus_t *c, const char *name)
{
    return apr_hash_get(c->by_sha1, name, APR_HASH_KEY_STRING) != NULL;
}

int pfz__corpus_offer(pfz__corpus_t *c, const uint8_t *data, size_t size, const uint32_t *features,
                      size_t nfeatures, int force, apr_status_t *st)
{
    pfz__entry_t *e;
    char hex[PFZ__SHA1_HEX_LEN + 1];
    size_t i, fresh = 0;

    *st = APR_SUCCESS;
    for (i = 0; i < nfeatures; i++)
        if (!pfz__featset_has(&c->features, features[i]))
            fresh++;
    if (fresh == 0 && !force)
        return 0;
    pfz__sha1_hex(data, size, hex);
    if (apr_hash_get(c->by_sha1, hex, APR_HASH_KEY_STRING) != NULL)
        return 0;
    e = apr_pcalloc(c->pool, sizeof *e);
    e->data = malloc(size ? size : 1);
    if (e->data == NULL) {
        *st = APR_ENOMEM;
        return 0;
    }
    e->owned = malloc((fresh ? fresh : 1) * sizeof *e->owned);
    if (e->owned == NULL) {
        free(e->data);
        *st = APR_ENOMEM;
        return 0;
    }
    memcpy(e->data, data, size);
    e->size = size;
    e->ours = 1;
    memcpy(e->sha1, hex, sizeof hex);
    for (i = 0; i < nfeatures; i++) {
        if (pfz__featset_add(&c->features, features[i])) {
            if (e->nowned < fresh)
                e->owned[e->nowned++] = features[i];
            if ((*st = pfz__u32vec_push(&c->feature_log, features[i])) != APR_SUCCESS)
                break;
            if (pfz__featset_add(&c->edges, features[i] >> 3))
                c->nedges++;
        }
    }
    APR_ARRAY_PUSH(c->entries, pfz__entry_t *) = e;
    apr_hash_set(c->by_sha1, e->sha1, APR_HASH_KEY_STRING, e);
    c->total_bytes += size;
    if (c->outdir != NULL && *st == APR_SUCCESS && c->writer != NULL) {
        *st = pfz__cwriter_put(c->writer, hex, data, size, 1, NULL);
    } else if (c->outdir != NULL && *st == APR_SUCCESS) {
        apr_pool_t *tmp;
        if (apr_pool_create(&tmp, c->pool) == APR_SUCCESS) {
            const char *path = apr_pstrcat(tmp, c->outdir, "/", hex, NULL);
            apr_finfo_t fi;
            /* A restarted campaign offers the entries it wrote last time:
             * a file of that name and size is that entry (names are the
             * SHA-1 of the content), not to be written again. */
            if (apr_stat(&fi, path, APR_FINFO_SIZE | APR_FINFO_TYPE, tmp) != APR_SUCCESS ||
                fi.filetype != APR_REG || fi.size != (apr_off_t)size)
                *st = pfz__write_atomic(path, data, size, tmp);
            apr_pool_destroy(tmp);
        }
    }
    return 1;
}

void pfz__corpus_mark_seed(pfz__corpus_t *c)
{
    if (c->entries->nelts > 0)
        APR_ARRAY_IDX(c->entries, c->entries->nelts - 1, pfz__entry_t *)->ours = 0;
}

int pfz__corpus_replace(pfz__corpus_t *c, size_t idx, const uint8_t *data, size_t size,
                        apr_status_t *st)
{
    pfz__entry_t *e;
    char hex[PFZ__SHA1_HEX_LEN + 1], old[PFZ__SHA1_HEX_LEN + 1];
    uint8_t *copy;
    int was_ours;

    *st = APR_SUCCESS;
    if (idx >= (size_t)c->entries->nelts)
        return 0;
    e = APR_ARRAY_IDX(c->entries, idx, pfz__entry_t *);
    if (size >= e->size)
        return 0;
    pfz__sha1_hex(data, size, hex);
    if (apr_hash_get(c->by_sha1, hex, APR_HASH_KEY_STRING) != NULL)
        return 0;
    if ((copy = malloc(size ? size : 1)) == NULL) {
        *st = APR_ENOMEM;
        return 0;
    }
    if ((*st = pfz__u32vec_push(&c->replace_log, (uint32_t)idx)) != APR_SUCCESS) {
        free(copy);
        return 0;
    }
    memcpy(copy, data, size);
    apr_hash_set(c->by_sha1, e->sha1, APR_HASH_KEY_STRING, NULL);
    memcpy(old, e->sha1, sizeof old);
    was_ours = e->ours;
    free(e->data);
    free(e->feats); /* they were the old content's */
    e->feats = NULL;
    e->nfeats = 0;
    e->exec_us = 0;
    c->total_bytes -= e->size;
    e->data = copy;
    e->size = size;
    e->ours = 1;
    memcpy(e->sha1, hex, sizeof hex);
    apr_hash_set(c->by_sha1, e->sha1, APR_HASH_KEY_STRING, e);
    c->total_bytes += size;
    if (c->outdir != NULL && c->writer != NULL) {
        *st = pfz__cwriter_put(c->writer, hex, data, size, 0, was_ours ? old : NULL);
    } else if (c->outdir != NULL) {
        apr_pool_t *tmp;
        if (apr_pool_create(&tmp, c->pool) == APR_SUCCESS) {
            *st = pfz__write_atomic(apr_pstrcat(tmp, c->outdir, "/", hex, NULL), data, size, tmp);
            /* The old file goes only once the new one is safely there. */
            if (*st == APR_SUCCESS && was_ours)
                (void)apr_file_remove(apr_pstrcat(tmp, c->outdir, "/", old, NULL), tmp);
            apr_pool_destroy(tmp);
        }
    }
    return 1;
}

apr_status_t pfz__list_tree(apr_array_header_t *files, apr_array_header_t *skipped,
                            apr_array_header_t *stamps, const char *dir, apr_pool_t *pool)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t st;

    if (stamps != NULL) {
        /* Before the entries are read: a file added meanwhile moves the
         * directory's time past the one recorded, so it is seen next time. */
        pfz__dirstamp_t *ds;
        if ((st = apr_stat(&fi, dir, APR_FINFO_MTIME, pool)) != APR_SUCCESS)
            return st;
        ds = &APR_ARRAY_PUSH(stamps, pfz__dirstamp_t);
        ds->path = dir;
        ds->mtime = fi.mtime;
    }
    if ((st = apr_dir_open(&d, dir, pool)) != APR_SUCCESS)
        return st;
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        const char *path;
        apr_finfo_t to;
        if (fi.name[0] == '.')
            continue; /* ., .., hidden files and our own .tmp files */
        if (strstr(fi.name, ".tmp.") != NULL)
            continue;
        path = apr_pstrcat(pool, dir, "/", fi.name, NULL);
        if (fi.filetype == APR_DIR) {
            pfz__list_tree(files, skipped, stamps, path, pool);
        } else if (fi.filetype == APR_REG) {
            APR_ARRAY_PUSH(files, const char *) = path;
        } else if (fi.filetype == APR_LNK && apr_stat(&to, path, APR_FINFO_TYPE, pool) == APR_SUCCESS &&
                   to.filetype == APR_REG) {
            APR_ARRAY_PUSH(files, const char *) = path;
        } else if (skipped != NULL) {
            /* A FIFO (or a link to one) would block the open for ever; a
             * link to a directory may loop; a dangling link has nothing. */
            APR_ARRAY_PUSH(skipped, const char *) = path;
        }
    }
    apr_dir_close(d);
    return APR_SUCCESS;
}

apr_status_t pfz__list_inputs(apr_array_header_t *files, apr_array_header_t *skipped,
                              const char *dir, apr_pool_t *pool)
{
    return pfz__list_tree(files, skipped, NULL, dir, pool);
}

/* FAT keeps times to 2 s; most network file systems to 1 s. */
#define COARSE_TICK_US 2000000

int pfz__dirs_unchanged(const apr_array_header_t *stamps, apr_time_t taken, apr_pool_t *pool)
{
    int i;

    for (i = 0; i < stamps->nelts; i++) {
        const pfz__dirstamp_t *ds = &APR_ARRAY_IDX(stamps, i, pfz__dirstamp_t);
        apr_finfo_t fi;

        if (ds->mtime + COARSE_TICK_US >= taken ||
            apr_stat(&fi, ds->path, APR_FINFO_MTIME, pool) != APR_SUCCESS || fi.mtime != ds->mtime)
            return 0;
    }
    return stamps->nelts > 0;
}

apr_status_t pfz__list_files(apr_array_header_t *files, const char *dir, apr_pool_t *pool)
{
    return pfz__list_inputs(files, NULL, dir, pool);
}
