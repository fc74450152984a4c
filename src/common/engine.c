/* engine.c -- pfz_main: chooses worker mode (from the environment), reproduction
 * (positional files) or a fuzzing campaign (the coordinator). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_general.h>

#include "coordinator.h"
#include "coverage.h"
#include "dict.h"
#include "engine.h"
#include "options.h"
#include "platform.h"
#include "artifact.h"
#include "report.h"
#include "reproduce.h"
#include "worker_server.h"

pfz__hooks_t pfz__hooks;

int pfz_main(int *argc, char ***argv, pfz_target_fn target)
{
    pfz__hooks_t h;

    memset(&h, 0, sizeof h);
    h.target = target;
    return pfz__main(argc, argv, &h);
}

/* 1 if the command line says flag=value literally (defaults do not count):
 * -minimize_crash is on by default for campaigns but, with files, means
 * "minimize these" only when asked for. */
static int explicit_flag(int argc, char **argv, const char *flag)
{
    int i;

    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return 1;
    return 0;
}

/* 1 if the input ends a worker (a crash, a timeout, an OOM), 0 if it runs
 * through, -1 if no worker could run it. */
static int input_crashes(const pfz__options_t *o, const char *exe, const char *const *argv,
                         const uint8_t *data, size_t len, apr_pool_t *pool)
{
    pfz__solo_t solo;
    apr_status_t st;
    char msg[320];

    if (pfz__solo_open(&solo, o, exe, argv, PFZ_MAX(len, 1), pool) != APR_SUCCESS)
        return -1;
    st = pfz__solo_run(&solo, data, len);
    if (st != APR_SUCCESS && st != PFZ_EWORKERDIED && st != PFZ_ESHMCLOSED)
        pfz__log("WARNING: cannot run the input in a worker: %s",
                 pfz__worker_start_error(solo.slot.worker, st, msg, sizeof msg));
    pfz__solo_close(&solo);
    return st == PFZ_EWORKERDIED ? 1 : st == APR_SUCCESS ? 0 : -1;
}

/* -minimize_crash=1 [-exact_artifact_path=P] file...: minimizes each crashing
 * file in a worker and writes the smallest crashing variant. A file that
 * does not crash is an error (exit 1), as with libFuzzer. */
static int minimize_files(const pfz__options_t *o, char **argv, int argc, apr_pool_t *pool)
{
    char *exe = NULL, msg[128];
    const char **wargv = apr_pcalloc(pool, sizeof(char *) * (size_t)(argc + 1));
    pfz__options_t mo;
    int i;
    apr_status_t st;

    if ((st = pfz__self_exe(&exe, pool)) != APR_SUCCESS) {
        pfz__log("ERROR: cannot find this program's own path: %s", pfz__strerror(st, msg, sizeof msg));
        return PFZ_EXIT_USAGE;
    }
    /* The workers get the flags but not the files (they would only be parsed). */
    for (i = 0; i < argc; i++)
        wargv[i] = argv[i];
    pfz__interrupt_install();
    pfz__cov_set_running(0);
    if (o->max_total_time > 0) {
        /* libFuzzer's -minimize_crash=1 runs for -max_total_time (how
         * ClusterFuzz bounds it); -max_minimize_time is portfuzz's default. */
        mo = *o;
        mo.max_minimize_time = o->max_total_time;
        o = &mo;
    }
    for (i = 0; i < o->nfiles; i++) {
        uint8_t *data;
        size_t len;
        if ((st = pfz__read_file(o->files[i], &data, &len, (size_t)1 << 30, pool)) != APR_SUCCESS) {
            pfz__log("ERROR: cannot read input file '%s': %s", o->files[i], pfz__strerror(st, msg, sizeof msg));
            return PFZ_EXIT_USAGE;
        }
        if (input_crashes(o, exe, wargv, data, len, pool) == 0) {
            pfz__log("ERROR: the input %s did not crash", o->files[i]);
            free(data);
            return PFZ_EXIT_USAGE;
        }
        pfz__log("INFO: minimizing '%s' (%zu bytes)", o->files[i], len);
        pfz__minimize_input(o, exe, wargv, data, len, pool);
        free(data);
    }
    return pfz__interrupted() ? PFZ_EXIT_INTERRUPTED : PFZ_EXIT_OK;
}

int pfz__main(int *argc, char ***argv, const pfz__hooks_t *hooks)
{
    apr_pool_t *pool = NULL;
    pfz__options_t o;
    pfz__dict_t *dict = NULL;
    char err[512];
    int rc, worker, i;
    apr_status_t st;

    pfz__hooks = *hooks;
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        fprintf(stderr, "ERROR: cannot initialise the Apache Portable Runtime\n");
        return PFZ_EXIT_USAGE;
    }
    worker = pfz__is_worker();
    /* A worker is set up (signals, death with the coordinator, no error
     * dialogs, crash reporter) before any code of the target runs,
     * LLVMFuzzerInitialize included. */
    if (worker) {
        uintptr_t lo, hi;

        pfz__worker_process_setup();
        pfz__cov_callback_span(&lo, &hi);
        pfz__stack_skip_range(lo, hi);
    }
    st = pfz__options_parse(&o, *argc, *argv, err, sizeof err, pool);
    for (i = 0; !worker && i < o.nnotes; i++)
        fprintf(stderr, "%s\n", o.notes[i]);
    if (st != APR_SUCCESS) {
        fprintf(stderr, "ERROR: %s\n", err);
        rc = PFZ_EXIT_USAGE;
        goto done;
    }
    if (o.help) {
        pfz__options_usage((*argv)[0]);
        rc = PFZ_EXIT_OK;
        goto done;
    }
    if (!worker && o.create_outdir && !o.help) {
        /* Only the first directory may be missing (options.c): the output corpus. */
        if ((st = apr_dir_make_recursive(o.dirs[0], APR_FPROT_OS_DEFAULT, pool)) != APR_SUCCESS) {
            fprintf(stderr, "ERROR: cannot create the output corpus directory '%s': %s\n", o.dirs[0],
                    pfz__strerror(st, err, sizeof err));
            rc = PFZ_EXIT_USAGE;
            goto done;
        }
        pfz__log("INFO: the output corpus directory '%s' did not exist; created it", o.dirs[0]);
    }
    if (o.dict != NULL && pfz__dict_load(&dict, o.dict, err, sizeof err, pool) != APR_SUCCESS) {
        fprintf(stderr, "ERROR: -dict: %s\n", err);
        rc = PFZ_EXIT_USAGE;
        goto done;
    }
    if (dict != NULL && !worker) {
        const char *const *notes;
        apr_size_t k, n = pfz__dict_notes(dict, &notes);
        for (k = 0; k < n; k++)
            pfz__log("WARNING: -dict: %s", notes[k]);
    }
    pfz__cov_set_value_profile((int)o.use_value_profile);
    if (worker || (o.nfiles > 0 && !o.merge && !explicit_flag(*argc, *argv, "-minimize_crash=1"))) {
        /* This process runs the target: exit() in it, a malloc over the
         * limit and a write into the input are findings. */
        pfz__guards_init((int)o.error_exitcode, PFZ_EXIT_OOM,
                         o.malloc_limit_mb > 0 ? o.malloc_limit_mb : o.rss_limit_mb);
        if (!worker)
            pfz__reproduce_process_setup((int)o.error_exitcode);
    }
    if (pfz__hooks.initialize != NULL && (worker || o.nfiles > 0))
        pfz__hooks.initialize(argc, argv);
    if (worker) {
        pfz__server_opts_t so;
        memset(&so, 0, sizeof so);
        so.target = pfz__hooks.target;
        so.dict = dict;
        so.only_ascii = (int)o.only_ascii;
        so.use_value_profile = (int)o.use_value_profile;
        so.use_cmp = (int)o.use_cmp;
        so.detect_leaks = (int)o.detect_leaks;
        so.len_control = (int)PFZ_MIN(o.len_control, (int64_t)1 << 30);
        rc = pfz__worker_serve(&so, pool);
    } else if (o.merge) {
        pfz__cov_set_running(0);
        rc = pfz__merge(&o, *argv, *argc, pool);
    } else if (o.nfiles > 0 && explicit_flag(*argc, *argv, "-minimize_crash=1")) {
        rc = minimize_files(&o, *argv, *argc, pool);
    } else if (o.nfiles > 0) {
        rc = pfz__reproduce(&o, pool);
    } else {
        /* The coordinator never runs the target: its own threads' memcmp
         * calls must not feed (and race on) the comparison table. */
        pfz__cov_set_running(0);
        if (dict != NULL)
            pfz__log("Dictionary: %zu entries", (size_t)pfz__dict_count(dict)); /* libFuzzer's words */
        rc = pfz__coordinator_run(&o, *argv, *argc, pool);
        if (pfz__coord_abandoned) {
            /* Threads that did not stop may still use the pools: end here. */
            fflush(stdout);
            fflush(stderr);
            _Exit(rc);
        }
    }
done:
    apr_pool_destroy(pool);
    apr_terminate();
    return rc;
}
