/* options.h -- the command line, in libFuzzer's form:
 *   ./fuzzer [-flag=value ...] [corpus_dir ...|file ...]
 * Bad values of known flags are errors (exit status 1); unknown flags and
 * "--" arguments are warned about and ignored, as libFuzzer does. */
#ifndef PFZ_OPTIONS_H
#define PFZ_OPTIONS_H

#include "common.h"

typedef struct pfz__options {
    int64_t workers;          /* -workers (0: -fork, else -jobs, else number of CPUs) */
    int64_t fork;             /* -fork=N: N workers (libFuzzer's fork mode, one campaign here) */
    int64_t jobs;             /* -jobs=N: N workers unless -workers is given */
    int64_t runs;             /* -runs (-1: no limit) */
    int64_t max_total_time;   /* -max_total_time seconds (0: no limit) */
    int64_t timeout;          /* -timeout seconds per execution (0: none) */
    int64_t rss_limit_mb;     /* -rss_limit_mb (0: no limit) */
    int64_t malloc_limit_mb;  /* -malloc_limit_mb (0: as -rss_limit_mb) */
    int64_t max_len;          /* -max_len (0: from the seeds, 4096 to 1 MiB) */
    int64_t len_control;      /* -len_control */
    int64_t seed;             /* -seed (0: from the clock) */
    int64_t keep_going;       /* -keep_going */
    int64_t print_final_stats;
    int64_t only_ascii;
    int64_t use_value_profile;
    int64_t use_cmp;
    int64_t reduce_inputs;    /* -reduce_inputs: replace entries by smaller equivalents */
    int64_t reload;           /* -reload seconds (0: never) */
    int64_t minimize_crash;
    int64_t merge;            /* -merge (also set by -set_cover_merge=1) */
    int64_t set_cover_merge;
    int64_t create_missing_dirs;
    int64_t verbosity;
    int64_t help;
    int64_t detect_leaks;
    int64_t error_exitcode;
    int64_t timeout_exitcode;
    int64_t max_minimize_time; /* seconds spent minimizing one crash */
    const char *artifact_prefix;
    const char *exact_artifact_path;
    const char *dict;
    const char *merge_control_file;
    const char *plot_data;
    const char *feature_cache; /* -feature_cache: NULL (the default place), "0" (off) or a dir */
    const char **dirs;  /* positional directories; dirs[0] is the output corpus */
    int ndirs;
    const char **files; /* positional files: run each once */
    int nfiles;
    int create_outdir;  /* dirs[0] does not exist yet: the caller creates it */
    const char **notes; /* INFO:/WARNING: lines about the command line, to print */
    int nnotes;
} pfz__options_t;

/** Parses argv[1..] into o (defaults first). On error returns PFZ_EUSAGE with a
 * message naming the argument in err. */
apr_status_t pfz__options_parse(pfz__options_t *o, int argc, char **argv, char *err,
                                apr_size_t errlen, apr_pool_t *pool);

/** The deadline of a call that runs the target: base_us plus n times
 * -timeout, or 0 (no deadline) under -timeout=0, where one execution may
 * legitimately run for ever. */
static inline uint64_t pfz__options_deadline_us(const pfz__options_t *o, uint64_t base_us,
                                                uint64_t n)
{
    return o->timeout > 0 ? base_us + n * (uint64_t)o->timeout * 1000000u : 0;
}

/** Prints the list of flags with their defaults to stderr. */
void pfz__options_usage(const char *argv0);

#endif
