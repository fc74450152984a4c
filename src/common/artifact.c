/* artifact.c -- atomic file writes, findings, whole-file reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_time.h>
#include <apr_strings.h>

#include "artifact.h"
#include "platform.h"
#include "sha1.h"

/* The temporary file is opened with the default permissions (0666 less the
 * umask on POSIX, like any file a program writes: apr_file_mktemp would make
 * it 0600, unreadable to the other users of a shared corpus). Its name must be
 * unique across threads and processes: O_EXCL plus a fresh name on collision. */
apr_status_t pfz__write_atomic(const char *path, const void *data, size_t len, apr_pool_t *pool)
{
    static volatile apr_uint32_t counter;
    char *tmpl = NULL;
    apr_file_t *f = NULL;
    apr_size_t done = 0;
    apr_status_t st = APR_EEXIST;
    int attempt;

    for (attempt = 0; attempt < 16 && APR_STATUS_IS_EEXIST(st); attempt++) {
        uint64_t r = (uint64_t)apr_time_now() * 0x9E3779B97F4A7C15ull ^
                     (uint64_t)(uintptr_t)&f * 0xBF58476D1CE4E5B9ull ^
                     (uint64_t)apr_atomic_inc32(&counter) << 40;
        tmpl = apr_psprintf(pool, "%s.tmp.%016" APR_UINT64_T_HEX_FMT, path, r);
        st = apr_file_open(&f, tmpl, APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_EXCL |
                           APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, pool);
    }
    if (st != APR_SUCCESS)
        return st;
    if (len > 0)
        st = apr_file_write_full(f, data, len, &done);
    if (st == APR_SUCCESS)
        st = apr_file_flush(f);
    if (apr_file_close(f) != APR_SUCCESS && st == APR_SUCCESS)
        st = APR_EGENERAL;
    if (st == APR_SUCCESS)
        st = apr_file_rename(tmpl, path, pool);
    if (st != APR_SUCCESS)
        apr_file_remove(tmpl, pool);
    return st;
}

/* Reads f to its end, up to max bytes: a pipe (<(...), /dev/fd/N) or a
 * device has no size to go by. */
static apr_status_t read_stream(apr_file_t *f, uint8_t **out, apr_size_t *got, size_t max)
{
    apr_size_t cap = 0, n;
    uint8_t *buf = NULL, *nb;
    apr_status_t st = APR_SUCCESS;

    *got = 0;
    while (st == APR_SUCCESS && *got < max) {
        if (*got == cap) {
            cap = cap ? PFZ_MIN(cap * 2, max) : PFZ_MIN((size_t)65536, max);
            if ((nb = realloc(buf, cap)) == NULL) {
                st = APR_ENOMEM;
                break;
            }
            buf = nb;
        }
        n = cap - *got;
        st = apr_file_read(f, buf + *got, &n);
        *got += n;
    }
    if (APR_STATUS_IS_EOF(st))
        st = APR_SUCCESS;
    if (st != APR_SUCCESS) {
        free(buf);
        return st;
    }
    *out = buf != NULL ? buf : malloc(1);
    return *out != NULL ? APR_SUCCESS : APR_ENOMEM;
}

apr_status_t pfz__read_file(const char *path, uint8_t **data, size_t *len, size_t max,
                            apr_pool_t *pool)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t got = 0, n;
    uint8_t *buf;
    apr_status_t st;

    *data = NULL;
    *len = 0;
    st = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, pool);
    if (st != APR_SUCCESS)
        return st;
    if ((st = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f)) != APR_SUCCESS &&
        !APR_STATUS_IS_INCOMPLETE(st)) {
        apr_file_close(f);
        return st;
    }
    if (fi.filetype != APR_REG) {
        st = read_stream(f, &buf, &got, max);
        apr_file_close(f);
        if (st == APR_SUCCESS) {
            *data = buf;
            *len = got;
        }
        return st;
    }
    n = (apr_size_t)PFZ_MIN((apr_off_t)max, fi.size);
    buf = malloc(n ? n : 1);
    if (buf == NULL) {
        apr_file_close(f);
        return APR_ENOMEM;
    }
    if (n > 0) {
        st = apr_file_read_full(f, buf, n, &got);
        if (APR_STATUS_IS_EOF(st))
            st = APR_SUCCESS; /* the file shrank meanwhile: take what is there */
    }
    apr_file_close(f);
    if (st != APR_SUCCESS) {
        free(buf);
        return st;
    }
    *data = buf;
    *len = got;
    return APR_SUCCESS;
}

/* The directory part of path ("" when there is none). */
static const char *dir_of(const char *path, apr_pool_t *pool)
{
    const char *slash = strrchr(path, '/'), *bslash = strrchr(path, '\\');

    if (bslash != NULL && (slash == NULL || bslash > slash))
        slash = bslash;
    return slash != NULL ? apr_pstrndup(pool, path, (apr_size_t)(slash - path)) : "";
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/'), *bslash = strrchr(path, '\\');

    if (bslash != NULL && (slash == NULL || bslash > slash))
        slash = bslash;
    return slash != NULL ? slash + 1 : path;
}

/* Writes to path, creating its directory first if it is missing: a user who
 * names -artifact_prefix=out/crashes/ means that directory. */
static apr_status_t write_creating_dir(const char *path, const void *data, size_t len,
                                       apr_pool_t *pool)
{
    apr_status_t st = pfz__write_atomic(path, data, len, pool);
    const char *dir;

    if (APR_STATUS_IS_ENOENT(st) && *(dir = dir_of(path, pool)) != '\0' &&
        apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, pool) == APR_SUCCESS)
        st = pfz__write_atomic(path, data, len, pool);
    return st;
}

/* A finding must survive a bad -artifact_prefix or a full disk: when the
 * requested place cannot be written, the artifact goes (under its own name)
 * to the current directory, else to the temp directory, and the output says
 * where and why. Returns the path written, or NULL. */
static const char *write_fallback(const char *path, const void *data, size_t len,
                                  apr_pool_t *pool)
{
    const char *base = base_of(path), *cand[2];
    char *cwd = NULL;
    int i;

    if (*base == '\0')
        return NULL;
    cand[0] = apr_filepath_get(&cwd, 0, pool) == APR_SUCCESS
                  ? apr_pstrcat(pool, cwd, "/", base, NULL) : base;
    cand[1] = apr_pstrcat(pool, pfz__temp_dir(pool), "/", base, NULL);
    for (i = 0; i < 2; i++)
        if (strcmp(cand[i], path) != 0 && pfz__write_atomic(cand[i], data, len, pool) == APR_SUCCESS)
            return cand[i];
    return NULL;
}

/* libFuzzer's "Base64: ..." line, for inputs of up to 256 bytes. */
static void print_base64(const void *data, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *d = data;
    char out[4 * ((256 + 2) / 3) + 1];
    size_t i, o = 0;

    if (len > 256)
        return;
    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < len ? (uint32_t)d[i + 1] << 8 : 0);
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    pfz__log("Base64: %s", out);
}

apr_status_t pfz__artifact_save(const char **out, const char *prefix, const char *exact_path,
                                const char *kind, const void *data, size_t len, apr_pool_t *pool)
{
    char hex[PFZ__SHA1_HEX_LEN + 1], msg[256];
    const char *path, *fallback;
    apr_status_t st;

    if (out != NULL)
        *out = NULL;
    pfz__sha1_hex(data, len, hex);
    path = exact_path ? exact_path
           : strncmp(kind, "minimized-from-", 15) == 0 ? apr_pstrcat(pool, prefix ? prefix : "", kind, NULL)
                                                      : apr_pstrcat(pool, prefix ? prefix : "", kind, "-", hex, NULL);
    st = write_creating_dir(path, data, len, pool);
    if (st == APR_SUCCESS) {
        pfz__log("artifact_prefix='%s'; Test unit written to %s", prefix ? prefix : "", path);
        print_base64(data, len);
        if (out != NULL)
            *out = path;
        return APR_SUCCESS;
    }
    pfz__strerror(st, msg, sizeof msg);
    if ((fallback = write_fallback(path, data, len, pool)) != NULL) {
        pfz__log("ERROR: cannot write the %s artifact to '%s': %s. It was written to '%s' instead; "
                 "fix -artifact_prefix / -exact_artifact_path (or free disk space) for the next run.",
                 kind, path, msg, fallback);
        pfz__log("artifact_prefix='%s'; Test unit written to %s", prefix ? prefix : "", fallback);
        print_base64(data, len);
        if (out != NULL)
            *out = fallback;
        return APR_SUCCESS;
    }
    pfz__log("ERROR: cannot write the %s artifact to '%s': %s, nor to the current or the temp "
             "directory. The input (%zu bytes, sha1 %s) follows in hex so it is not lost; free "
             "disk space or fix -artifact_prefix.", kind, path, msg, len, hex);
    {
        size_t i;
        char *h = malloc(2 * len + 1);
        if (h != NULL) {
            for (i = 0; i < len; i++)
                sprintf(h + 2 * i, "%02x", ((const uint8_t *)data)[i]);
            h[2 * len] = '\0';
            fprintf(stderr, "%s\n", h);
            free(h);
        }
    }
    return st;
}
