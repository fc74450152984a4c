/* featcache.c -- the on-disk cache of input features (see featcache.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_env.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_time.h>

#include "featcache.h"
#include "sha1.h"

#define MAGIC "portfuzz-ftc-1\n" /* 15 bytes + the NUL: 16 */
#define HDR_LEN 20               /* MAGIC, then a byte-order word */
#define BYTE_ORDER_WORD 0x01020304u
#define REJECTED_BIT 0x80000000u
#define MAX_FEATURES (1u << 24)          /* per record: more is damage */
#define MAX_FILE ((apr_off_t)1 << 28)    /* 256 MiB: a larger file is not read, nor grown */
#define KEEP_FILES 4                     /* cache files kept (the 4 most recent binaries) */
#define LOCK_WAIT_US 2000000             /* an advisory lock is held for one write */

typedef struct record {
    const uint32_t *feats; /* into buf; NULL: recorded by this run (not kept) */
    uint32_t n;
    int rejected;
} record_t;

static const record_t recorded_now = {NULL, 0, 0};

struct pfz__featcache {
    apr_pool_t *pool;
    apr_thread_mutex_t *mu;
    apr_file_t *f;      /* (mu) NULL once recording ended on an error */
    const char *path;
    uint8_t *buf;       /* the records read at open (malloc) */
    apr_hash_t *table;  /* (mu) 20-byte SHA-1 -> record_t */
    apr_off_t size;     /* (mu) the file's size as we know it */
};

static uint32_t check_word(const uint8_t *p, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    size_t i;

    for (i = 0; i < len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

const char *pfz__featcache_default_dir(apr_pool_t *pool)
{
    char *v = NULL;

    if (apr_env_get(&v, "PORTFUZZ_FEATURE_CACHE", pool) == APR_SUCCESS && v != NULL)
        return *v == '\0' || strcmp(v, "0") == 0 ? NULL : v;
#ifdef _WIN32
    if (apr_env_get(&v, "LOCALAPPDATA", pool) == APR_SUCCESS && v != NULL && *v != '\0')
        return apr_pstrcat(pool, v, "\\portfuzz\\features", NULL);
    return NULL;
#else
    if (apr_env_get(&v, "XDG_CACHE_HOME", pool) == APR_SUCCESS && v != NULL && *v == '/')
        return apr_pstrcat(pool, v, "/portfuzz/features", NULL);
    if (apr_env_get(&v, "HOME", pool) == APR_SUCCESS && v != NULL && *v == '/')
        return apr_pstrcat(pool, v, "/.cache/portfuzz/features", NULL);
    return NULL;
#endif
}

/* The SHA-1 of the executable's bytes and the variant, in hex. */
static apr_status_t binary_key(char hex[PFZ__SHA1_HEX_LEN + 1], const char *exe,
                               const char *variant, apr_pool_t *pool)
{
    static const char digits[] = "0123456789abcdef";
    apr_file_t *f;
    pfz__sha1_t ctx;
    uint8_t digest[20], *chunk;
    apr_size_t n;
    apr_status_t st;
    int i;

    if ((st = apr_file_open(&f, exe, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, pool)) != APR_SUCCESS)
        return st;
    if ((chunk = malloc(1u << 20)) == NULL) {
        apr_file_close(f);
        return APR_ENOMEM;
    }
    pfz__sha1_init(&ctx);
    for (;;) {
        n = 1u << 20;
        st = apr_file_read(f, chunk, &n);
        if (n > 0)
            pfz__sha1_update(&ctx, chunk, n);
        if (st != APR_SUCCESS)
            break;
    }
    free(chunk);
    apr_file_close(f);
    if (!APR_STATUS_IS_EOF(st))
        return st;
    pfz__sha1_update(&ctx, "\0", 1);
    pfz__sha1_update(&ctx, variant, strlen(variant));
    pfz__sha1_final(&ctx, digest);
    for (i = 0; i < 20; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[PFZ__SHA1_HEX_LEN] = '\0';
    return APR_SUCCESS;
}

/* Takes the file's advisory lock, waiting a bounded time: a holder writes
 * one record and lets go; one that stopped (SIGSTOP) must not stop us. */
static apr_status_t lock_file(apr_file_t *f)
{
    apr_interval_time_t waited = 0;
    apr_status_t st;

    while ((st = apr_file_lock(f, APR_FLOCK_EXCLUSIVE | APR_FLOCK_NONBLOCK)) != APR_SUCCESS) {
        if (waited >= LOCK_WAIT_US)
            return st;
        apr_sleep(10000);
        waited += 10000;
    }
    return APR_SUCCESS;
}

/* Removes the oldest *.pfc files of dir but ours beyond KEEP_FILES. */
static void prune(const char *dir, const char *ours, apr_pool_t *pool)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    const char *names[64];
    apr_time_t mtimes[64];
    int n = 0, i, oldest;

    if (apr_dir_open(&d, dir, pool) != APR_SUCCESS)
        return;
    while (n < 64 && apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_MTIME | APR_FINFO_TYPE, d) ==
                         APR_SUCCESS) {
        size_t len = fi.name ? strlen(fi.name) : 0;
        if (fi.filetype != APR_REG || len != PFZ__SHA1_HEX_LEN + 4 ||
            strcmp(fi.name + PFZ__SHA1_HEX_LEN, ".pfc") != 0 || strcmp(fi.name, ours) == 0)
            continue;
        names[n] = apr_pstrdup(pool, fi.name);
        mtimes[n++] = fi.mtime;
    }
    apr_dir_close(d);
    while (n > KEEP_FILES - 1) {
        for (oldest = 0, i = 1; i < n; i++)
            if (mtimes[i] < mtimes[oldest])
                oldest = i;
        apr_file_remove(apr_pstrcat(pool, dir, "/", names[oldest], NULL), pool);
        names[oldest] = names[n - 1];
        mtimes[oldest] = mtimes[--n];
    }
}

/* Reads the whole file (the lock held) and indexes its records; a damaged
 * tail is cut off so that appends follow the last good record. */
static apr_status_t load(pfz__featcache_t *fc)
{
    apr_finfo_t fi;
    apr_off_t off = 0, good;
    apr_size_t got = 0;
    apr_status_t st;
    uint32_t order = BYTE_ORDER_WORD;
    size_t nrec = 0;

    if ((st = apr_file_info_get(&fi, APR_FINFO_SIZE, fc->f)) != APR_SUCCESS)
        return st;
    if (fi.size > MAX_FILE) {
        pfz__log("WARNING: feature cache '%s' is larger than %d MiB; starting it afresh",
                 fc->path, (int)(MAX_FILE >> 20));
        fi.size = 0;
    } else if (fi.size > 0) {
        if ((fc->buf = malloc((size_t)fi.size)) == NULL)
            return APR_ENOMEM;
        if ((st = apr_file_seek(fc->f, APR_SET, &off)) != APR_SUCCESS ||
            (st = apr_file_read_full(fc->f, fc->buf, (apr_size_t)fi.size, &got)) != APR_SUCCESS)
            return st;
    }
    if (fi.size < HDR_LEN || memcmp(fc->buf, MAGIC, 16) != 0 ||
        memcmp(fc->buf + 16, &order, 4) != 0) {
        uint8_t hdr[HDR_LEN];
        apr_size_t w;

        if (fi.size > 0)
            pfz__log("WARNING: feature cache '%s' has no valid header (another program's "
                     "file, or another byte order); starting it afresh", fc->path);
        memcpy(hdr, MAGIC, 16);
        memcpy(hdr + 16, &order, 4);
        off = 0;
        if ((st = apr_file_trunc(fc->f, 0)) != APR_SUCCESS ||
            (st = apr_file_seek(fc->f, APR_SET, &off)) != APR_SUCCESS ||
            (st = apr_file_write_full(fc->f, hdr, HDR_LEN, &w)) != APR_SUCCESS)
            return st;
        fc->size = HDR_LEN;
        return APR_SUCCESS;
    }
    good = HDR_LEN;
    while (good + 28 <= fi.size) {
        const uint8_t *p = fc->buf + good;
        uint32_t word, n, check;
        record_t *r;

        memcpy(&word, p + 20, 4);
        n = word & ~REJECTED_BIT;
        if (n > MAX_FEATURES || good + 28 + (apr_off_t)n * 4 > fi.size)
            break;
        memcpy(&check, p + 24 + (size_t)n * 4, 4);
        if (check != check_word(p, 24 + (size_t)n * 4))
            break;
        r = apr_palloc(fc->pool, sizeof *r);
        r->feats = (const uint32_t *)(const void *)(p + 24); /* 4-aligned: HDR_LEN, 28 + 4n */
        r->n = n;
        r->rejected = (word & REJECTED_BIT) != 0;
        apr_hash_set(fc->table, p, 20, r);
        good += 28 + (apr_off_t)n * 4;
        nrec++;
    }
    if (good < fi.size) {
        pfz__log("WARNING: feature cache '%s' is damaged after %zu records (offset %lld of "
                 "%lld); the rest is dropped and rebuilt as inputs run",
                 fc->path, nrec, (long long)good, (long long)fi.size);
        if ((st = apr_file_trunc(fc->f, good)) != APR_SUCCESS)
            return st;
    }
    fc->size = good;
    return APR_SUCCESS;
}

apr_status_t pfz__featcache_open(pfz__featcache_t **out, const char *dir, const char *exe,
                                 const char *variant, apr_pool_t *parent)
{
    pfz__featcache_t *fc;
    apr_pool_t *pool;
    char key[PFZ__SHA1_HEX_LEN + 1];
    const char *name;
    apr_status_t st;

    *out = NULL;
    if ((st = apr_pool_create(&pool, parent)) != APR_SUCCESS)
        return st;
    fc = apr_pcalloc(pool, sizeof *fc);
    fc->pool = pool;
    fc->table = apr_hash_make(pool);
    if ((st = binary_key(key, exe, variant, pool)) != APR_SUCCESS ||
        (st = apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, pool)) != APR_SUCCESS ||
        (st = apr_thread_mutex_create(&fc->mu, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS)
        goto fail;
    name = apr_pstrcat(pool, key, ".pfc", NULL);
    fc->path = apr_pstrcat(pool, dir, "/", name, NULL);
    /* Not APR_FOPEN_APPEND: on Windows APR takes the file's lock itself
     * around an append, which would wait for ever on ours (locks are not
     * reentrant there); every write seeks to the end under our lock. */
    if ((st = apr_file_open(&fc->f, fc->path, APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_CREATE |
                            APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, pool)) !=
        APR_SUCCESS) {
        fc->f = NULL;
        goto fail;
    }
    if ((st = lock_file(fc->f)) != APR_SUCCESS)
        goto fail;
    st = load(fc);
    apr_file_unlock(fc->f);
    if (st != APR_SUCCESS)
        goto fail;
    apr_file_mtime_set(fc->path, apr_time_now(), pool); /* recently used: pruned last */
    prune(dir, name, pool);
    *out = fc;
    return APR_SUCCESS;
fail:
    if (fc->f != NULL)
        apr_file_close(fc->f);
    free(fc->buf);
    apr_pool_destroy(pool);
    return st;
}

void pfz__featcache_close(pfz__featcache_t *fc)
{
    if (fc == NULL)
        return;
    if (fc->f != NULL)
        apr_file_close(fc->f);
    free(fc->buf);
    apr_pool_destroy(fc->pool);
}

const char *pfz__featcache_path(const pfz__featcache_t *fc)
{
    return fc->path;
}

size_t pfz__featcache_count(pfz__featcache_t *fc)
{
    size_t n;

    apr_thread_mutex_lock(fc->mu);
    n = apr_hash_count(fc->table);
    apr_thread_mutex_unlock(fc->mu);
    return n;
}

int pfz__featcache_get(pfz__featcache_t *fc, const uint8_t *data, size_t size,
                       const uint32_t **feats, size_t *n, int *rejected)
{
    pfz__sha1_t ctx;
    uint8_t digest[20];
    const record_t *r;

    pfz__sha1_init(&ctx);
    pfz__sha1_update(&ctx, data, size);
    pfz__sha1_final(&ctx, digest);
    apr_thread_mutex_lock(fc->mu);
    r = apr_hash_get(fc->table, digest, 20);
    apr_thread_mutex_unlock(fc->mu);
    if (r == NULL || r->feats == NULL)
        return 0;
    *feats = r->feats;
    *n = r->n;
    *rejected = r->rejected;
    return 1;
}

void pfz__featcache_put(pfz__featcache_t *fc, const uint8_t *data, size_t size,
                        const uint32_t *feats, size_t n, int rejected)
{
    pfz__sha1_t ctx;
    uint8_t *rec;
    size_t len = 28 + n * 4;
    uint32_t word, check;
    apr_size_t w;
    apr_status_t st;
    char msg[128];

    if (n > MAX_FEATURES || (rec = malloc(len)) == NULL)
        return;
    pfz__sha1_init(&ctx);
    pfz__sha1_update(&ctx, data, size);
    pfz__sha1_final(&ctx, rec);
    apr_thread_mutex_lock(fc->mu);
    if (fc->f == NULL || fc->size + (apr_off_t)len > MAX_FILE ||
        apr_hash_get(fc->table, rec, 20) != NULL) { /* off, full, or known: once is enough */
        apr_thread_mutex_unlock(fc->mu);
        free(rec);
        return;
    }
    word = (uint32_t)n | (rejected ? REJECTED_BIT : 0);
    memcpy(rec + 20, &word, 4);
    if (n > 0)
        memcpy(rec + 24, feats, n * 4);
    check = check_word(rec, 24 + n * 4);
    memcpy(rec + 24 + n * 4, &check, 4);
    /* One write under the lock: a reader never sees half a record of a
     * live writer (a killed one's is cut off at the next open). */
    if ((st = lock_file(fc->f)) == APR_SUCCESS) {
        apr_off_t end = 0;
        if ((st = apr_file_seek(fc->f, APR_END, &end)) == APR_SUCCESS)
            st = apr_file_write_full(fc->f, rec, len, &w);
        apr_file_unlock(fc->f);
    }
    if (st == APR_SUCCESS) {
        fc->size += (apr_off_t)len;
        apr_hash_set(fc->table, apr_pmemdup(fc->pool, rec, 20), 20, &recorded_now);
    } else {
        pfz__log("WARNING: cannot write to the feature cache '%s': %s; inputs that ran from now "
                 "on are not cached (a restart runs them again; nothing found is lost)",
                 fc->path, pfz__strerror(st, msg, sizeof msg));
        apr_file_close(fc->f);
        fc->f = NULL;
    }
    free(rec);
    apr_thread_mutex_unlock(fc->mu);
}
