/* corpus.h -- the coordinator's corpus: the entries (immutable once added),
 * the global feature set, and the logs that workers catch up from.
 * Not locked here: the coordinator's mutex protects it (coordinator.c). */
#ifndef PFZ_CORPUS_H
#define PFZ_CORPUS_H

#include <apr_hash.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "common.h"
#include "coverage.h"
#include "rpc.h"
#include "cwriter.h"
#include "sha1.h"

typedef struct pfz__entry {
    uint8_t *data;      /* malloc; replaced (and freed) by a REDUCE */
    size_t size;
    char sha1[PFZ__SHA1_HEX_LEN + 1];
    uint32_t *owned;    /* the features this entry brought into the global set
                           (sorted); a REDUCE keeps them. Never freed early. */
    size_t nowned;
    int ours;           /* its file was written by this run (a REDUCE may delete it) */
    uint32_t *feats;    /* every feature the input reaches, as the worker that ran
                           it measured (malloc, NULL if unknown): handed to the
                           other workers so they need not run it. Replaced (and
                           freed) with the content: readers copy it under mu. */
    size_t nfeats;
    uint64_t exec_us;   /* how long that execution took (0: unknown) */
} pfz__entry_t;

typedef struct pfz__corpus {
    apr_pool_t *pool;
    const char *outdir;          /* where new entries are written, or NULL */
    struct pfz__cwriter *writer; /* writes them when set (the coordinator's
                                    writer thread), else the caller does */
    apr_array_header_t *entries; /* pfz__entry_t *, append-only (contents may be
                                    replaced by pfz__corpus_replace) */
    pfz__u32vec_t replace_log;   /* indices of replaced entries, in order */
    apr_hash_t *by_sha1;         /* sha1 -> entry */
    pfz__featset_t features;     /* global feature set */
    pfz__u32vec_t feature_log;   /* every global feature, in the order added */
    pfz__featset_t edges;        /* distinct edges (for "cov:") */
    size_t nedges;
    size_t total_bytes;
} pfz__corpus_t;

apr_status_t pfz__corpus_create(pfz__corpus_t **c, const char *outdir, apr_pool_t *pool);
void pfz__corpus_destroy(pfz__corpus_t *c);

/** Offers an input with its features. It is added (and written to outdir as
 * <sha1>) when it brings a feature not yet in the global set, or when force is
 * set and its content is new. Returns 1 if added, 0 if not; *st reports a write
 * error (the entry is still kept in memory). */
int pfz__corpus_offer(pfz__corpus_t *c, const uint8_t *data, size_t size, const uint32_t *features,
                      size_t nfeatures, int force, apr_status_t *st);
/** Marks the last entry offered as not written by this run (a seed that was
 * already a file in a corpus directory): a REDUCE never deletes its file. */
void pfz__corpus_mark_seed(pfz__corpus_t *c);

/** REDUCE: replaces entry idx by a smaller input (that reaches every feature
 * the entry owns, as the worker checked). Refused (0) when idx is out of range,
 * the input is not smaller than the entry now is (another worker reduced it
 * first) or its content is already in the corpus. On success (1) the entry
 * keeps its owned features, its new file is written to outdir and its old one
 * removed if this run wrote it (seed files are never deleted); *st reports a
 * file error (the replacement is still kept in memory). */
int pfz__corpus_replace(pfz__corpus_t *c, size_t idx, const uint8_t *data, size_t size,
                        apr_status_t *st);

/** Records what entry idx's content reaches (all its features, sorted or not,
 * and the duration of the execution that measured them), replacing what was
 * recorded. Nothing is recorded when nfeatures is 0 or memory is short: the
 * workers then run the entry to learn its features. */
void pfz__corpus_keep_features(pfz__corpus_t *c, size_t idx, const uint32_t *features,
                               size_t nfeatures, uint64_t exec_us);

/** 1 if an input with this content is in the corpus. */
int pfz__corpus_has(const pfz__corpus_t *c, const uint8_t *data, size_t size);
/** 1 if an entry's SHA-1 (lower-case hex) is name. */
int pfz__corpus_has_name(const pfz__corpus_t *c, const char *name);

/** Lists the regular files under dir (recursively, symbolic links to regular
 * files included) into files (char *). */
apr_status_t pfz__list_files(apr_array_header_t *files, const char *dir, apr_pool_t *pool);
/** The same, and lists in skipped (char *, may be NULL) what is neither a
 * regular file nor a directory: FIFOs, sockets, devices, links to those, to
 * directories or to nothing. Opening a FIFO would block start-up. */
apr_status_t pfz__list_inputs(apr_array_header_t *files, apr_array_header_t *skipped,
                              const char *dir, apr_pool_t *pool);

/** A directory and its modification time when it was listed. */
typedef struct pfz__dirstamp {
    const char *path;
    apr_time_t mtime;
} pfz__dirstamp_t;

/** pfz__list_inputs, and appends to stamps (pfz__dirstamp_t) every
 * directory it lists, with its modification time taken before its entries
 * are read. */
apr_status_t pfz__list_tree(apr_array_header_t *files, apr_array_header_t *skipped,
                            apr_array_header_t *stamps, const char *dir, apr_pool_t *pool);

/** 1 when no directory of stamps (taken at `taken`) can have gained or lost
 * an entry since: each still has its recorded modification time, and that
 * time is older than `taken` by more than a coarse file system's tick (a
 * change in the same tick would not show). What -reload uses to skip
 * listing an unchanged corpus: O(directories), not O(files). */
int pfz__dirs_unchanged(const apr_array_header_t *stamps, apr_time_t taken, apr_pool_t *pool);

#endif
