/* artifact.h -- writing files atomically: findings and corpus entries. */
#ifndef PFZ_ARTIFACT_H
#define PFZ_ARTIFACT_H

#include "common.h"

/** Writes data to path atomically (temp file in the same directory, then
 * rename): a reader never sees a partial file, and a full disk leaves the old
 * state. */
apr_status_t pfz__write_atomic(const char *path, const void *data, size_t len, apr_pool_t *pool);

/** Reads a whole file (malloc'd, caller frees; at most max bytes). */
apr_status_t pfz__read_file(const char *path, uint8_t **data, size_t *len, size_t max,
                            apr_pool_t *pool);

/** Saves a finding as <prefix><kind>-<sha1> (or exact_path when set; a missing
 * directory is created), prints "Test unit written to <path>" and returns the
 * path in *out (pool). When that place cannot be written, the file goes under
 * the same name to the current directory, else to the temp directory: the
 * output says what failed and where it went, *out names it and the result is
 * APR_SUCCESS. Only when no place can be written is the input printed in hex,
 * *out set to NULL and the error returned. */
apr_status_t pfz__artifact_save(const char **out, const char *prefix, const char *exact_path,
                                const char *kind, const void *data, size_t len, apr_pool_t *pool);

#endif
