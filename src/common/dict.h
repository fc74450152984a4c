/* dict.h -- dictionaries in the AFL / libFuzzer format (-dict=FILE), and the
 * automatic dictionary fed by comparison operands. */
#ifndef PFZ_DICT_H
#define PFZ_DICT_H

#include "common.h"

typedef struct pfz__dict pfz__dict_t;

/** Parses dictionary text. Accepts `name="value"`, `"value"`, `name@N="value"`,
 * comments (#) and blank lines; escapes \\ \" \xNN. On a malformed line returns
 * PFZ_EFORMAT and writes "NAME:LINE: what is wrong" into err. A value over
 * the length limit (128 bytes) is skipped and noted (pfz__dict_notes). */
apr_status_t pfz__dict_parse(pfz__dict_t **dict, const char *text, apr_size_t len,
                             const char *name, char *err, apr_size_t errlen, apr_pool_t *pool);
/** Reads and parses a file; an unreadable file is an error naming it. */
apr_status_t pfz__dict_load(pfz__dict_t **dict, const char *path, char *err,
                            apr_size_t errlen, apr_pool_t *pool);
apr_size_t pfz__dict_count(const pfz__dict_t *dict);
/** What parsing skipped without failing: one "NAME:LINE: why" per line (a
 * value over the length limit). Returns the count; *notes is valid as long as
 * the dictionary's pool. */
apr_size_t pfz__dict_notes(const pfz__dict_t *dict, const char *const **notes);
const uint8_t *pfz__dict_entry(const pfz__dict_t *dict, apr_size_t i, apr_size_t *len);

/* --- automatic dictionary (persistent comparison operands) -------------
 * A fixed-capacity dictionary filled at run time (by the mutator, from the
 * table of recent comparisons): all memory is allocated by create; adding
 * never allocates, skips duplicates and, when full, replaces the oldest entry.
 * The read functions above work on it too. */
#define PFZ__DICT_AUTO_MAX 64 /* longest auto entry, in bytes */

apr_status_t pfz__dict_auto_create(pfz__dict_t **dict, apr_size_t capacity, apr_pool_t *pool);
/** Adds data[0..len) (len 1..PFZ__DICT_AUTO_MAX) unless present. Returns 1 if
 * added, 0 if it was already there or is not acceptable. Only on auto
 * dictionaries. */
int pfz__dict_auto_add(pfz__dict_t *dict, const uint8_t *data, apr_size_t len);
/** 1 if an entry equal to data[0..len) is present. */
int pfz__dict_contains(const pfz__dict_t *dict, const uint8_t *data, apr_size_t len);

#endif /* PFZ_DICT_H */
