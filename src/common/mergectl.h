/* mergectl.h -- libFuzzer's merge control file (-merge_control_file=F) and
 * the choice of the inputs a merge keeps. All platforms.
 *
 * The format is libFuzzer's (FuzzerMerge.cpp), so that ClusterFuzz's
 * two-step merge works as it does with libFuzzer and an interrupted merge
 * resumes:
 *   N                       number of inputs
 *   K                       how many of them are in the first corpus (K <= N)
 *   <path>                  N lines: first corpus, then the others, each
 *                           group smallest first
 *   STARTED <i> <size>      before input i runs (i = 0, 1, 2, ... in order)
 *   FT <i> <f1> <f2> ...    after it ran: its features
 *   COV <i> <e1> <e2> ...   and its edges
 * An input with STARTED and no FT crashed, hung or ran out of memory (or the
 * merge was killed while it ran): it is left out, never run again.
 * libFuzzer's plain merge records, per input, only the features no earlier
 * input of the same run had; portfuzz records all of them (as libFuzzer's
 * -set_cover_merge=1 does), and the edges no earlier input of the same run
 * had (as libFuzzer). Either reads the other's files. */
#ifndef PFZ_MERGECTL_H
#define PFZ_MERGECTL_H

#include "common.h"
#include "rpc.h"

typedef struct pfz__mfile {
    const char *path;
    uint64_t size;       /* the bytes run (STARTED), else the file's size */
    int initial;         /* in the first corpus: sets the baseline, never copied */
    int started, done;   /* STARTED seen; FT seen */
    pfz__u32vec_t feats; /* sorted, unique */
    pfz__u32vec_t cov;   /* edges, unique within the file */
} pfz__mfile_t;

typedef struct pfz__mctl {
    pfz__mfile_t *files; /* nfiles, pool-allocated; the vectors are malloc'd */
    size_t nfiles, ninitial;
    size_t first_unprocessed; /* inputs before it have a STARTED record */
    const char *last_failure; /* the path of a last STARTED without FT, or NULL */
    size_t valid_len;         /* bytes of the text up to its last complete line */
} pfz__mctl_t;

/** Parses control-file text. A last line without its newline (the writer
 * was killed in the middle of it) is ignored: valid_len says where it starts,
 * so that the file can be cut there before more records are appended. When
 * that line is an FT or COV, the last input's records were being written:
 * it ran through, so it is no "last failure"; its STARTED and FT go too
 * (valid_len is where its STARTED starts) and it runs again.
 * Anything else that is not in the format -- record out of order, a number
 * that is not one or is out of range (features and edges must fit the
 * feature space, sizes 1 GiB) -- is PFZ_EFORMAT with "line N: what" in err.
 * Every number is checked: the records come from whoever wrote the file. */
apr_status_t pfz__mctl_parse(pfz__mctl_t *m, const char *text, size_t len, char *err,
                             size_t errlen, apr_pool_t *pool);

/** Frees the files' vectors (the rest belongs to the pool). */
void pfz__mctl_free(pfz__mctl_t *m);

/** The header of a new control file: the counts and the paths. A path that
 * holds a newline cannot be written: PFZ_EFORMAT naming it. */
apr_status_t pfz__mctl_header(char **text, size_t *len, const pfz__mctl_t *m, apr_pool_t *pool);

/** The records after input i ran: "FT i ..." and "COV i ..." lines. */
char *pfz__mctl_records(size_t i, const pfz__u32vec_t *feats, const pfz__u32vec_t *cov,
                        apr_pool_t *pool);

/** Chooses the inputs to copy into the first corpus among files[0..n) (the
 * control file's inputs plus those known from an earlier one): the done,
 * non-initial inputs that bring a feature the initial ones and the chosen
 * ones do not have. A plain merge takes them smallest first (more features
 * first at equal size); set_cover picks, each time, the input with the most
 * features still missing (the smaller at a tie). Stores the chosen indices in
 * chosen (n entries at most) and returns how many; *new_features counts the
 * features they add, *new_edges the edges the non-initial inputs reach that
 * the initial ones do not (libFuzzer's numbers for its MERGE-OUTER line). */
apr_status_t pfz__mctl_select(size_t *nchosen, size_t *chosen, pfz__mfile_t *const *files, size_t n,
                              int set_cover, size_t *new_features, size_t *new_edges);

/** Sorts v ascending and drops repeated values. */
void pfz__u32vec_sort_unique(pfz__u32vec_t *v);

#endif
