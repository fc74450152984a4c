/* featcache.h -- the features of inputs that already ran, kept on disk so a
 * campaign restarted on the same corpus with the same binary does not run
 * every input again (Centipede keeps such a cache too).
 *
 * One file per binary: <dir>/<sha1 of the executable and the options that
 * change features>.pfc. It holds a header and records appended one at a
 * time: the SHA-1 of an input, its feature count (bit 31: the target
 * rejected it, returning -1), the features, a check word. Records are
 * appended under an advisory file lock, so several campaigns (and -jobs
 * processes) can share a file; a damaged tail (a process killed mid-write, a
 * full disk) is dropped when the file is opened. It is only a cache: every
 * error leaves the campaign to run its inputs as if there were none.
 *
 * Thread-safe: a mutex guards the table and the file (client threads record
 * corpus inputs as they finish). */
#ifndef PFZ_FEATCACHE_H
#define PFZ_FEATCACHE_H

#include "common.h"

typedef struct pfz__featcache pfz__featcache_t;

/** Where the cache lives unless -feature_cache says: $PORTFUZZ_FEATURE_CACHE
 * if set, else $XDG_CACHE_HOME/portfuzz/features, ~/.cache/portfuzz/features
 * (%LOCALAPPDATA%\portfuzz\features on Windows). NULL: the cache is off
 * (the variable is "0" or empty, or there is no home directory). */
const char *pfz__featcache_default_dir(apr_pool_t *pool);

/** Opens (creating dir and the file as needed) the cache of the executable
 * exe; variant names what else changes features (e.g. "vp=1"). Older cache
 * files of other binaries beyond the 4 most recent are removed. On error the
 * status says why and *fc is NULL. */
apr_status_t pfz__featcache_open(pfz__featcache_t **fc, const char *dir, const char *exe,
                                 const char *variant, apr_pool_t *pool);
void pfz__featcache_close(pfz__featcache_t *fc);

/** The cache file's path, and the number of inputs it knows (read at open
 * or recorded since). */
const char *pfz__featcache_path(const pfz__featcache_t *fc);
size_t pfz__featcache_count(pfz__featcache_t *fc);

/** 1 when the input's features were read from the file at open: *feats
 * (valid until close) and *n hold them, *rejected is 1 when the target
 * rejected the input. */
int pfz__featcache_get(pfz__featcache_t *fc, const uint8_t *data, size_t size,
                       const uint32_t **feats, size_t *n, int *rejected);

/** Records an input's features (all of them, as one RUN reports), unless
 * the cache knows the input already. Errors are reported once (a WARNING
 * naming the file) and end the recording. */
void pfz__featcache_put(pfz__featcache_t *fc, const uint8_t *data, size_t size,
                        const uint32_t *feats, size_t n, int rejected);

#endif
