/* options.c -- libFuzzer-style flags (-name=value) and positional corpora.
 *
 * As libFuzzer does, a flag portfuzz does not know is a warning, never an
 * error (runners such as ClusterFuzz pass flags of newer libFuzzers), and an
 * argument that starts with "--" is ignored. A known flag with a bad value is
 * an error. What the parser has to say is collected in o->notes for the
 * caller to print (a worker, which parses the same command line, does not). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdarg.h>

#include <apr_file_info.h>
#include <apr_strings.h>

#include "options.h"

typedef enum { OPT_INT, OPT_STR } opt_type_e;

typedef struct opt_desc {
    const char *name;
    opt_type_e type;
    size_t offset;
    int64_t min, max;
    const char *dflt;
    const char *help;
} opt_desc_t;

#define I(field, mn, mx, d, h) { #field, OPT_INT, offsetof(pfz__options_t, field), mn, mx, d, h }
#define S(field, d, h) { #field, OPT_STR, offsetof(pfz__options_t, field), 0, 0, d, h }
#define BIG INT64_MAX

static const opt_desc_t opts[] = {
    I(workers, 0, 1024, "0", "worker processes (0: -fork or -jobs if given, else one per CPU; one for -merge=1)"),
    I(runs, -1, BIG, "-1", "stop after this many executions (-1: no limit)"),
    I(max_total_time, 0, BIG, "0", "stop after this many seconds (0: no limit)"),
    I(timeout, 0, BIG, "1200", "an execution running longer than this many seconds is a timeout (0: none)"),
    I(rss_limit_mb, 0, BIG, "2048", "a worker using more memory than this is an OOM (0: no limit)"),
    I(malloc_limit_mb, 0, BIG, "0", "one malloc of this many Mb or more is an OOM (0: -rss_limit_mb; needs a sanitizer's allocation hooks)"),
    I(max_len, 0, 1 << 30, "0", "longest input to generate (0: from the seeds, 4096 to 1 MiB)"),
    I(len_control, 0, BIG, "100", "grow input lengths slowly (0: try max_len at once)"),
    I(seed, 0, BIG, "0", "random seed (0: from the clock)"),
    I(keep_going, 0, 1, "0", "after a finding, save it and keep fuzzing"),
    I(print_final_stats, 0, 1, "0", "print stat:: lines at the end"),
    I(only_ascii, 0, 1, "0", "generate only printable ASCII inputs"),
    I(use_value_profile, 0, 1, "0", "use comparison operands as coverage features"),
    I(use_cmp, 0, 1, "1", "use comparison operands in mutations and input-to-state retries"),
    I(reduce_inputs, 0, 1, "1", "replace a corpus entry by a smaller input that reaches the features it owns (REDUCE)"),
    I(reload, 0, BIG, "1", "every this many seconds, load inputs other instances wrote into the corpus (0: never)"),
    I(minimize_crash, 0, 1, "1", "minimize crashes (with files: minimize them and exit)"),
    I(merge, 0, 1, "0", "merge the inputs of the other dirs into the first one, keeping a minimal covering set"),
    I(set_cover_merge, 0, 1, "0", "like -merge=1, choosing the inputs by greedy set cover (fewer files)"),
    I(create_missing_dirs, 0, 1, "0", "accepted for libFuzzer compatibility (the output corpus is always created)"),
    I(fork, 0, 1024, "0", "libFuzzer's fork mode: N worker processes in this one campaign (as -workers=N)"),
    I(jobs, 0, 1024, "0", "libFuzzer's jobs: N worker processes in this one campaign unless -workers is given"),
    I(verbosity, 0, 4, "1", "verbosity"),
    I(help, 0, 1, "0", "print this help"),
    I(detect_leaks, 0, 1, "1", "report memory leaks (needs LeakSanitizer)"),
    I(error_exitcode, 0, 255, "77", "exit status after a crash or leak"),
    I(timeout_exitcode, 0, 255, "70", "exit status after a timeout"),
    I(max_minimize_time, 0, BIG, "30", "seconds spent minimizing one crash"),
    S(artifact_prefix, "", "prefix of artifact paths (a directory must end with /)"),
    S(exact_artifact_path, NULL, "write the artifact to this path (later findings: P.2, P.3, ...)"),
    S(dict, NULL, "dictionary file (AFL/libFuzzer format)"),
    S(merge_control_file, NULL, "libFuzzer's merge control file: resumes an interrupted merge"),
    S(feature_cache, NULL, "directory of the cache of the corpus inputs' features, which spares a restarted campaign running unchanged inputs again (0: off; default: $PORTFUZZ_FEATURE_CACHE, else ~/.cache/portfuzz/features)"),
    S(plot_data, NULL, "append a time series (a # header naming the columns: time, execs, edges, features, corpus, findings, exec/s, ...) to this file; draw it with portfuzz-plot"),
};

/* libFuzzer flags a runner may pass that have no meaning here. They are
 * accepted with a warning (never silently) so existing scripts keep working. */
static const char *const noops[] = {
    "print_pcs", "print_coverage", "print_corpus_stats", "use_counters", "shrink",
    "entropic", "report_slow_units", "handle_segv",
    "handle_abrt", "handle_ill", "handle_fpe", "handle_int", "handle_term", "handle_xfsz",
    "handle_usr1", "handle_usr2", "handle_bus", "prefer_small", "mutate_depth", "purge_allocations_every_ms",
    "ignore_crashes", "ignore_timeouts", "ignore_ooms", "close_fd_mask",
};

static void set_defaults(pfz__options_t *o)
{
    size_t i;

    memset(o, 0, sizeof *o);
    for (i = 0; i < PFZ_ARRAY_LEN(opts); i++) {
        char *field = (char *)o + opts[i].offset;
        if (opts[i].type == OPT_INT)
            *(int64_t *)field = strtoll(opts[i].dflt, NULL, 10);
        else
            *(const char **)field = opts[i].dflt;
    }
}

static int parse_int(const char *s, int64_t *v)
{
    char *end;
    long long x;

    if (*s == '\0')
        return 0;
    errno = 0;
    x = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return 0;
    *v = (int64_t)x;
    return 1;
}

static void note(apr_array_header_t *notes, apr_pool_t *pool, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    APR_ARRAY_PUSH(notes, const char *) = apr_pvsprintf(pool, fmt, ap);
    va_end(ap);
}

/* The flag named arg[1..nlen), or NULL. */
static const opt_desc_t *find_flag(const char *name, size_t nlen)
{
    size_t k;

    for (k = 0; k < PFZ_ARRAY_LEN(opts); k++)
        if (strlen(opts[k].name) == nlen && strncmp(opts[k].name, name, nlen) == 0)
            return &opts[k];
    return NULL;
}

static int is_noop(const char *name, size_t nlen)
{
    size_t k;

    for (k = 0; k < PFZ_ARRAY_LEN(noops); k++)
        if (strlen(noops[k]) == nlen && strncmp(noops[k], name, nlen) == 0)
            return 1;
    return 0;
}

/* "--name=value": libFuzzer ignores it (its runners pass such arguments on to
 * other programs); so do we, saying so, and never take it for a directory. */
static void double_dash(const char *arg, apr_array_header_t *notes, apr_pool_t *pool)
{
    const char *eq = strchr(arg, '=');

    note(notes, pool, "INFO: ignoring '%s': arguments that start with '--' are ignored, as "
         "libFuzzer does", arg);
    if (eq != NULL && (find_flag(arg + 2, (size_t)(eq - arg - 2)) != NULL ||
                       is_noop(arg + 2, (size_t)(eq - arg - 2))))
        note(notes, pool, "WARNING: did you mean '%s' (single dash)?", arg + 1);
}

/* One -name=value. Unknown names and a missing '=' are warnings; a bad value
 * of a known flag is an error. */
static apr_status_t one_flag(pfz__options_t *o, const char *arg, apr_array_header_t *notes,
                             char *err, apr_size_t errlen, apr_pool_t *pool)
{
    const char *eq = strchr(arg, '='), *val;
    size_t nlen;
    const opt_desc_t *d;

    if (eq == NULL || eq == arg + 1) {
        d = arg[1] != '\0' ? find_flag(arg + 1, strlen(arg + 1)) : NULL;
        note(notes, pool, "WARNING: unrecognized flag '%s'; use -help=1 to list all flags%s%s%s",
             arg, d ? " (write " : "", d ? arg : "", d ? "=VALUE)" : "");
        return APR_SUCCESS;
    }
    nlen = (size_t)(eq - arg - 1);
    val = eq + 1;
    if ((d = find_flag(arg + 1, nlen)) == NULL) {
        if (is_noop(arg + 1, nlen))
            note(notes, pool, "WARNING: flag '%.*s' is accepted for libFuzzer compatibility and "
                 "has no effect in portfuzz", (int)nlen, arg + 1);
        else
            note(notes, pool, "WARNING: unrecognized flag '%s'; use -help=1 to list all flags", arg);
        return APR_SUCCESS;
    }
    if (d->type == OPT_INT) {
        int64_t v;
        if (!parse_int(val, &v)) {
            apr_snprintf(err, errlen, "flag -%s needs an integer, got '%s'", d->name, val);
            return PFZ_EUSAGE;
        }
        if (v < d->min || v > d->max) {
            apr_snprintf(err, errlen, "flag -%s=%s is out of range [%" APR_INT64_T_FMT
                         ", %" APR_INT64_T_FMT "]", d->name, val, d->min, d->max);
            return PFZ_EUSAGE;
        }
        *(int64_t *)((char *)o + d->offset) = v;
    } else {
        *(const char **)((char *)o + d->offset) = apr_pstrdup(pool, val);
    }
    return APR_SUCCESS;
}

/* A positional path: a directory, or anything else that can be read (a
 * regular file, a pipe such as <(...) or /dev/fd/N). Only the first one, the
 * output corpus, may be missing: it is created (o->create_outdir). */
static apr_status_t one_path(pfz__options_t *o, const char *arg, int first, apr_array_header_t *dirs,
                             apr_array_header_t *files, char *err, apr_size_t errlen, apr_pool_t *pool)
{
    apr_finfo_t fi;
    apr_status_t st = apr_stat(&fi, arg, APR_FINFO_TYPE, pool);
    char msg[128];

    if (st == APR_SUCCESS || APR_STATUS_IS_INCOMPLETE(st)) {
        if (fi.filetype == APR_DIR)
            APR_ARRAY_PUSH(dirs, const char *) = apr_pstrdup(pool, arg);
        else
            APR_ARRAY_PUSH(files, const char *) = apr_pstrdup(pool, arg);
        return APR_SUCCESS;
    }
    if (APR_STATUS_IS_ENOENT(st) && first && *arg != '\0' && strchr(arg, '*') == NULL) {
        o->create_outdir = 1;
        APR_ARRAY_PUSH(dirs, const char *) = apr_pstrdup(pool, arg);
        return APR_SUCCESS;
    }
    if (APR_STATUS_IS_ENOENT(st))
        apr_snprintf(err, errlen, "'%s' does not exist: check the path (only the first directory, "
                     "the output corpus, is created when missing)", arg);
    else
        apr_snprintf(err, errlen, "cannot access '%s': %s; check the path and permissions", arg,
                     pfz__strerror(st, msg, sizeof msg));
    return PFZ_EUSAGE;
}

apr_status_t pfz__options_parse(pfz__options_t *o, int argc, char **argv, char *err,
                                apr_size_t errlen, apr_pool_t *pool)
{
    apr_array_header_t *dirs = apr_array_make(pool, 4, sizeof(const char *));
    apr_array_header_t *files = apr_array_make(pool, 4, sizeof(const char *));
    apr_array_header_t *notes = apr_array_make(pool, 4, sizeof(const char *));
    apr_status_t st = APR_SUCCESS;
    int i, npaths = 0;

    set_defaults(o);
    for (i = 1; i < argc && st == APR_SUCCESS; i++) {
        const char *arg = argv[i];

        if (arg[0] == '-' && arg[1] == '-')
            double_dash(arg, notes, pool);
        else if (arg[0] == '-')
            st = one_flag(o, arg, notes, err, errlen, pool);
        else
            st = one_path(o, arg, npaths++ == 0, dirs, files, err, errlen, pool);
    }
    o->notes = (const char **)notes->elts;
    o->nnotes = notes->nelts;
    if (st != APR_SUCCESS)
        return st;
    if (o->set_cover_merge)
        o->merge = 1;
    if (o->create_outdir && files->nelts > 0) {
        /* Input files were given: the missing first path is a mistyped one. */
        apr_snprintf(err, errlen, "'%s' does not exist: check the path", APR_ARRAY_IDX(dirs, 0, const char *));
        return PFZ_EUSAGE;
    }
    if (files->nelts > 0 && dirs->nelts > 0 && !o->merge) {
        apr_snprintf(err, errlen, "give either corpus directories or input files, not both "
                     "('%s' is a directory, '%s' a file)", APR_ARRAY_IDX(dirs, 0, const char *),
                     APR_ARRAY_IDX(files, 0, const char *));
        return PFZ_EUSAGE;
    }
    o->dirs = (const char **)dirs->elts;
    o->ndirs = dirs->nelts;
    o->files = (const char **)files->elts;
    o->nfiles = files->nelts;
    return APR_SUCCESS;
}

void pfz__options_usage(const char *argv0)
{
    size_t i;

    fprintf(stderr, "Usage: %s [-flag=value ...] [corpus_dir ...|file ...]\n\n"
            "With directories: fuzz, keeping new inputs in the first one.\n"
            "With files: run each once (reproduce a crash), or minimize it with -minimize_crash=1\n"
            "-exact_artifact_path=P.\n\nFlags:\n", argv0);
    for (i = 0; i < PFZ_ARRAY_LEN(opts); i++)
        fprintf(stderr, " -%-22s %-8s %s\n", opts[i].name,
                opts[i].dflt ? opts[i].dflt : "(none)", opts[i].help);
    fprintf(stderr, "\nExit status: 0 ok, 1 usage error, 70 timeout, 71 out of memory, "
            "72 interrupted, 77 crash or leak.\n");
}
