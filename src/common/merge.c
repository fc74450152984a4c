/* merge.c -- -merge=1 (or -set_cover_merge=1):
 *   ./fuzzer -merge=1 [-merge_control_file=F] OUT IN1 [IN2 ...]
 *
 * libFuzzer's crash-resistant merge, speaking its protocol: the control file
 * (format in mergectl.h), the MERGE-OUTER / MERGE-INNER lines, and the way
 * ClusterFuzz's two-step merge reuses a finished control file for a larger
 * set of inputs. Every input of OUT and of the IN directories runs once in a
 * worker (a crashing, hanging or exploding input costs a worker restart and
 * is left out; the merge goes on), then the inputs of the IN directories that
 * bring features OUT lacks are copied into OUT, named by their SHA-1.
 *
 * With -workers=N, N workers run the inputs at once: a runner thread per
 * worker takes the next input under merge_t.mu; the records are written in
 * input order all the same (flush), so the control file and the choice are
 * one worker's.
 *
 * With -merge_control_file=F:
 *  - F missing or empty: a new merge; F gets the list of inputs, then a
 *    STARTED record before each input runs and FT/COV records after.
 *  - F in progress (inputs without STARTED): the merge resumes with F's list;
 *    an input that was running when the merge died is skipped ("unlucky").
 *  - F finished, for as many inputs as there are now: nothing runs, the
 *    inputs are chosen again from F (libFuzzer would just exit).
 *  - F finished for other inputs (ClusterFuzz's second step): only the inputs
 *    F does not know run; F's records count for the others.
 *  - F damaged: an error naming it; deleting it starts over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "artifact.h"
#include "coordinator.h"
#include "corpus.h"
#include "mergectl.h"
#include "platform.h"
#include "progress.h"
#include "sha1.h"

/* Bytes of a crashing input's output shown during a merge. */
#define MERGE_TAIL (4u << 10)
/* Longest input run without -max_len (libFuzzer's kDefaultMaxMergeLen). */
#define MERGE_MAX_LEN ((size_t)1 << 20)
#define MAX_FILE ((size_t)1 << 30)

typedef struct listed {
    const char *path;
    uint64_t size;
} listed_t;

/* One merge's state. */
typedef struct merge {
    const pfz__options_t *o;
    const char *cf;          /* -merge_control_file, or NULL */
    apr_file_t *ctl;         /* open for appending records, or NULL */
    apr_off_t ctl_len;       /* (mu) its length */
    pfz__mctl_t m;           /* the inputs this run knows records for */
    pfz__mctl_t known;       /* a finished control file's inputs, reused */
    apr_hash_t *first;       /* paths in OUT now */
    size_t run_max;          /* the bytes of an input that run */
    int left_out;            /* (mu) inputs that crashed, hung or ran out of memory */
    /* The run (run_inputs): its runner threads share what follows, under mu. */
    apr_thread_mutex_t *mu;
    size_t base;             /* first_unprocessed when the run began */
    unsigned char *state;    /* (mu) IN_* of input base + k */
    size_t next;             /* (mu) the next input to hand out */
    size_t head;             /* (mu) the first input without its records in the file */
    int head_started;        /* (mu) the head's STARTED is in the file */
    apr_off_t head_before;   /* (mu) the file's length before it */
    int stop;                /* (mu) hand out no more inputs */
    int code;                /* (mu) the exit status so far */
    pfz__featset_t seen_e;   /* (mu) edges recorded in this run */
    pfz__progress_t prog;    /* (mu) */
    apr_pool_t *wpool;       /* (mu) the records being written */
} merge_t;

static int by_size_name(const void *a, const void *b)
{
    const listed_t *x = a, *y = b;

    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* The regular files under dirs[0..n), smallest first (as libFuzzer orders
 * them); FIFOs and the like are skipped, saying so. */
static apr_status_t list_side(apr_array_header_t **out, const char *const *dirs, int n, apr_pool_t *pool)
{
    apr_array_header_t *names = apr_array_make(pool, 256, sizeof(const char *));
    apr_array_header_t *skipped = apr_array_make(pool, 4, sizeof(const char *));
    apr_array_header_t *a = apr_array_make(pool, 256, sizeof(listed_t));
    apr_status_t st;
    char msg[128];
    int d, i;

    for (d = 0; d < n; d++)
        if ((st = pfz__list_inputs(names, skipped, dirs[d], pool)) != APR_SUCCESS) {
            pfz__log("ERROR: cannot read directory '%s': %s", dirs[d], pfz__strerror(st, msg, sizeof msg));
            return st;
        }
    for (i = 0; i < skipped->nelts; i++)
        pfz__log("WARNING: merge: '%s' is not a regular file; skipping it",
                 APR_ARRAY_IDX(skipped, i, const char *));
    for (i = 0; i < names->nelts; i++) {
        listed_t *l;
        apr_finfo_t fi;
        const char *path = APR_ARRAY_IDX(names, i, const char *);
        if (strchr(path, '\n') != NULL) {
            pfz__log("WARNING: merge: '%s' has a newline in its name (the control file cannot "
                     "hold it); skipping it", path);
            continue;
        }
        l = &APR_ARRAY_PUSH(a, listed_t);
        l->path = path;
        l->size = apr_stat(&fi, path, APR_FINFO_SIZE, pool) == APR_SUCCESS ? (uint64_t)fi.size : 0;
    }
    qsort(a->elts, (size_t)a->nelts, sizeof(listed_t), by_size_name);
    *out = a;
    return APR_SUCCESS;
}

/* A new list of inputs: OUT's then the others', without those `known` has. */
static void fresh_list(merge_t *g, const apr_array_header_t *old, const apr_array_header_t *new,
                       apr_pool_t *pool)
{
    apr_hash_t *skip = apr_hash_make(pool);
    size_t i, n = 0;

    for (i = 0; i < g->known.nfiles; i++)
        apr_hash_set(skip, g->known.files[i].path, APR_HASH_KEY_STRING, "");
    memset(&g->m, 0, sizeof g->m);
    g->m.files = apr_pcalloc(pool, ((size_t)(old->nelts + new->nelts) + 1) * sizeof *g->m.files);
    for (i = 0; i < (size_t)(old->nelts + new->nelts); i++) {
        int in_old = i < (size_t)old->nelts;
        const listed_t *l = in_old ? &APR_ARRAY_IDX(old, (int)i, listed_t)
                                   : &APR_ARRAY_IDX(new, (int)i - old->nelts, listed_t);
        if (apr_hash_get(skip, l->path, APR_HASH_KEY_STRING) != NULL)
            continue;
        g->m.files[n].path = l->path;
        g->m.files[n].size = l->size;
        g->m.files[n].initial = in_old;
        g->m.ninitial += (size_t)in_old;
        n++;
    }
    g->m.nfiles = n;
}

/* Reads and checks an existing control file. Returns 1 to go on, 0 when the
 * file is damaged (said so). Sets *resume (a merge in progress) or
 * *finished (nothing left to run). */
static int read_control_file(merge_t *g, size_t nall, int *resume, int *finished, apr_pool_t *pool)
{
    uint8_t *data;
    size_t len;
    char err[256], msg[128];
    pfz__mctl_t prev;
    apr_status_t st;

    pfz__log("MERGE-OUTER: non-empty control file provided: '%s'", g->cf);
    if ((st = pfz__read_file(g->cf, &data, &len, MAX_FILE, pool)) != APR_SUCCESS) {
        pfz__log("ERROR: cannot read -merge_control_file '%s': %s", g->cf, pfz__strerror(st, msg, sizeof msg));
        return 0;
    }
    st = len < MAX_FILE ? pfz__mctl_parse(&prev, (const char *)data, len, err, sizeof err, pool) : PFZ_EFORMAT;
    free(data);
    if (st != APR_SUCCESS) {
        pfz__log("ERROR: -merge_control_file '%s' is damaged or is not a merge control file (%s); "
                 "delete it to start the merge over", g->cf, len < MAX_FILE ? err : "over 1 GiB");
        return 0;
    }
    pfz__log("MERGE-OUTER: control file ok, %" APR_SIZE_T_FMT " files total, first not processed "
             "file %" APR_SIZE_T_FMT, prev.nfiles, prev.first_unprocessed);
    if (prev.last_failure != NULL)
        pfz__log("MERGE-OUTER: '%s' will be skipped as unlucky (merge has stumbled on it the last time)",
                 prev.last_failure);
    if (prev.first_unprocessed < prev.nfiles) {
        g->m = prev; /* in progress: its list rules */
        *resume = 1;
    } else if (prev.nfiles == nall) {
        pfz__log("MERGE-OUTER: nothing to do, merge has been completed before; choosing the inputs "
                 "from its records");
        g->m = prev;
        *finished = 1;
    } else {
        pfz__log("MERGE-OUTER: starting merge from scratch, but reusing coverage information from "
                 "the given control file");
        g->known = prev;
    }
    return 1;
}

static apr_status_t ctl_write(merge_t *g, const char *text)
{
    apr_status_t st;
    char msg[128];

    if (g->ctl == NULL)
        return APR_SUCCESS;
    st = apr_file_write_full(g->ctl, text, strlen(text), NULL);
    if (st == APR_SUCCESS)
        st = apr_file_flush(g->ctl); /* on disk before the input runs: it may kill us */
    if (st == APR_SUCCESS)
        g->ctl_len += (apr_off_t)strlen(text);
    if (st != APR_SUCCESS)
        pfz__log("ERROR: cannot write -merge_control_file '%s': %s; run again with it to resume",
                 g->cf, pfz__strerror(st, msg, sizeof msg));
    return st;
}

/* The worker's output is captured (a flood stays off the terminal); after a
 * crash its last MERGE_TAIL bytes say why, which is what a user merging a
 * corpus needs to decide whether to look closer. */
static void show_tail(pfz__solo_t *solo, apr_pool_t *pool)
{
    apr_pool_t *p;
    char *text;
    size_t len, off;

    if (apr_pool_create(&p, pool) != APR_SUCCESS)
        return;
    pfz__outcap_snapshot(solo->slot.out, &text, &len, NULL, p);
    off = len > MERGE_TAIL ? len - MERGE_TAIL : 0;
    if (len > 0) {
        fprintf(stderr, "---- end of its output ----\n");
        fwrite(text + off, 1, len - off, stderr);
        if (text[len - 1] != '\n')
            fputc('\n', stderr);
        fprintf(stderr, "----\n");
    }
    apr_pool_destroy(p);
}

/* What became of input i of this run (merge_t.state). */
enum {
    IN_WAITING,  /* not handed out yet */
    IN_READING,  /* a runner reads its file */
    IN_RUNNING,  /* in a worker (its size is known) */
    IN_RAN,      /* ran through: its features are in m.files[i].feats */
    IN_LEFT_OUT, /* crashed, hung, ran out of memory or was unreadable */
    IN_STOPPED   /* not run to the end (interrupted, an error): never recorded */
};

/* One worker of the merge and the thread that feeds it. */
typedef struct runner {
    merge_t *g;
    pfz__solo_t solo;
    apr_pool_t *pool; /* this thread's */
    apr_thread_t *thread;
} runner_t;

/* The features of input i from the worker's reply (data from another
 * process: out-of-range values are dropped, the rest sorted). Every feature
 * is recorded, not only those no earlier input of this run had (libFuzzer's
 * plain merge writes those): the choice must not depend on which run
 * processed an input, or a reused control file's inputs lose ties they
 * should win. Called by i's runner, which owns the file until IN_RAN. */
static apr_status_t take_features(pfz__mfile_t *f, const pfz__u32vec_t *reply)
{
    apr_status_t st = APR_SUCCESS;
    size_t k;

    f->feats.n = 0;
    for (k = 0; k < reply->n && st == APR_SUCCESS; k++)
        if (reply->v[k] < PFZ__FEATURE_SPACE)
            st = pfz__u32vec_push(&f->feats, reply->v[k]);
    pfz__u32vec_sort_unique(&f->feats);
    return st;
}

/* (mu) Input i's records: "STARTED" unless it is in the file already, then
 * for an input that ran "FT" and "COV", its edges no earlier input of this
 * run had (as libFuzzer does; computed here, in the inputs' order, so that
 * the records do not depend on which worker finished first). */
static const char *records(merge_t *g, size_t i, int started, apr_pool_t *pool)
{
    pfz__mfile_t *f = &g->m.files[i];
    const char *s = started ? "" : apr_psprintf(pool, "STARTED %" APR_SIZE_T_FMT " %" APR_UINT64_T_FMT "\n",
                                                i, f->size);
    size_t k;
    uint32_t e;

    f->started = 1;
    if (g->state[i - g->base] != IN_RAN)
        return s;
    f->cov.n = 0;
    for (k = 0; k < f->feats.n; k++)
        if (pfz__feature_edge(f->feats.v[k], &e) && pfz__featset_add(&g->seen_e, e) &&
            pfz__u32vec_push(&f->cov, e) != APR_SUCCESS)
            return NULL;
    f->done = 1;
    return apr_pstrcat(pool, s, pfz__mctl_records(i, &f->feats, &f->cov, pool), NULL);
}

/* (mu) Writes what can be written, in libFuzzer's order: the records of
 * every finished input from the head on, up to the first unfinished one;
 * when that one runs, its STARTED (so that a merge killed while it runs
 * blames it, as libFuzzer's would). Inputs after the head that finished wait
 * in memory; a merge killed then runs them again. The head stopped (Ctrl-C,
 * an error) loses its STARTED: it was not the input's fault. */
static void flush(merge_t *g)
{
    while (g->code == PFZ_EXIT_OK && g->head < g->m.nfiles) {
        size_t i = g->head;
        int s = g->state[i - g->base];
        const char *text;

        if (s == IN_RAN || s == IN_LEFT_OUT) {
            text = records(g, i, g->head_started, g->wpool);
            if (text == NULL || ctl_write(g, text) != APR_SUCCESS) {
                if (text == NULL)
                    pfz__log("ERROR: merge: out of memory recording '%s'", g->m.files[i].path);
                g->code = PFZ_EXIT_USAGE;
            }
            apr_pool_clear(g->wpool);
            g->head++;
            g->head_started = 0;
            continue;
        }
        if (s == IN_RUNNING && !g->head_started) {
            g->head_before = g->ctl_len;
            g->head_started = 1;
            text = apr_psprintf(g->wpool, "STARTED %" APR_SIZE_T_FMT " %" APR_UINT64_T_FMT "\n", i,
                                g->m.files[i].size);
            if (ctl_write(g, text) != APR_SUCCESS)
                g->code = PFZ_EXIT_USAGE;
            apr_pool_clear(g->wpool);
        } else if (s == IN_STOPPED && g->head_started) {
            if (g->ctl != NULL && apr_file_trunc(g->ctl, g->head_before) == APR_SUCCESS)
                g->ctl_len = g->head_before;
            g->head_started = 0;
        }
        break;
    }
    if (g->code != PFZ_EXIT_OK)
        g->stop = 1;
}

/* (mu) Sets input i's state and writes what can be written. */
static void settle(merge_t *g, size_t i, int state)
{
    g->state[i - g->base] = (unsigned char)state;
    if (state == IN_STOPPED)
        g->stop = 1;
    flush(g);
}

/* Runs input i in r's worker; returns its state. */
static int run_one(runner_t *r, size_t i, uint8_t *data, size_t len, apr_pool_t *p)
{
    merge_t *g = r->g;
    pfz__mfile_t *f = &g->m.files[i];
    apr_status_t st = pfz__solo_run(&r->solo, data, len);
    pfz__exit_t how;
    pfz__kill_reason_e why;
    char msg[320];

    if (st == APR_SUCCESS) {
        if (take_features(f, &r->solo.slot.res.reply.features) == APR_SUCCESS)
            return IN_RAN;
        apr_thread_mutex_lock(g->mu);
        pfz__log("ERROR: merge: out of memory recording '%s'", f->path);
        g->code = PFZ_EXIT_USAGE;
        apr_thread_mutex_unlock(g->mu);
        return IN_STOPPED;
    }
    if (st == PFZ_ESHMCLOSED)
        return IN_STOPPED; /* interrupted: the watchdog cleaned the worker up */
    if (st == PFZ_EWORKERDIED) {
        pfz__worker_reap(r->solo.slot.worker, &how, &why);
        apr_thread_mutex_lock(g->mu); /* the line and the output tail together */
        pfz__log("INFO: merge: '%s' %s (%s); left out", f->path,
                 why == PFZ__KILL_TIMEOUT ? "hangs" : why == PFZ__KILL_OOM ? "runs out of memory"
                                                                           : "crashes", how.desc);
        show_tail(&r->solo, p);
        g->left_out++;
        apr_thread_mutex_unlock(g->mu);
        return IN_LEFT_OUT;
    }
    apr_thread_mutex_lock(g->mu);
    pfz__log("ERROR: merge: the worker failed on '%s': %s", f->path,
             pfz__worker_start_error(r->solo.slot.worker, st, msg, sizeof msg));
    g->code = PFZ_EXIT_USAGE;
    apr_thread_mutex_unlock(g->mu);
    return IN_STOPPED;
}

/* A runner thread: takes the next input, runs it in its worker, records
 * what happened; until there is none left or the merge stops. */
static void *APR_THREAD_FUNC runner_main(apr_thread_t *t, void *arg)
{
    runner_t *r = arg;
    merge_t *g = r->g;
    apr_pool_t *p = NULL;

    if (apr_pool_create(&p, r->pool) != APR_SUCCESS) {
        apr_thread_mutex_lock(g->mu);
        pfz__log("ERROR: merge: out of memory starting a runner thread");
        g->code = PFZ_EXIT_USAGE;
        g->stop = 1;
        apr_thread_mutex_unlock(g->mu);
        apr_thread_exit(t, APR_SUCCESS);
        return NULL;
    }
    for (;;) {
        uint8_t *data = NULL;
        size_t i, len = 0;
        int readable, state;
        uint64_t now = pfz__now_us();

        apr_pool_clear(p);
        apr_thread_mutex_lock(g->mu);
        if (g->stop || pfz__interrupted() || g->next >= g->m.nfiles) {
            apr_thread_mutex_unlock(g->mu);
            break;
        }
        i = g->next++;
        g->state[i - g->base] = IN_READING;
        if (pfz__progress_due(&g->prog, now))
            pfz__progress_line(&g->prog, g->head, apr_psprintf(p, "left_out: %d", g->left_out), now);
        apr_thread_mutex_unlock(g->mu);

        readable = pfz__read_file(g->m.files[i].path, &data, &len, g->run_max, p) == APR_SUCCESS;
        apr_thread_mutex_lock(g->mu);
        g->m.files[i].size = len;
        if (!readable) {
            pfz__log("WARNING: merge: cannot read '%s'; left out", g->m.files[i].path);
            g->left_out++;
        }
        settle(g, i, !readable ? IN_LEFT_OUT : g->stop ? IN_STOPPED : IN_RUNNING);
        state = g->state[i - g->base];
        apr_thread_mutex_unlock(g->mu);
        if (state != IN_RUNNING) {
            free(data);
            continue; /* a stop ends the loop above */
        }
        state = run_one(r, i, data, len, p);
        free(data);
        apr_thread_mutex_lock(g->mu);
        settle(g, i, state);
        apr_thread_mutex_unlock(g->mu);
    }
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* The number of workers: -workers=N, else -fork=N or -jobs=N; else one, as
 * libFuzzer's merge (which runs in one process) -- a merge asked for nothing
 * parallel takes one CPU and one -rss_limit_mb of memory. Never more than
 * there are inputs to run. */
static int merge_workers(const pfz__options_t *o, size_t inputs)
{
    int64_t n = o->workers > 0 ? o->workers : o->fork > 0 ? o->fork : o->jobs > 0 ? o->jobs : 1;

    return (int)PFZ_MAX(1, PFZ_MIN((uint64_t)n, (uint64_t)inputs));
}

/* Runs every input from first_unprocessed on, in up to -workers workers at
 * once (runner_main), the control file written as one worker would write it.
 * Returns the exit status (PFZ_EXIT_OK unless something failed or was
 * interrupted). */
static int run_inputs(merge_t *g, char **argv, int argc, apr_pool_t *pool)
{
    const pfz__options_t *o = g->o;
    size_t i, capacity = 4096, left = g->m.nfiles - g->m.first_unprocessed;
    int nr = merge_workers(o, left), opened = 0, started = 0, k;
    runner_t *rs = apr_pcalloc(pool, sizeof *rs * (size_t)nr);
    char *exe = NULL, msg[320];
    const char **wargv;
    apr_status_t st, rv;

    if ((st = pfz__self_exe(&exe, pool)) != APR_SUCCESS) {
        pfz__log("ERROR: cannot find this program's own path: %s", pfz__strerror(st, msg, sizeof msg));
        return PFZ_EXIT_USAGE;
    }
    wargv = apr_pcalloc(pool, sizeof(char *) * (size_t)(argc + 1));
    for (k = 0; k < argc; k++)
        wargv[k] = argv[k];
    for (i = g->m.first_unprocessed; i < g->m.nfiles; i++)
        capacity = PFZ_MAX(capacity, (size_t)PFZ_MIN(g->m.files[i].size, (uint64_t)g->run_max));
    g->base = g->next = g->head = g->m.first_unprocessed;
    g->state = apr_pcalloc(pool, left + 1);
    g->code = PFZ_EXIT_OK;
    if (pfz__featset_init(&g->seen_e) != APR_SUCCESS)
        return PFZ_EXIT_USAGE;
    if ((st = apr_thread_mutex_create(&g->mu, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS ||
        (st = apr_pool_create(&g->wpool, pool)) != APR_SUCCESS) {
        pfz__log("ERROR: merge: cannot create a lock: %s", pfz__strerror(st, msg, sizeof msg));
        pfz__featset_free(&g->seen_e);
        return PFZ_EXIT_USAGE;
    }
    pfz__interrupt_install();
    for (opened = 0; opened < nr; opened++) {
        runner_t *r = &rs[opened];
        r->g = g;
        if ((st = apr_pool_create(&r->pool, pool)) != APR_SUCCESS ||
            (st = pfz__solo_open(&r->solo, o, exe, wargv, capacity, r->pool)) != APR_SUCCESS) {
            pfz__log("ERROR: cannot create merge worker %d of %d: %s", opened + 1, nr,
                     pfz__strerror(st, msg, sizeof msg));
            g->code = PFZ_EXIT_USAGE;
            break;
        }
    }
    if (nr > 1 && g->code == PFZ_EXIT_OK)
        pfz__log("INFO: merge: %d workers in parallel (-workers=N)", nr);
    pfz__progress_init(&g->prog, "merge", "inputs", g->m.first_unprocessed, g->m.nfiles, pfz__now_us());
    for (started = 0; started < opened && g->code == PFZ_EXIT_OK; started++)
        if ((st = apr_thread_create(&rs[started].thread, NULL, runner_main, &rs[started], pool)) !=
            APR_SUCCESS) {
            apr_thread_mutex_lock(g->mu);
            pfz__log("ERROR: cannot create merge thread %d of %d: %s", started + 1, nr,
                     pfz__strerror(st, msg, sizeof msg));
            g->code = PFZ_EXIT_USAGE;
            g->stop = 1;
            apr_thread_mutex_unlock(g->mu);
            break;
        }
    /* Each ends when no input is left or the merge stops; each input's call
     * is bounded by its -timeout deadline and ended by an interrupt. */
    for (k = 0; k < started; k++)
        apr_thread_join(&rv, rs[k].thread);
    for (k = 0; k < opened; k++)
        pfz__solo_close(&rs[k].solo);
    pfz__featset_free(&g->seen_e);
    apr_pool_destroy(g->wpool);
    return g->code;
}

/* Opens the control file for records: a new one gets its header (written
 * whole, by rename), one in progress is cut after its last whole line. */
static int open_control_file(merge_t *g, int resume, apr_pool_t *pool)
{
    char *text, msg[128];
    size_t len = 0;
    apr_status_t st;

    if (!resume) {
        if (pfz__mctl_header(&text, &len, &g->m, pool) != APR_SUCCESS)
            return 0; /* cannot happen: list_side drops such names */
        if ((st = pfz__write_atomic(g->cf, text, len, pool)) != APR_SUCCESS) {
            pfz__log("ERROR: cannot write -merge_control_file '%s': %s", g->cf, pfz__strerror(st, msg, sizeof msg));
            return 0;
        }
    }
    st = apr_file_open(&g->ctl, g->cf, APR_FOPEN_WRITE | APR_FOPEN_APPEND | APR_FOPEN_BINARY,
                       APR_FPROT_OS_DEFAULT, pool);
    g->ctl_len = (apr_off_t)(resume ? g->m.valid_len : len);
    if (st == APR_SUCCESS && resume)
        st = apr_file_trunc(g->ctl, g->ctl_len);
    if (st != APR_SUCCESS) {
        pfz__log("ERROR: cannot write -merge_control_file '%s': %s", g->cf, pfz__strerror(st, msg, sizeof msg));
        g->ctl = NULL;
        return 0;
    }
    return 1;
}

/* Copies the chosen inputs into OUT and prints libFuzzer's result line. */
static int choose_and_copy(merge_t *g, apr_pool_t *pool)
{
    size_t n = g->m.nfiles + g->known.nfiles, i, nchosen, nfeat, nedge, written = 0;
    pfz__mfile_t **all = apr_pcalloc(pool, (n + 1) * sizeof *all);
    size_t *chosen = apr_pcalloc(pool, (n + 1) * sizeof *chosen);
    size_t read_max = g->o->max_len > 0 ? (size_t)g->o->max_len : MAX_FILE;
    char msg[128];
    apr_status_t st;

    /* A reused control file's inputs first: at a tie the input that was
     * there before (ClusterFuzz: of the existing corpus) stays, rather than a
     * new one being counted as a new unit. What it knows counts as OUT's only
     * if it is in OUT now. */
    for (i = 0; i < g->known.nfiles; i++) {
        all[i] = &g->known.files[i];
        g->known.files[i].initial = apr_hash_get(g->first, g->known.files[i].path, APR_HASH_KEY_STRING) != NULL;
    }
    for (i = 0; i < g->m.nfiles; i++)
        all[g->known.nfiles + i] = &g->m.files[i];
    if (pfz__mctl_select(&nchosen, chosen, all, n, (int)g->o->set_cover_merge, &nfeat, &nedge) != APR_SUCCESS) {
        pfz__log("ERROR: merge: out of memory choosing the inputs");
        return PFZ_EXIT_USAGE;
    }
    for (i = 0; i < nchosen; i++) {
        const char *path = all[chosen[i]]->path;
        uint8_t *data;
        size_t len;
        char hex[PFZ__SHA1_HEX_LEN + 1];
        if (pfz__read_file(path, &data, &len, read_max, pool) != APR_SUCCESS) {
            pfz__log("WARNING: merge: cannot read '%s' any more; not copied", path);
            continue;
        }
        pfz__sha1_hex(data, len, hex);
        st = pfz__write_atomic(apr_pstrcat(pool, g->o->dirs[0], "/", hex, NULL), data, len, pool);
        free(data);
        if (st != APR_SUCCESS) {
            pfz__log("ERROR: merge: cannot write into '%s': %s; the inputs are unchanged",
                     g->o->dirs[0], pfz__strerror(st, msg, sizeof msg));
            return PFZ_EXIT_USAGE;
        }
        written++;
    }
    if (g->left_out > 0)
        pfz__log("INFO: merge: %d input(s) left out: they crash, hang or run out of memory (above)",
                 g->left_out);
    pfz__log("MERGE-OUTER: %" APR_SIZE_T_FMT " new files with %" APR_SIZE_T_FMT " new features added; %"
             APR_SIZE_T_FMT " new coverage edges", written, nfeat, nedge);
    return PFZ_EXIT_OK;
}

int pfz__merge(const pfz__options_t *o, char **argv, int argc, apr_pool_t *pool)
{
    merge_t g;
    apr_array_header_t *old, *new;
    apr_finfo_t fi;
    char msg[128];
    int i, resume = 0, finished = 0, code = PFZ_EXIT_OK;
    apr_status_t st;

    if (o->ndirs < 2) {
        pfz__log("ERROR: -merge=1 needs an output directory and at least one input directory: "
                 "-merge=1 OUT IN1 [IN2 ...]");
        return PFZ_EXIT_USAGE;
    }
    if ((st = apr_dir_make_recursive(o->dirs[0], APR_FPROT_OS_DEFAULT, pool)) != APR_SUCCESS) {
        pfz__log("ERROR: cannot create the merge output directory '%s': %s", o->dirs[0],
                 pfz__strerror(st, msg, sizeof msg));
        return PFZ_EXIT_USAGE;
    }
    memset(&g, 0, sizeof g);
    g.o = o;
    g.cf = o->merge_control_file;
    g.run_max = o->max_len > 0 ? (size_t)o->max_len : MERGE_MAX_LEN;
    g.first = apr_hash_make(pool);
    if (list_side(&old, o->dirs, 1, pool) != APR_SUCCESS ||
        list_side(&new, o->dirs + 1, o->ndirs - 1, pool) != APR_SUCCESS)
        return PFZ_EXIT_USAGE;
    for (i = 0; i < old->nelts; i++)
        apr_hash_set(g.first, APR_ARRAY_IDX(old, i, listed_t).path, APR_HASH_KEY_STRING, "");
    if (g.cf != NULL && apr_stat(&fi, g.cf, APR_FINFO_SIZE, pool) == APR_SUCCESS && fi.size > 0 &&
        !read_control_file(&g, (size_t)(old->nelts + new->nelts), &resume, &finished, pool))
        return PFZ_EXIT_USAGE;
    if (!resume && !finished) {
        pfz__log("MERGE-OUTER: %d files, %d in the initial corpus, %" APR_SIZE_T_FMT " processed earlier",
                 old->nelts + new->nelts, old->nelts, g.known.nfiles);
        fresh_list(&g, old, new, pool);
    }
    if (!finished && g.m.first_unprocessed < g.m.nfiles) {
        if (g.cf != NULL && !open_control_file(&g, resume, pool))
            code = PFZ_EXIT_USAGE;
        if (code == PFZ_EXIT_OK) {
            if (g.cf != NULL)
                pfz__log("MERGE-INNER: using the control file '%s'", g.cf);
            if (g.m.last_failure != NULL)
                pfz__log("MERGE-INNER: '%s' caused a failure at the previous merge step", g.m.last_failure);
            pfz__log("MERGE-INNER: %" APR_SIZE_T_FMT " total files; %" APR_SIZE_T_FMT " processed earlier; "
                     "will process %" APR_SIZE_T_FMT " files now", g.m.nfiles, g.m.first_unprocessed,
                     g.m.nfiles - g.m.first_unprocessed);
            code = run_inputs(&g, argv, argc, pool);
        }
        if (g.ctl != NULL)
            apr_file_close(g.ctl);
    }
    if (pfz__interrupted()) {
        pfz__log("INFO: merge interrupted; %s", g.cf ? "run again with the same -merge_control_file to resume"
                                                     : "nothing was written");
        code = PFZ_EXIT_INTERRUPTED;
    }
    if (code == PFZ_EXIT_OK)
        code = choose_and_copy(&g, pool);
    pfz__mctl_free(&g.m);
    pfz__mctl_free(&g.known);
    return code;
}
