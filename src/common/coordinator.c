/* coordinator.c -- the coordinator (coordinator.h): hands out work to the
 * workers' client threads, decides what enters the corpus, saves findings, and
 * stops on time, on run count, on a finding or on Ctrl-C. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "artifact.h"
#include "coordinator.h"
#include "coverage.h"
#include "cstats.h"
#include "featcache.h"
#include "platform.h"
#include "progress.h"
#include "report.h"
#include "signature.h"
#include "wire.h"

#define BATCH_US 100000u          /* time budget of one FUZZ call */
#define INBOX_BYTES_PER_CALL (8u << 20)
/* Corpus inputs per RUN call at the start: at most this many, and past the
 * first, at most this many bytes. */
#define SEED_BATCH 256
#define SEED_BATCH_BYTES (4u << 20)
#define LOG_TAIL (64u << 10)
/* How long the threads get to finish after a stop before the run ends
 * without them (ClusterFuzz sends SIGKILL 10 s after SIGTERM). */
#define SHUTDOWN_US (5u * 1000000u)
/* How long the end of a run waits for the corpus writer's queue. */
#define WRITER_FLUSH_US (30u * 1000000u)
/* How long a client thread waits at most for room in the writer's queue. */
#define WRITER_WAIT_US (1u * 1000000u)

void pfz__coord_request_stop(pfz__coord_t *c, int exit_code)
{
    apr_thread_mutex_lock(c->mu);
    if (!c->stopping) {
        c->stopping = 1;
        c->exit_code = exit_code;
    }
    if (c->cv != NULL)
        apr_thread_cond_broadcast(c->cv);
    apr_thread_mutex_unlock(c->mu);
}

int pfz__coord_abandoned;

/* Counts a coordinator thread in (+1, before it is created) or out (-1,
 * when its creation failed). */
static void thread_started(pfz__coord_t *c, int delta)
{
    apr_thread_mutex_lock(c->mu);
    c->threads_live += delta;
    apr_thread_mutex_unlock(c->mu);
}

void pfz__coord_thread_done(pfz__coord_t *c)
{
    apr_thread_mutex_lock(c->mu);
    c->threads_live--;
    if (c->cv != NULL)
        apr_thread_cond_broadcast(c->cv);
    apr_thread_mutex_unlock(c->mu);
}

/* After a stop: waits up to `limit` microseconds for every client thread and
 * the watchdog to finish. 1 if they all did. */
static int threads_finished(pfz__coord_t *c, uint64_t limit)
{
    uint64_t deadline = pfz__now_us() + limit, now;
    int live;

    apr_thread_mutex_lock(c->mu);
    while (c->threads_live > 0 && (now = pfz__now_us()) < deadline)
        apr_thread_cond_timedwait(c->cv, c->mu, (apr_interval_time_t)PFZ_MIN(deadline - now, 100000));
    live = c->threads_live;
    apr_thread_mutex_unlock(c->mu);
    return live <= 0;
}

int pfz__coord_stopping(pfz__coord_t *c)
{
    int s;

    apr_thread_mutex_lock(c->mu);
    s = c->stopping;
    apr_thread_mutex_unlock(c->mu);
    return s;
}

static double elapsed_s(const pfz__coord_t *c)
{
    return (double)(pfz__now_us() - c->start_us) / 1e6;
}

/* (mu held) One libFuzzer-style status line. */
static void status_line(pfz__coord_t *c, const char *what)
{
    double secs = elapsed_s(c);
    uint64_t eps = secs > 0 ? (uint64_t)((double)c->total_execs / secs) : 0;
    size_t bytes = c->corpus->total_bytes;

    /* libFuzzer's units: b below 16 Kb, Kb below 16 Mb. */
    pfz__log("#%" APR_UINT64_T_FMT "\t%s cov: %zu ft: %zu corp: %d/%zu%s exec/s: %" APR_UINT64_T_FMT
             " rss: %zuMb", c->total_execs, what, c->corpus->nedges, c->corpus->features.count,
             c->corpus->entries->nelts, bytes >= (1u << 24) ? bytes >> 20 : bytes >= (1u << 14) ? bytes >> 10 : bytes,
             bytes >= (1u << 24) ? "Mb" : bytes >= (1u << 14) ? "Kb" : "b", eps, c->peak_rss_mb);
}

/* A worker's captured output, taken once per finding: it feeds the
 * signature, the printed report and the saved .log. */
typedef struct output {
    char *text;
    size_t len;
    apr_uint64_t dropped; /* earlier bytes that did not fit in the capture */
} output_t;

static void take_output(pfz__wslot_t *s, output_t *out, apr_pool_t *p)
{
    pfz__outcap_snapshot(s->out, &out->text, &out->len, &out->dropped, p);
}

/* Prints the end of a worker's output (the sanitizer report or the target's
 * last words; the last LOG_TAIL bytes) and saves all that was captured next to
 * the artifact as <artifact>.log, when there is an artifact. The report is
 * printed whether or not anything could be saved. */
static void show_output(const char *who, const output_t *out, const char *artifact, apr_pool_t *p)
{
    size_t off = out->len > LOG_TAIL ? out->len - LOG_TAIL : 0;
    const char *logpath;
    apr_status_t st;
    char msg[256];

    if (out->len == 0)
        return;
    if (off > 0 || out->dropped > 0)
        fprintf(stderr, "---- output of %s (its last %zu of %" APR_UINT64_T_FMT " bytes) ----\n",
                who, out->len - off, out->dropped + out->len);
    else
        fprintf(stderr, "---- output of %s ----\n", who);
    fwrite(out->text + off, 1, out->len - off, stderr);
    if (out->text[out->len - 1] != '\n')
        fputc('\n', stderr);
    fprintf(stderr, "---- end of output of %s ----\n", who);
    if (artifact == NULL)
        return;
    logpath = apr_pstrcat(p, artifact, ".log", NULL);
    if ((st = pfz__write_atomic(logpath, out->text, out->len, p)) != APR_SUCCESS)
        pfz__log("WARNING: cannot save the worker's output next to the artifact as '%s': %s (it "
                 "is printed above)", logpath, pfz__strerror(st, msg, sizeof msg));
}

/* What the target did to the engine, from a call's result flags (NULL: none). */
static const char *engine_damage(unsigned flags)
{
    if (flags & PFZ__RESF_CHANNEL_LOST)
        return "closed or replaced the engine's call/reply channels";
    if (flags & PFZ__RESF_GARBAGE)
        return "wrote to the engine's reply channel";
    if (flags & PFZ__RESF_CORRUPT)
        return "overwrote the engine's shared-memory region";
    return NULL;
}

/* Writes a finding (artifact.c falls back to a writable place if it must).
 * -exact_artifact_path names one file, but no finding may overwrite another:
 * the first goes to the path, later ones (-keep_going=1, or two workers that
 * crash at once) to <path>.2, <path>.3, ..., each named in the output. */
static apr_status_t save_finding(pfz__coord_t *c, const char **path, const char *kind,
                                 const uint8_t *data, size_t size, apr_pool_t *p)
{
    const char *exact = c->o->exact_artifact_path;
    int n;

    if (exact != NULL) {
        apr_thread_mutex_lock(c->mu);
        n = ++c->exact_saved;
        apr_thread_mutex_unlock(c->mu);
        if (n > 1)
            exact = apr_psprintf(p, "%s.%d", exact, n);
    }
    return pfz__artifact_save(path, c->o->artifact_prefix, exact, kind, data, size, p);
}

/* A worker died during a call with res->input as the exact input it ran. */
static void handle_death(pfz__coord_t *c, pfz__wslot_t *s, int was_seed)
{
    pfz__exit_t how;
    pfz__kill_reason_e reason;
    const char *kind, *sig, *path = NULL;
    output_t out;
    apr_pool_t *p;
    int code, in_target = (s->res.exec_seq & 1) != 0, dup, save;
    const char *broke = engine_damage(s->res.flags), *summary = NULL;
    long pid;

    pfz__worker_reap(s->worker, &how, &reason);
    pid = how.pid;
    /* Past -timeout, the watchdog asks for the stack, then kills after a
     * grace. A worker that ended by itself in between was not hung: it was
     * reporting a crash that came before (a deadly-signal report with slow
     * symbolization can outlast what was left of -timeout). Its report is
     * whole; it is a crash. */
    if (reason == PFZ__KILL_TIMEOUT && how.crash && !how.killed)
        reason = PFZ__KILL_NONE;
    s->entries_sent = s->features_sent = 0; /* the next process starts empty */
    if (reason == PFZ__KILL_CLEANUP || (pfz__coord_stopping(c) && reason == PFZ__KILL_NONE &&
                                            !in_target && broke == NULL))
        return; /* we stopped it: not a finding */
    apr_pool_create(&p, s->pool);
    if (broke != NULL && reason == PFZ__KILL_NONE) {
        /* The target attacked the engine itself. The region's value is the
         * input it ran (checked against our own copy of the layout). */
        kind = "crash";
        code = (int)c->o->error_exitcode;
        pfz__log("==%ld== ERROR: portfuzz: the fuzz target %s in worker %d (%s)%s", pid, broke,
                 s->id, how.desc, was_seed ? " (on a seed input)" : "");
        apr_snprintf(how.desc, sizeof how.desc, "the target %s", broke);
    } else if (reason == PFZ__KILL_TIMEOUT) {
        /* The worker could not say it: the report is ours, before its
         * output (the stack it printed on our request), as libFuzzer's. */
        kind = "timeout";
        code = (int)c->o->timeout_exitcode;
        summary = "timeout";
        pfz__report_timeout(pid, c->o->timeout);
        pfz__log("INFO: portfuzz: worker %d (pid %ld) ran one input past -timeout=%" APR_INT64_T_FMT
                 "%s", s->id, pid, c->o->timeout, in_target ? "" : " (outside the fuzz target)");
    } else if (reason == PFZ__KILL_OOM) {
        kind = "oom";
        code = PFZ_EXIT_OOM;
        summary = "out-of-memory";
        apr_thread_mutex_lock(c->mu);
        pfz__report_oom_rss(pid, s->oom_rss_mb, c->o->rss_limit_mb);
        apr_thread_mutex_unlock(c->mu);
        pfz__log("INFO: portfuzz: worker %d (pid %ld) passed -rss_limit_mb", s->id, pid);
    } else if (in_target && how.kind == PFZ__EXIT_CODE && how.code == PFZ_EXIT_OOM) {
        /* The guards' malloc limit (report.c): the worker printed the report. */
        kind = "oom";
        code = PFZ_EXIT_OOM;
        pfz__log("INFO: portfuzz: worker %d (pid %ld) ended: %s (the malloc limit)%s", s->id, pid,
                 how.desc, was_seed ? " (on a seed input)" : "");
    } else if (!in_target) {
        /* It died between executions: in start-up (LLVMFuzzerInitialize, a
         * missing library) or in the engine. Not an input's fault. */
        take_output(s, &out, p);
        show_output(apr_psprintf(p, "worker %d", s->id), &out, NULL, p);
        pfz__log("ERROR: worker %d ended outside the fuzz target (%s) before or between "
                 "executions; it cannot fuzz. Check that the target starts (run it on one input "
                 "file) and see its output above.", s->id, how.desc);
        pfz__coord_request_stop(c, PFZ_EXIT_USAGE);
        apr_pool_destroy(p);
        return;
    } else {
        /* The worker's own output carries the report (the deadly-signal
         * handler's, a sanitizer's, the guards'): a line of ours claiming a
         * kind would take the place of the sanitizer's in ClusterFuzz. */
        kind = "crash";
        code = (int)c->o->error_exitcode;
        pfz__log("INFO: portfuzz: worker %d (pid %ld) died: %s%s", s->id, pid, how.desc,
                 was_seed ? " (on a seed input)" : "");
    }
    take_output(s, &out, p);
    sig = pfz__signature(kind, how.desc, out.text, out.len, p);

    apr_thread_mutex_lock(c->mu);
    dup = apr_hash_get(c->signatures, sig, APR_HASH_KEY_STRING) != NULL;
    if (!dup)
        apr_hash_set(c->signatures, apr_pstrdup(c->pool, sig), APR_HASH_KEY_STRING, "");
    if (c->first_finding_code == 0)
        c->first_finding_code = code;
    if (strcmp(kind, "crash") == 0) c->crashes++;
    else if (strcmp(kind, "timeout") == 0) c->timeouts++;
    else c->ooms++;
    apr_thread_mutex_unlock(c->mu);

    /* Save unless it is a duplicate in -keep_going mode: never lose a new one.
     * The report is shown even when no artifact could be written at all (the
     * input is then printed in hex), and a crash is minimized either way. */
    save = !dup || !c->o->keep_going;
    if (save) {
        if (save_finding(c, &path, kind, s->res.input, s->res.input_size, p) != APR_SUCCESS)
            path = NULL;
        show_output(apr_psprintf(p, "worker %d", s->id), &out, path, p);
    } else {
        pfz__log("INFO: %s in worker %d is a duplicate of one already saved (%s); not saved again",
                 kind, s->id, sig);
    }
    if (summary != NULL)
        pfz__report_summary(summary);
    if (!c->o->keep_going) {
        apr_thread_mutex_lock(c->mu);
        if (!c->stopping && strcmp(kind, "crash") == 0 && c->o->minimize_crash &&
            c->to_minimize == NULL) {
            c->to_minimize = malloc(s->res.input_size ? s->res.input_size : 1);
            if (c->to_minimize != NULL) {
                memcpy(c->to_minimize, s->res.input, s->res.input_size);
                c->to_minimize_size = s->res.input_size;
                c->to_minimize_path = path != NULL ? apr_pstrdup(c->pool, path) : NULL;
            }
        }
        apr_thread_mutex_unlock(c->mu);
        pfz__coord_request_stop(c, code);
    }
    apr_pool_destroy(p);
}

/* The worker reported that the value in its region leaks memory: save it as
 * leak-<sha1> (never added to the corpus) with LeakSanitizer's report, and
 * restart the worker so that its heap (and LSan's view of it) starts clean. */
static void handle_leak(pfz__coord_t *c, pfz__wslot_t *s)
{
    pfz__exit_t how;
    pfz__kill_reason_e reason;
    const char *path = NULL, *sig;
    output_t out;
    apr_pool_t *p;
    int dup;

    apr_pool_create(&p, s->pool);
    /* LeakSanitizer's report (in the worker's output) is the report. */
    pfz__log("INFO: portfuzz: worker %d found a memory leak (LeakSanitizer's report follows)", s->id);
    memset(&how, 0, sizeof how);
    apr_cpystrn(how.desc, "leak", sizeof how.desc);
    take_output(s, &out, p);
    sig = pfz__signature("leak", how.desc, out.text, out.len, p);
    apr_thread_mutex_lock(c->mu);
    dup = apr_hash_get(c->signatures, sig, APR_HASH_KEY_STRING) != NULL;
    if (!dup)
        apr_hash_set(c->signatures, apr_pstrdup(c->pool, sig), APR_HASH_KEY_STRING, "");
    c->leaks++;
    if (c->first_finding_code == 0)
        c->first_finding_code = (int)c->o->error_exitcode;
    apr_thread_mutex_unlock(c->mu);
    if (!dup || !c->o->keep_going) {
        if (save_finding(c, &path, "leak", s->res.input, s->res.input_size, p) != APR_SUCCESS)
            path = NULL;
        show_output(apr_psprintf(p, "worker %d", s->id), &out, path, p);
    } else {
        pfz__log("INFO: leak in worker %d is a duplicate of one already saved; not saved again", s->id);
    }
    pfz__worker_kill(s->worker, PFZ__KILL_CLEANUP);
    pfz__worker_reap(s->worker, &how, &reason);
    s->entries_sent = s->features_sent = 0;
    if (!c->o->keep_going)
        pfz__coord_request_stop(c, (int)c->o->error_exitcode);
    apr_pool_destroy(p);
}

/* (mu held) Takes the corpus entries and features this worker lacks: entries
 * it never had (appended), and entries it had that a REDUCE replaced since,
 * each with the features the worker that ran it measured. Entry contents and
 * their features can be replaced (and freed) once mu is dropped, so both are
 * copied into the slot's buffers; owned features are never freed early. */
static void catch_up(pfz__coord_t *c, pfz__wslot_t *s, pfz__fuzz_args_t *a,
                     apr_array_header_t *inbox, size_t *nent, size_t *nfeat, size_t *nrep)
{
    size_t bytes = 0, nf = 0, i = s->entries_sent, n = (size_t)c->corpus->entries->nelts, r, k;
    size_t off, foff;
    const pfz__u32vec_t *log = &c->corpus->replace_log;
    pfz__inbox_item_t *it;
    pfz__entry_t *e;

    apr_array_clear(inbox);
    for (; i < n && bytes + 4 * nf < INBOX_BYTES_PER_CALL; i++) {
        e = APR_ARRAY_IDX(c->corpus->entries, i, pfz__entry_t *);
        it = &APR_ARRAY_PUSH(inbox, pfz__inbox_item_t);
        it->index = (uint32_t)i;
        bytes += e->size;
        nf += e->nfeats;
    }
    *nent = i;
    for (r = s->replaces_sent; r < log->n; r++) {
        /* An entry at or past entries_sent goes (or went) out whole, with its
         * current content: no separate replacement. */
        if (log->v[r] >= s->entries_sent)
            continue;
        it = &APR_ARRAY_PUSH(inbox, pfz__inbox_item_t);
        it->index = log->v[r];
        e = APR_ARRAY_IDX(c->corpus->entries, log->v[r], pfz__entry_t *);
        bytes += e->size;
        nf += e->nfeats;
    }
    *nrep = r;
    if (bytes > s->inbox_cap || nf > s->inbox_feats_cap) {
        uint8_t *nb = bytes > s->inbox_cap ? realloc(s->inbox_buf, bytes) : NULL;
        uint32_t *nfb = NULL;
        int ok = bytes <= s->inbox_cap || nb != NULL;
        if (nb != NULL) {
            s->inbox_buf = nb;
            s->inbox_cap = bytes;
        }
        if (ok && nf > s->inbox_feats_cap) {
            nfb = realloc(s->inbox_feats, nf * sizeof *nfb);
            ok = nfb != NULL;
        }
        if (!ok) { /* nothing this time; the next call tries again */
            apr_array_clear(inbox);
            *nent = s->entries_sent;
            *nrep = s->replaces_sent;
        } else if (nfb != NULL) {
            s->inbox_feats = nfb;
            s->inbox_feats_cap = nf;
        }
    }
    for (k = 0, off = 0, foff = 0; k < (size_t)inbox->nelts; k++) {
        it = &APR_ARRAY_IDX(inbox, k, pfz__inbox_item_t);
        e = APR_ARRAY_IDX(c->corpus->entries, it->index, pfz__entry_t *);
        if (e->size > 0)
            memcpy(s->inbox_buf + off, e->data, e->size);
        it->data = e->size > 0 ? s->inbox_buf + off : NULL;
        it->size = e->size;
        it->owned = e->owned;
        it->nowned = e->nowned;
        if (e->nfeats > 0)
            memcpy(s->inbox_feats + foff, e->feats, e->nfeats * sizeof *e->feats);
        it->feats = e->nfeats > 0 ? s->inbox_feats + foff : NULL;
        it->nfeats = e->nfeats;
        it->exec_us = (uint32_t)PFZ_MIN(e->exec_us, (uint64_t)UINT32_MAX);
        off += e->size;
        foff += e->nfeats;
    }
    a->inbox = (const pfz__inbox_item_t *)inbox->elts;
    a->inbox_count = (size_t)inbox->nelts;
    /* The feature log only grows; a realloc can move it, so the call copies
     * the features out before the lock is dropped (see client_main). */
    *nfeat = c->corpus->feature_log.n;
}

/* (mu held) A worker found a smaller input that reaches every feature entry
 * idx owns: it takes the entry's place (unless another worker got there
 * first with something at least as small). */
static void reduce(pfz__coord_t *c, size_t idx, const uint8_t *data, size_t size,
                   const pfz__reply_t *r)
{
    apr_status_t st;
    char msg[128];

    if (pfz__corpus_replace(c->corpus, idx, data, size, &st)) {
        pfz__corpus_keep_features(c->corpus, idx, r->features.v, r->features.n, r->exec_us);
        status_line(c, "REDUCE");
    }
    if (st != APR_SUCCESS)
        pfz__log("WARNING: cannot write a reduced corpus entry into '%s': %s (it is kept in memory)",
                 c->corpus->outdir ? c->corpus->outdir : "?", pfz__strerror(st, msg, sizeof msg));
}

/* (mu held) What the driver does with a new input or a seed: f are all the
 * features it reaches, measured by an execution that took exec_us (0:
 * unknown); an input that joins the corpus keeps them for the other workers. */
static void offer(pfz__coord_t *c, const uint8_t *data, size_t size, const uint32_t *f, size_t nf,
                  uint64_t exec_us, int force, int seed)
{
    apr_status_t st;
    char msg[128];

    if (pfz__corpus_offer(c->corpus, data, size, f, nf, force, &st)) {
        pfz__corpus_keep_features(c->corpus, (size_t)c->corpus->entries->nelts - 1, f, nf, exec_us);
        if (seed)
            pfz__corpus_mark_seed(c->corpus);
        else
            c->new_units++; /* stat::new_units_added: found by fuzzing */
        if (c->inited)
            status_line(c, "NEW   ");
    }
    if (st != APR_SUCCESS)
        pfz__log("WARNING: cannot write a new corpus entry into '%s': %s (it is kept in memory)",
                 c->corpus->outdir ? c->corpus->outdir : "?", pfz__strerror(st, msg, sizeof msg));
}

/* (mu held) How many seeds are still to be handed to a worker. */
static int seeds_left(const pfz__coord_t *c)
{
    return c->seeds->nelts - c->next_seed + c->seed_retry->nelts;
}

/* (mu held) Prints INITED once every seed has run. */
static void maybe_inited(pfz__coord_t *c)
{
    if (!c->inited && seeds_left(c) == 0 && c->seeds_inflight == 0) {
        c->inited = 1;
        apr_thread_cond_broadcast(c->cv); /* client threads waiting to fuzz */
        status_line(c, "INITED");
        /* Judged from what the seeds reached (gcc's trace-pc registers
         * nothing up front, so only executions tell), unless they all ended
         * in findings. libFuzzer's words, which build checks look for
         * (OSS-Fuzz's bad_build_check), though portfuzz goes on. */
        if (c->corpus->features.count == 0 && c->crashes + c->timeouts + c->ooms + c->leaks == 0)
            pfz__log("ERROR: no interesting inputs were found. Is the code instrumented for "
                     "coverage? portfuzz goes on fuzzing blindly (the target has no coverage "
                     "instrumentation). Compile it with -fsanitize=fuzzer-no-link (clang), "
                     "-fsanitize-coverage=trace-pc,trace-cmp (gcc) or "
                     "/fsanitize-coverage=inline-8bit-counters (MSVC).");
    }
}

/* Starts (or restarts) a worker. A failed spawn is retried with a growing
 * pause before the run is given up: process creation fails transiently under
 * load (EAGAIN from fork, a busy Wine server), and one such failure must not
 * end a campaign. */
static apr_status_t start_worker(pfz__coord_t *c, pfz__wslot_t *s)
{
    apr_interval_time_t pause = 50000;
    apr_status_t st;
    char msg[256];
    int attempt;

    for (attempt = 1;; attempt++) {
        st = pfz__worker_start(s->worker);
        if (st == APR_SUCCESS || st == PFZ_ESHMCLOSED || pfz__coord_stopping(c))
            return st == APR_SUCCESS ? st : PFZ_ESHMCLOSED;
        if (attempt == 6)
            break;
        pfz__log("WARNING: cannot start worker %d (attempt %d): %s; retrying", s->id, attempt,
                 pfz__worker_start_error(s->worker, st, msg, sizeof msg));
        apr_sleep(pause);
        pause *= 2;
    }
    pfz__log("ERROR: cannot start worker %d (this program, re-executed) after %d attempts: %s. "
             "Check process and memory limits (ulimit -u, -v) and, on Windows, antivirus.",
             s->id, attempt, pfz__worker_start_error(s->worker, st, msg, sizeof msg));
    pfz__coord_request_stop(c, PFZ_EXIT_USAGE);
    return st;
}

/* (mu held) The next corpus inputs for a RUN call, into batch (pfz__input_t)
 * and items (their inbox records): a batch per call (one call per input made
 * a 50,000-file corpus 50,000 round trips), small enough near the end that
 * every worker gets a share. Returns the size of the largest. */
static size_t take_seeds(pfz__coord_t *c, apr_array_header_t *batch, apr_array_header_t *items)
{
    size_t bytes = 0, largest = 0;
    int want = PFZ_MAX(PFZ_MIN(seeds_left(c) / (4 * c->nworkers), SEED_BATCH), 1);
    pfz__inbox_item_t *it;
    pfz__input_t in;

    apr_array_clear(batch);
    apr_array_clear(items);
    while (batch->nelts < want && seeds_left(c) > 0 && (batch->nelts == 0 || bytes < SEED_BATCH_BYTES)) {
        if (c->seed_retry->nelts > 0)
            in = *(pfz__input_t *)apr_array_pop(c->seed_retry);
        else
            in = APR_ARRAY_IDX(c->seeds, c->next_seed++, pfz__input_t);
        APR_ARRAY_PUSH(batch, pfz__input_t) = in;
        bytes += in.size;
        largest = PFZ_MAX(largest, in.size);
    }
    for (want = 0; want < batch->nelts; want++) {
        it = &APR_ARRAY_PUSH(items, pfz__inbox_item_t);
        memset(it, 0, sizeof *it);
        it->index = (uint32_t)want;
        it->data = APR_ARRAY_IDX(batch, want, pfz__input_t).data;
        it->size = APR_ARRAY_IDX(batch, want, pfz__input_t).size;
    }
    c->seeds_inflight += batch->nelts;
    return largest;
}

/* (mu held) A RUN call of a batch replied: each input that ran joins the
 * corpus (or not) with the features it reached; those it did not get to go
 * back to the queue. Returns how many ran, or -1 if the reply is malformed. */
static int seeds_ran(pfz__coord_t *c, const apr_array_header_t *batch, const pfz__reply_t *r)
{
    const uint32_t *v = r->features.v;
    size_t pos = 0, total = r->features.n, n;
    int k, done = (int)PFZ_MIN((size_t)r->entry, (size_t)batch->nelts);

    for (k = 0; k < done; k++) {
        const pfz__input_t *in = &APR_ARRAY_IDX(batch, k, pfz__input_t);
        if (total - pos < 2)
            break;
        n = v[pos] == PFZ__BATCH_REJECTED ? 0 : v[pos];
        if (n > total - pos - 2)
            break;
        if (v[pos] != PFZ__BATCH_REJECTED) /* the target returned -1: not added */
            offer(c, in->data, in->size, v + pos + 2, n, v[pos + 1], c->corpus->entries->nelts == 0, 1);
        pos += 2 + n;
    }
    for (; k < batch->nelts; k++)
        APR_ARRAY_PUSH(c->seed_retry, pfz__input_t) = APR_ARRAY_IDX(batch, k, pfz__input_t);
    c->seeds_inflight -= batch->nelts;
    maybe_inited(c);
    return done > 0 && pos == total ? done : -1;
}

/* (mu held) The worker died in a batch: the input in its region (reported as
 * the finding) is done; the others go back to the queue (those that ran
 * before it had no reply). With res NULL (the call failed otherwise), all of
 * them go back. */
static void seeds_died(pfz__coord_t *c, const apr_array_header_t *batch, const pfz__fuzz_result_t *res)
{
    int k, culprit = -1;

    for (k = 0; k < batch->nelts && culprit < 0 && res != NULL; k++) {
        const pfz__input_t *in = &APR_ARRAY_IDX(batch, k, pfz__input_t);
        if (in->size == res->input_size && (in->size == 0 || memcmp(in->data, res->input, in->size) == 0))
            culprit = k;
    }
    for (k = 0; k < batch->nelts; k++)
        if (k != culprit)
            APR_ARRAY_PUSH(c->seed_retry, pfz__input_t) = APR_ARRAY_IDX(batch, k, pfz__input_t);
    c->seeds_inflight -= batch->nelts;
    maybe_inited(c);
}

/* After a batch replied (mu not held): the inputs that ran through need not
 * run at the next start. Our own copies are the keys, never the worker's. */
static void seeds_to_cache(pfz__coord_t *c, const apr_array_header_t *batch, const pfz__reply_t *r,
                           int done)
{
    const uint32_t *v = r->features.v;
    size_t pos = 0, n;
    int k;

    for (k = 0; k < done; k++) {
        const pfz__input_t *in = &APR_ARRAY_IDX(batch, k, pfz__input_t);
        n = v[pos] == PFZ__BATCH_REJECTED ? 0 : v[pos];
        pfz__featcache_put(c->fc, in->data, in->size, v + pos + 2, n, v[pos] == PFZ__BATCH_REJECTED);
        pos += 2 + n;
    }
}

static void *APR_THREAD_FUNC client_main(apr_thread_t *t, void *arg)
{
    pfz__wslot_t *s = arg;
    pfz__coord_t *c = s->coord;
    apr_array_header_t *inbox = apr_array_make(s->pool, 64, sizeof(pfz__inbox_item_t));
    apr_array_header_t *batch = apr_array_make(s->pool, SEED_BATCH, sizeof(pfz__input_t));
    pfz__u32vec_t feats = {0};
    pfz__fuzz_args_t a;
    uint64_t call_no = 0, reserved = 0; /* (mu) this thread's share of -runs */
    apr_status_t st;
    char msg[256];

    for (;;) {
        size_t nent = 0, nfeat = 0, nrep = 0;
        int seeding = 0, done = 0;
        uint64_t held;

        memset(&a, 0, sizeof a);
        apr_thread_mutex_lock(c->mu);
        held = pfz__cstats_now(c->stats);
        c->runs_reserved -= reserved; /* the last call's share of -runs is spent */
        reserved = 0;
        if (c->stopping) {
            apr_thread_mutex_unlock(c->mu);
            break;
        }
        a.max_len = (uint32_t)c->max_len;
        a.seed = c->seed + (uint64_t)s->id * 0x9E3779B97F4A7C15ull + call_no++;
        a.flags = (c->o->use_value_profile ? PFZ__FUZZF_VALUE_PROFILE : 0) |
                  (c->o->only_ascii ? PFZ__FUZZF_ONLY_ASCII : 0) |
                  (c->o->reduce_inputs ? PFZ__FUZZF_REDUCE : 0);
        if (seeds_left(c) > 0) {
            size_t largest = take_seeds(c, batch, inbox);
            seeding = 1;
            if (c->o->runs >= 0) { /* seeds always run; their executions count */
                reserved = (uint64_t)batch->nelts;
                c->runs_reserved += reserved;
            }
            a.type = PFZ__CALL_RUN;
            a.max_len = (uint32_t)PFZ_MAX(largest, c->max_len);
            a.inbox = (const pfz__inbox_item_t *)inbox->elts;
            a.inbox_count = (size_t)inbox->nelts;
            a.deadline_us = pfz__options_deadline_us(c->o, 30000000u, (uint64_t)batch->nelts + 1);
        } else if (!c->inited) {
            /* Seeds run first: every seed is in the corpus (or reported)
             * before any mutation, as in libFuzzer. The wait is at most one
             * seed execution on another worker. */
            while (!c->inited && !c->stopping)
                apr_thread_cond_wait(c->cv, c->mu);
            apr_thread_mutex_unlock(c->mu);
            continue;
        } else {
            /* -runs is exact: every call in flight holds a share of what is
             * left, so the shares never add up to more than -runs. A thread
             * with nothing left ends; the others' shares cover the rest. */
            uint64_t used = c->total_execs + c->runs_reserved;
            uint64_t left = c->o->runs >= 0 && (uint64_t)c->o->runs > used
                                ? (uint64_t)c->o->runs - used : 0;
            if (c->o->runs >= 0 && left == 0) {
                apr_thread_mutex_unlock(c->mu);
                break; /* the main loop notices -runs and stops */
            }
            a.type = PFZ__CALL_FUZZ;
            a.time_budget_us = BATCH_US;
            if (c->o->runs >= 0) {
                a.exec_limit = PFZ_MAX(left / (uint64_t)c->nworkers, 1);
                reserved = a.exec_limit;
                c->runs_reserved += reserved;
            }
            catch_up(c, s, &a, inbox, &nent, &nfeat, &nrep);
            feats.n = 0;
            if (nfeat > s->features_sent &&
                pfz__u32vec_reserve(&feats, nfeat - s->features_sent) == APR_SUCCESS) {
                memcpy(feats.v, c->corpus->feature_log.v + s->features_sent,
                       (nfeat - s->features_sent) * sizeof *feats.v);
                feats.n = nfeat - s->features_sent;
            }
            a.features = feats.v;
            a.nfeatures = feats.n;
            a.deadline_us = pfz__options_deadline_us(c->o, BATCH_US + 60000000u, 2);
            pfz__cstats_handout(c->stats, s->id, s->entries_sent, nent, held);
        }
        apr_thread_mutex_unlock(c->mu);

        if ((st = start_worker(c, s)) != APR_SUCCESS)
            break;
        st = pfz__client_call(s->worker, &a, &s->res);
        if (seeding && st != APR_SUCCESS && st != PFZ_EWORKERDIED) {
            apr_thread_mutex_lock(c->mu);
            seeds_died(c, batch, NULL);
            apr_thread_mutex_unlock(c->mu);
        }
        if (st == PFZ_ESHMCLOSED)
            break; /* cleaned up under us: interrupted, never a finding */
        if (st == PFZ_EWORKERDIED) {
            apr_thread_mutex_lock(c->mu);
            c->total_execs += s->res.exec_count; /* the died call's executions count */
            apr_thread_mutex_unlock(c->mu);
            handle_death(c, s, seeding);
            if (seeding) {
                apr_thread_mutex_lock(c->mu);
                seeds_died(c, batch, &s->res);
                apr_thread_mutex_unlock(c->mu);
            }
            continue;
        }
        if (st != APR_SUCCESS) {
            pfz__log("ERROR: call to worker %d failed: %s", s->id, pfz__strerror(st, msg, sizeof msg));
            pfz__coord_request_stop(c, PFZ_EXIT_USAGE);
            break;
        }
        if (s->res.reply.status == PFZ__RS_LEAK) {
            apr_thread_mutex_lock(c->mu);
            c->total_execs += s->res.reply.execs;
            apr_thread_mutex_unlock(c->mu);
            handle_leak(c, s);
            continue;
        }
        if (s->res.reply.status == PFZ__RS_ERROR || (seeding && s->res.reply.status != PFZ__RS_OK)) {
            pfz__log("ERROR: worker %d: %s", s->id,
                     s->res.reply.status == PFZ__RS_ERROR ? s->res.reply.err : "unexpected reply to a RUN call");
            if (seeding) {
                apr_thread_mutex_lock(c->mu);
                seeds_died(c, batch, NULL);
                apr_thread_mutex_unlock(c->mu);
            }
            pfz__coord_request_stop(c, PFZ_EXIT_USAGE);
            break;
        }
        apr_thread_mutex_lock(c->mu);
        held = pfz__cstats_now(c->stats);
        c->total_execs += s->res.reply.execs;
        if (seeding) {
            done = seeds_ran(c, batch, &s->res.reply);
        } else {
            s->entries_sent = nent;
            s->features_sent = nfeat;
            s->replaces_sent = nrep;
            if (s->res.reply.status == PFZ__RS_NEW_INPUT)
                offer(c, s->res.input, s->res.input_size, s->res.reply.features.v,
                      s->res.reply.features.n, s->res.reply.exec_us, 0, 0);
            else if (s->res.reply.status == PFZ__RS_REDUCE)
                reduce(c, s->res.reply.entry, s->res.input, s->res.input_size, &s->res.reply);
        }
        pfz__cstats_call(c->stats, s->id, !seeding, (size_t)c->corpus->entries->nelts, held);
        apr_thread_mutex_unlock(c->mu);
        if (c->writer != NULL) /* finds faster than the disk: this worker waits, no other */
            pfz__cwriter_wait_room(c->writer, WRITER_WAIT_US);
        if (done < 0) {
            /* Engine code wrote the reply: a malformed one is a broken worker. */
            pfz__log("ERROR: worker %d: malformed reply to a RUN call of %d inputs", s->id,
                     batch->nelts);
            pfz__coord_request_stop(c, PFZ_EXIT_USAGE);
            break;
        }
        if (done > 0 && c->fc != NULL)
            seeds_to_cache(c, batch, &s->res.reply, done);
    }
    apr_thread_mutex_lock(c->mu);
    c->runs_reserved -= reserved;
    apr_thread_mutex_unlock(c->mu);
    pfz__u32vec_free(&feats);
    pfz__coord_thread_done(c);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* -reload: a file this run wrote itself (in the first directory, named by
 * the SHA-1 of an entry it holds) is known without reading it: a growing
 * campaign's reloads then read only other processes' files. */
static int own_file(pfz__coord_t *c, const char *path)
{
    const char *dir = c->corpus->outdir, *name;
    size_t n = dir != NULL ? strlen(dir) : 0;
    int own;

    if (dir == NULL || strncmp(path, dir, n) != 0 || path[n] != '/')
        return 0;
    name = path + n + 1;
    if (strlen(name) != PFZ__SHA1_HEX_LEN || strspn(name, "0123456789abcdef") != PFZ__SHA1_HEX_LEN)
        return 0;
    apr_thread_mutex_lock(c->mu);
    own = pfz__corpus_has_name(c->corpus, name);
    apr_thread_mutex_unlock(c->mu);
    return own;
}

/* Loads seed inputs from the corpus directories (and, with -reload, new files
 * that other instances wrote); returns how many it added. Unreadable files
 * are reported and skipped. Called by the main thread only, which owns
 * c->reloaded and c->stamps; takes mu for what it adds (a reload runs while
 * the client threads do: its listing and reads are done without mu). */
static int load_seeds(pfz__coord_t *c, apr_pool_t *p, int reload)
{
    pfz__progress_t prog;
    apr_pool_t *sp = NULL;
    apr_array_header_t *stamps = NULL;
    apr_time_t taken = apr_time_now();
    int d, i, added = 0;

    /* -reload: nothing to read when no directory changed since the last
     * listing (O(directories)); else list again, and read only files that
     * were not there before. */
    if (reload && c->stamps != NULL && pfz__dirs_unchanged(c->stamps, c->stamps_taken, p))
        return 0;
    if (c->o->reload && apr_pool_create(&sp, apr_hash_pool_get(c->reloaded)) == APR_SUCCESS)
        stamps = apr_array_make(sp, 4, sizeof(pfz__dirstamp_t));
    for (d = 0; d < c->o->ndirs; d++) {
        apr_array_header_t *files = apr_array_make(p, 64, sizeof(const char *));
        apr_array_header_t *skipped = apr_array_make(p, 4, sizeof(const char *));
        apr_status_t st = pfz__list_tree(files, skipped, stamps, c->o->dirs[d], sp ? sp : p);
        char msg[128];

        for (i = 0; !reload && i < skipped->nelts; i++)
            pfz__log("WARNING: '%s' is not a regular file (a FIFO, device, socket, or a link to "
                     "one or to a directory); skipping it", APR_ARRAY_IDX(skipped, i, const char *));

        if (st != APR_SUCCESS) {
            if (!reload && !APR_STATUS_IS_ENOENT(st))
                pfz__log("WARNING: cannot read corpus directory '%s': %s", c->o->dirs[d],
                         pfz__strerror(st, msg, sizeof msg));
            if (sp != NULL) { /* listed again next time */
                apr_pool_destroy(sp);
                sp = NULL;
                stamps = NULL;
            }
            continue;
        }
        pfz__progress_init(&prog, apr_psprintf(p, "%s '%s'", reload ? "-reload: reading" : "reading",
                                               c->o->dirs[d]), "files", 0, (uint64_t)files->nelts,
                           pfz__now_us());
        for (i = 0; i < files->nelts; i++) {
            const char *path = APR_ARRAY_IDX(files, i, const char *);
            pfz__input_t *in;
            uint8_t *data;
            size_t len;
            uint64_t now = pfz__now_us();
            int have;

            if (pfz__progress_due(&prog, now))
                pfz__progress_line(&prog, (uint64_t)i, NULL, now);
            if (c->o->reload) {
                /* Files present at the start are seeds, not reloads. */
                if (reload && apr_hash_get(c->reloaded, path, APR_HASH_KEY_STRING) != NULL)
                    continue;
                apr_hash_set(c->reloaded, apr_pstrdup(apr_hash_pool_get(c->reloaded), path),
                             APR_HASH_KEY_STRING, "");
                if (reload && own_file(c, path)) {
                    c->reload_own++;
                    continue;
                }
            }
            if ((st = pfz__read_file(path, &data, &len, 1u << 30, p)) != APR_SUCCESS) {
                if (reload && APR_STATUS_IS_ENOENT(st))
                    continue; /* removed since the listing (a REDUCE's old file) */
                pfz__log("WARNING: cannot read corpus file '%s': %s; skipping it", path,
                         pfz__strerror(st, msg, sizeof msg));
                continue;
            }
            if (reload)
                apr_thread_mutex_lock(c->mu);
            have = reload && pfz__corpus_has(c->corpus, data, len);
            if (!have) {
                in = &APR_ARRAY_PUSH(c->seeds, pfz__input_t);
                in->data = data; /* freed at the end (seeds are never removed) */
                in->size = c->max_len && len > c->max_len ? c->max_len : len;
                added++;
            }
            if (reload)
                apr_thread_mutex_unlock(c->mu);
            if (have)
                free(data);
        }
    }
    if (c->stamp_pool != NULL) { /* this listing replaces the last one's */
        apr_pool_destroy(c->stamp_pool);
        c->stamp_pool = NULL;
        c->stamps = NULL;
    }
    if (sp != NULL) {
        c->stamp_pool = sp;
        c->stamps = stamps;
        c->stamps_taken = taken;
    }
    return added;
}

/* Opens the feature cache (-feature_cache, else the default place). A cache
 * that cannot be opened only costs time: every corpus input runs. */
static void open_feature_cache(pfz__coord_t *c, const char *exe, apr_pool_t *p)
{
    const char *dir = c->o->feature_cache;
    apr_status_t st;
    char msg[128];

    if (dir == NULL)
        dir = pfz__featcache_default_dir(p);
    else if (*dir == '\0' || strcmp(dir, "0") == 0)
        dir = NULL;
    if (dir == NULL)
        return;
    st = pfz__featcache_open(&c->fc, dir, exe,
                             apr_psprintf(p, "use_value_profile=%d counters=%" APR_SIZE_T_FMT,
                                          (int)c->o->use_value_profile, pfz__cov_counters()),
                             c->pool);
    if (st != APR_SUCCESS)
        pfz__log("WARNING: cannot use the feature cache in '%s': %s; every corpus input runs "
                 "(-feature_cache=DIR names another place, -feature_cache=0 turns it off)",
                 dir, pfz__strerror(st, msg, sizeof msg));
}

/* Corpus inputs this binary already ran (in an earlier campaign) join the
 * corpus with their cached features instead of running again. Not with
 * -runs=0, which asks for every input to run (coverage reports, checks). */
static void seeds_from_cache(pfz__coord_t *c)
{
    int i, kept = 0, hits = 0, n0 = c->seeds->nelts;

    if (c->fc == NULL || c->o->runs == 0)
        return;
    apr_thread_mutex_lock(c->mu);
    for (i = 0; i < n0; i++) {
        pfz__input_t in = APR_ARRAY_IDX(c->seeds, i, pfz__input_t);
        const uint32_t *f;
        size_t n;
        int rejected;

        if (!pfz__featcache_get(c->fc, in.data, in.size, &f, &n, &rejected)) {
            APR_ARRAY_IDX(c->seeds, kept++, pfz__input_t) = in;
            continue;
        }
        if (!rejected)
            offer(c, in.data, in.size, f, n, 0, c->corpus->entries->nelts == 0, 1);
        free((void *)(uintptr_t)in.data);
        hits++;
    }
    c->seeds->nelts = kept;
    if (hits > 0)
        pfz__log("INFO: portfuzz: %d of %d corpus inputs ran before with this binary; their "
                 "features come from the cache '%s' (-feature_cache=0: run them all)",
                 hits, n0, pfz__featcache_path(c->fc));
    maybe_inited(c); /* all of them cached: nothing to wait for */
    apr_thread_mutex_unlock(c->mu);
}

/* Every corpus file queued is on disk before the run's last lines (a runner
 * reads the directory once the process ends); bounded, as every wait. */
static void stop_writer(pfz__coord_t *c)
{
    if (c->writer != NULL)
        (void)pfz__cwriter_close(c->writer, WRITER_FLUSH_US);
}

static void print_final(pfz__coord_t *c)
{
    double secs = elapsed_s(c);
    uint64_t eps = secs > 0 ? (uint64_t)((double)c->total_execs / secs) : 0;

    apr_thread_mutex_lock(c->mu);
    status_line(c, "DONE  ");
    if (c->o->print_final_stats) {
        fprintf(stderr, "stat::number_of_executed_units: %" APR_UINT64_T_FMT "\n", c->total_execs);
        fprintf(stderr, "stat::average_exec_per_sec:     %" APR_UINT64_T_FMT "\n", eps);
        fprintf(stderr, "stat::new_units_added:          %" APR_UINT64_T_FMT "\n", c->new_units);
        fprintf(stderr, "stat::slowest_unit_time_sec:    %" APR_UINT64_T_FMT "\n",
                c->slowest_us / 1000000u);
        fprintf(stderr, "stat::peak_rss_mb:              %zu\n", c->peak_rss_mb);
        /* Ours are not stat:: lines: ClusterFuzz stores every stat:: name
         * it reads as a column of its stats table, libFuzzer's five only. */
        fprintf(stderr, "INFO: portfuzz: crashes: %" APR_UINT64_T_FMT " timeouts: %" APR_UINT64_T_FMT
                " ooms: %" APR_UINT64_T_FMT " leaks: %" APR_UINT64_T_FMT " workers: %d\n",
                c->crashes, c->timeouts, c->ooms, c->leaks, c->nworkers);
    }
    fprintf(stderr, "Done %" APR_UINT64_T_FMT " runs in %lu second(s)\n", c->total_execs,
            (unsigned long)(secs + 0.5));
    apr_thread_mutex_unlock(c->mu);
}

apr_status_t pfz__solo_open(pfz__solo_t *s, const pfz__options_t *o, const char *exe,
                            const char *const *argv, size_t value_capacity, apr_pool_t *pool)
{
    pfz__worker_cfg_t cfg;
    apr_status_t st;

    memset(s, 0, sizeof *s);
    s->c.o = o;
    s->c.pool = pool;
    s->c.nworkers = 1;
    s->c.slots = &s->slot;
    s->slot.coord = &s->c;
    s->slot.pool = pool;
    memset(&cfg, 0, sizeof cfg);
    cfg.exe = exe;
    cfg.argv = argv;
    cfg.value_capacity = value_capacity;
    /* The worker's output is captured like a campaign worker's: a minimizer
     * or merge input that floods must not flood the terminal. */
    if ((st = apr_thread_mutex_create(&s->c.mu, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS ||
        (st = pfz__outcap_create(&s->slot.out, 0, pool)) != APR_SUCCESS)
        return st;
    cfg.output = s->slot.out;
    if ((st = pfz__worker_create(&s->slot.worker, &cfg, pool)) != APR_SUCCESS) {
        pfz__outcap_destroy(s->slot.out);
        return st;
    }
    if ((st = apr_thread_create(&s->c.watchdog, NULL, pfz__watchdog_main, &s->c, pool)) != APR_SUCCESS) {
        pfz__worker_destroy(s->slot.worker);
        pfz__outcap_destroy(s->slot.out);
        return st;
    }
    return APR_SUCCESS;
}

void pfz__solo_close(pfz__solo_t *s)
{
    apr_status_t rv;

    pfz__coord_request_stop(&s->c, 0);
    pfz__worker_cleanup(s->slot.worker);
    apr_thread_join(&rv, s->c.watchdog);
    pfz__worker_destroy(s->slot.worker);
    pfz__outcap_destroy(s->slot.out);
    pfz__fuzz_result_free(&s->slot.res);
}

apr_status_t pfz__solo_run(pfz__solo_t *s, const uint8_t *data, size_t len)
{
    pfz__fuzz_args_t a;
    apr_status_t st;

    if ((st = pfz__worker_start(s->slot.worker)) != APR_SUCCESS)
        return st;
    memset(&a, 0, sizeof a);
    a.type = PFZ__CALL_RUN;
    a.value.data = data;
    a.value.size = len;
    a.max_len = (uint32_t)PFZ_MAX(len, 1);
    a.deadline_us = pfz__options_deadline_us(s->c.o, 30000000u, 1);
    return pfz__client_call(s->slot.worker, &a, &s->slot.res);
}

/* Progress of a minimization, shown by the solo's watchdog while the
 * minimizer waits in a call: the executions so far (from the heartbeat, which
 * the region keeps across worker restarts: two steps per execution) and an
 * estimate of what is left. A pass over L bytes that finds no smaller crash
 * tries about 2L variants (chunks of L/2, L/4, ... 1 bytes), so that bounds
 * the work left unless a smaller crash starts a new pass; -max_minimize_time
 * bounds it anyway. */
typedef struct min_prog {
    pfz__progress_t prog;   /* (watchdog) */
    uint64_t deadline_us;
    size_t orig;
    size_t size;            /* (mu) the smallest crashing input so far */
    uint64_t call_seq0;     /* (mu) the heartbeat when the current call began */
} min_prog_t;

static void minimize_tick(pfz__coord_t *c, uint64_t now)
{
    min_prog_t *m = c->tick_ctx;
    uint64_t seq = 0, done, in_call, left, rate_left;
    size_t size;
    double secs = now > m->prog.start_us ? (double)(now - m->prog.start_us) / 1e6 : 0;
    char extra[96];

    if (!pfz__progress_due(&m->prog, now))
        return;
    (void)pfz__worker_heartbeat(c->slots[0].worker, &seq);
    apr_thread_mutex_lock(c->mu);
    size = m->size;
    in_call = seq > m->call_seq0 ? (seq - m->call_seq0 + 1) / 2 : 0;
    apr_thread_mutex_unlock(c->mu);
    done = (seq + 1) / 2;
    left = 2u * (uint64_t)size > in_call ? 2u * (uint64_t)size - in_call : 1;
    if (secs > 0 && done > 0 && now < m->deadline_us) {
        /* What the rate so far can still do before the deadline. */
        rate_left = (uint64_t)((double)done / secs * (double)(m->deadline_us - now) / 1e6);
        left = PFZ_MIN(left, PFZ_MAX(rate_left, 1));
    }
    m->prog.total = done + left;
    apr_snprintf(extra, sizeof extra, "size: %" APR_SIZE_T_FMT "/%" APR_SIZE_T_FMT " bytes", size,
                 m->orig);
    pfz__progress_line(&m->prog, done, extra, now);
}

/* Minimizes a crashing input with a fresh worker, watched by its own
 * watchdog: each MINIMIZE call tries smaller variants; one that crashes kills
 * the worker and becomes the input of the next call; a call that finds none
 * (or a variant that hangs) ends it. A crash during minimization thus always
 * leaves the smallest crashing input so far. Writes the result to
 * -exact_artifact_path, or to minimized-from-<sha1 of the original>. Returns 1
 * if it wrote a smaller input. */
int pfz__minimize_input(const pfz__options_t *o, const char *exe, const char *const *argv,
                        const uint8_t *input, size_t orig, apr_pool_t *pool)
{
    pfz__solo_t solo;
    pfz__fuzz_args_t a;
    apr_pool_t *p;
    uint8_t *cur = NULL;
    size_t size = orig;
    uint64_t deadline = pfz__now_us() + (uint64_t)o->max_minimize_time * 1000000u;
    const char *path = NULL;
    output_t last = {"", 0, 0}; /* the output of the smallest crash so far */
    apr_pool_t *lastp = NULL;   /* holds it */
    min_prog_t mp;
    apr_status_t st;
    int wrote = 0;

    if (orig <= 1 || o->max_minimize_time == 0 || pfz__interrupted())
        return 0;
    apr_pool_create(&p, pool);
    if ((cur = malloc(orig)) == NULL || pfz__solo_open(&solo, o, exe, argv, orig, p) != APR_SUCCESS) {
        free(cur);
        apr_pool_destroy(p);
        return 0;
    }
    memcpy(cur, input, orig);
    pfz__log("INFO: minimizing the crash (%zu bytes; -minimize_crash=0 turns this off)", orig);
    memset(&mp, 0, sizeof mp);
    pfz__progress_init(&mp.prog, "minimizing the crash", "execs (est.)", 0, 0, pfz__now_us());
    mp.deadline_us = deadline;
    mp.orig = mp.size = orig;
    apr_thread_mutex_lock(solo.c.mu);
    solo.c.tick_ctx = &mp;
    solo.c.tick = minimize_tick;
    apr_thread_mutex_unlock(solo.c.mu);
    while (pfz__now_us() < deadline && !pfz__interrupted()) {
        pfz__exit_t how;
        pfz__kill_reason_e reason;
        pfz__fuzz_result_t *res = &solo.slot.res;
        uint8_t *next;
        uint64_t seq0 = 0;
        char msg[320];

        if ((st = pfz__worker_start(solo.slot.worker)) != APR_SUCCESS) {
            if (st != PFZ_ESHMCLOSED)
                pfz__log("WARNING: minimization stopped: cannot start its worker: %s",
                         pfz__worker_start_error(solo.slot.worker, st, msg, sizeof msg));
            break;
        }
        (void)pfz__worker_heartbeat(solo.slot.worker, &seq0);
        apr_thread_mutex_lock(solo.c.mu);
        mp.size = size;
        mp.call_seq0 = seq0;
        apr_thread_mutex_unlock(solo.c.mu);
        memset(&a, 0, sizeof a);
        a.type = PFZ__CALL_MINIMIZE;
        a.value.data = cur;
        a.value.size = size;
        a.max_len = (uint32_t)size;
        a.time_budget_us = deadline - pfz__now_us();
        a.deadline_us = pfz__options_deadline_us(o, a.time_budget_us + 5000000u, 1);
        st = pfz__client_call(solo.slot.worker, &a, res);
        if (st != PFZ_EWORKERDIED)
            break; /* no smaller variant crashes (or an error): done */
        pfz__worker_reap(solo.slot.worker, &how, &reason);
        if (reason != PFZ__KILL_NONE || res->input_size >= size || !(res->exec_seq & 1))
            break; /* a hang or something else: keep what we have */
        {
            /* Its report is the one to show if nothing smaller crashes. */
            apr_pool_t *np;
            if (apr_pool_create(&np, p) == APR_SUCCESS) {
                take_output(&solo.slot, &last, np);
                if (lastp != NULL)
                    apr_pool_destroy(lastp);
                lastp = np;
            }
        }
        next = malloc(res->input_size ? res->input_size : 1);
        if (next == NULL)
            break;
        memcpy(next, res->input, res->input_size);
        free(cur);
        cur = next;
        size = res->input_size;
    }
    pfz__solo_close(&solo);
    if (size < orig) {
        char hex[PFZ__SHA1_HEX_LEN + 1];
        pfz__sha1_hex(input, orig, hex);
        pfz__log("INFO: minimized the crash from %zu to %zu bytes", orig, size);
        wrote = pfz__artifact_save(&path, o->artifact_prefix, o->exact_artifact_path,
                                   apr_pstrcat(p, "minimized-from-", hex, NULL), cur, size, p) == APR_SUCCESS;
        show_output(apr_psprintf(p, "the minimized crash (%" APR_SIZE_T_FMT " bytes)", size), &last,
                    wrote ? path : NULL, p);
    } else {
        pfz__log("INFO: the crash could not be minimized below %zu bytes", orig);
    }
    free(cur);
    apr_pool_destroy(p);
    return wrote;
}

/* The columns of -plot_data, named in its first line. The first six are
 * those of files written before the header existed (portfuzz-plot reads
 * those by position); new columns go at the end. */
#define PLOT_HEADER "# time_s,execs,edges,features,corpus,findings,execs_per_s,corpus_bytes,rss_mb\n"

/* (mu held) Appends a line to -plot_data (the header first, into an empty
 * file). execs_per_s is the rate since the previous line. */
static void plot(pfz__coord_t *c, apr_pool_t *p)
{
    apr_file_t *f;
    apr_finfo_t fi;
    uint64_t now = pfz__now_us();
    uint64_t dt = now - c->last_plot_us, dn = c->total_execs - c->last_plot_execs;

    if (apr_file_open(&f, c->o->plot_data, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_APPEND,
                      APR_FPROT_OS_DEFAULT, p) != APR_SUCCESS)
        return;
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) == APR_SUCCESS && fi.size == 0)
        apr_file_puts(PLOT_HEADER, f);
    /* APR's formatter knows no %zu. */
    apr_file_printf(f, "%.1f,%" APR_UINT64_T_FMT ",%" APR_SIZE_T_FMT ",%" APR_SIZE_T_FMT ",%d,%"
                    APR_UINT64_T_FMT ",%" APR_UINT64_T_FMT ",%" APR_SIZE_T_FMT ",%" APR_SIZE_T_FMT "\n",
                    elapsed_s(c), c->total_execs, c->corpus->nedges,
                    c->corpus->features.count, c->corpus->entries->nelts,
                    c->crashes + c->timeouts + c->ooms + c->leaks,
                    dt > 0 ? (uint64_t)((double)dn * 1e6 / (double)dt) : 0, c->corpus->total_bytes,
                    c->peak_rss_mb);
    apr_file_close(f);
    c->last_plot_us = now;
    c->last_plot_execs = c->total_execs;
}

/* (mu held) While inputs of the corpus run (at the start, or what -reload
 * found): a progress line every few seconds, with the corpus so far. */
static void seeds_progress(pfz__coord_t *c, uint64_t now)
{
    uint64_t done = (uint64_t)(c->seeds->nelts - seeds_left(c) - c->seeds_inflight);
    char extra[128];

    if (seeds_left(c) == 0 && c->seeds_inflight == 0) {
        c->seed_prog_on = 0;
        return;
    }
    if (!c->seed_prog_on) {
        pfz__progress_init(&c->seed_prog, c->inited ? "-reload: running" : "running the corpus",
                           "inputs", done, (uint64_t)c->seeds->nelts, now);
        c->seed_prog_on = 1;
        return;
    }
    c->seed_prog.total = (uint64_t)c->seeds->nelts; /* -reload may add more */
    if (!pfz__progress_due(&c->seed_prog, now))
        return;
    apr_snprintf(extra, sizeof extra, "cov: %" APR_SIZE_T_FMT " ft: %" APR_SIZE_T_FMT " corp: %d",
                 c->corpus->nedges, c->corpus->features.count, c->corpus->entries->nelts);
    pfz__progress_line(&c->seed_prog, done, extra, now);
}

/* How many workers: -workers, else libFuzzer's -fork=N or -jobs=N, else one
 * per CPU. libFuzzer runs -fork/-jobs as separate processes (jobs one after
 * another, each with its own log); here they are N workers of this one
 * campaign, sharing its corpus, findings and exit status -- said in a line
 * so that whoever passed them knows. */
static int campaign_workers(const pfz__options_t *o)
{
    int n = o->workers > 0 ? (int)o->workers : o->fork > 0 ? (int)o->fork
          : o->jobs > 0 ? (int)o->jobs : pfz__cpu_count();

    if (o->fork > 0)
        pfz__log("INFO: -fork=%d: fuzzing in separate processes: %d portfuzz workers of one "
                 "campaign, sharing its corpus (no fork-mode jobs)", (int)o->fork, n);
    if (o->jobs > 0)
        pfz__log("INFO: -jobs=%d: %d worker processes in one campaign until its first finding "
                 "(-keep_going=1 to go on); no separate jobs or fuzz-N.log files",
                 (int)o->jobs, n);
    return n;
}

int pfz__coordinator_run(const pfz__options_t *o, char **argv, int argc, apr_pool_t *pool)
{
    pfz__coord_t *c;
    char *exe = NULL, msg[256];
    const char **wargv;
    apr_status_t st, rv;
    int i, code, nseeds;
    size_t largest = 0, smallest = 0, total = 0;

    c = apr_pcalloc(pool, sizeof *c);
    c->o = o;
    c->pool = pool;
    c->start_us = pfz__now_us();
    c->seed = o->seed ? (uint64_t)o->seed : (uint64_t)apr_time_now() ^ (uint64_t)pfz__now_us() << 17;
    c->nworkers = campaign_workers(o);
    c->seeds = apr_array_make(pool, 64, sizeof(pfz__input_t));
    c->seed_retry = apr_array_make(pool, 16, sizeof(pfz__input_t));
    c->signatures = apr_hash_make(pool);
    {
        /* The main thread's own pool: a reload allocates while client
         * threads allocate from `pool` under mu, and a pool is not
         * thread-safe (a reload of a 28,000-entry corpus crashed in
         * apr_hash_get on the corrupted hash). */
        apr_pool_t *rp;
        if (apr_pool_create(&rp, pool) != APR_SUCCESS)
            return PFZ_EXIT_USAGE;
        c->reloaded = apr_hash_make(rp);
    }
    c->next_pulse = 1024;
    if ((st = apr_thread_mutex_create(&c->mu, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS ||
        (st = apr_thread_cond_create(&c->cv, pool)) != APR_SUCCESS)
        return PFZ_EXIT_USAGE;
    if ((st = pfz__self_exe(&exe, pool)) != APR_SUCCESS) {
        pfz__log("ERROR: cannot find this program's own path to start workers: %s",
                 pfz__strerror(st, msg, sizeof msg));
        return PFZ_EXIT_USAGE;
    }
    for (i = 0; i < o->ndirs; i++) {
        if ((st = apr_dir_make_recursive(o->dirs[i], APR_FPROT_OS_DEFAULT, pool)) != APR_SUCCESS) {
            pfz__log("ERROR: cannot create corpus directory '%s': %s", o->dirs[i],
                     pfz__strerror(st, msg, sizeof msg));
            return PFZ_EXIT_USAGE;
        }
    }
    pfz__log("INFO: Seed: %" APR_UINT64_T_FMT, c->seed);
    pfz__cov_print_modules();
    load_seeds(c, pool, 0);
    for (i = 0; i < c->seeds->nelts; i++) {
        size_t n = APR_ARRAY_IDX(c->seeds, i, pfz__input_t).size;
        largest = PFZ_MAX(largest, n);
        smallest = i == 0 ? n : PFZ_MIN(smallest, n);
        total += n;
    }
    /* As libFuzzer: from the seeds, at least 4096 and at most 1 MiB (a huge
     * seed must not make every input huge); an explicit -max_len rules. */
    c->max_len = o->max_len > 0 ? (size_t)o->max_len
                                : PFZ_MIN(PFZ_MAX((size_t)4096, largest), (size_t)1 << 20);
    if (o->max_len <= 0)
        pfz__log("INFO: -max_len is not provided; libFuzzer will not generate inputs larger than "
                 "%zu bytes", c->max_len);
    for (i = 0; i < c->seeds->nelts; i++) {
        pfz__input_t *in = &APR_ARRAY_IDX(c->seeds, i, pfz__input_t);
        if (in->size > c->max_len) {
            uint8_t *small = realloc((void *)(uintptr_t)in->data, c->max_len ? c->max_len : 1);
            in->size = c->max_len;
            if (small != NULL)
                in->data = small; /* a 100 MB seed keeps max_len bytes, not 100 MB */
        }
    }
    nseeds = c->seeds->nelts;
    if (c->seeds->nelts == 0) {
        /* An empty corpus starts from the empty input. */
        pfz__input_t *in = &APR_ARRAY_PUSH(c->seeds, pfz__input_t);
        in->data = malloc(1);
        in->size = 0;
    }
    if (nseeds == 0) {
        pfz__log("INFO: A corpus is not provided, starting from an empty corpus");
    } else {
        apr_uint64_t rss = 0;
        (void)pfz__self_rss(&rss);
        pfz__log("INFO: seed corpus: files: %d min: %zub max: %zub total: %zub rss: %" APR_UINT64_T_FMT
                 "Mb", nseeds, smallest, largest, total, rss >> 20);
    }
    pfz__log("INFO: portfuzz: %d files found in %d corpus dir(s); -max_len=%zu; %d workers",
             nseeds, o->ndirs, c->max_len, c->nworkers);
    if ((st = pfz__corpus_create(&c->corpus, o->ndirs > 0 ? o->dirs[0] : NULL, pool)) != APR_SUCCESS)
        return PFZ_EXIT_USAGE;
    if (c->corpus->outdir != NULL) {
        if ((st = pfz__cwriter_start(&c->writer, c->corpus->outdir, pool)) == APR_SUCCESS)
            c->corpus->writer = c->writer;
        else /* then the client threads write them, under mu */
            pfz__log("WARNING: cannot start the corpus writer thread: %s", pfz__strerror(st, msg, sizeof msg));
    }
    c->last_reload_us = c->last_plot_us = pfz__now_us();
    open_feature_cache(c, exe, pool);
    seeds_from_cache(c);

    wargv = apr_pcalloc(pool, sizeof(char *) * (size_t)(argc + 1));
    for (i = 0; i < argc; i++)
        wargv[i] = argv[i];
    if ((st = pfz__interrupt_install()) != APR_SUCCESS)
        pfz__log("WARNING: cannot install the interrupt handler: %s", pfz__strerror(st, msg, sizeof msg));

    c->slots = apr_pcalloc(pool, sizeof *c->slots * (size_t)c->nworkers);
    for (i = 0; i < c->nworkers; i++) {
        pfz__wslot_t *s = &c->slots[i];
        pfz__worker_cfg_t cfg;

        s->coord = c;
        s->id = i;
        apr_pool_create(&s->pool, pool);
        memset(&cfg, 0, sizeof cfg);
        cfg.id = i;
        cfg.exe = exe;
        cfg.argv = wargv;
        cfg.value_capacity = c->max_len;
        if ((st = pfz__outcap_create(&s->out, 0, pool)) != APR_SUCCESS) {
            pfz__log("ERROR: cannot set up the capture of worker %d's output (a pipe and a "
                     "thread): %s. Check the limits on open files and threads (ulimit -n, -u).",
                     i, pfz__strerror(st, msg, sizeof msg));
            stop_writer(c);
            return PFZ_EXIT_USAGE;
        }
        cfg.output = s->out;
        if ((st = pfz__worker_create(&s->worker, &cfg, pool)) != APR_SUCCESS) {
            pfz__log("ERROR: cannot create the shared memory of worker %d: %s", i,
                     pfz__strerror(st, msg, sizeof msg));
            stop_writer(c);
            return PFZ_EXIT_USAGE;
        }
    }
    pfz__cstats_open(&c->stats, c->nworkers, (size_t)c->corpus->entries->nelts, pool);
    for (i = 0; i < c->nworkers; i++) {
        thread_started(c, 1);
        if ((st = apr_thread_create(&c->slots[i].thread, NULL, client_main, &c->slots[i], pool)) != APR_SUCCESS) {
            thread_started(c, -1);
            pfz__log("ERROR: cannot start a client thread: %s", pfz__strerror(st, msg, sizeof msg));
            pfz__coord_request_stop(c, PFZ_EXIT_USAGE);
            c->nworkers = i;
            break;
        }
    }
    thread_started(c, 1);
    if (apr_thread_create(&c->watchdog, NULL, pfz__watchdog_main, c, pool) != APR_SUCCESS) {
        thread_started(c, -1);
        c->watchdog = NULL;
        pfz__log("WARNING: cannot start the watchdog: -timeout and -rss_limit_mb are not enforced");
    }

    /* The main loop: the clock, the run count, Ctrl-C, pulses, reloads. */
    for (;;) {
        int sig, reload;
        uint64_t now;
        /* Wait for a tick, or less: a stop request (a finding) wakes us. */
        apr_thread_mutex_lock(c->mu);
        if (!c->stopping)
            apr_thread_cond_timedwait(c->cv, c->mu, 20000);
        apr_thread_mutex_unlock(c->mu);
        sig = pfz__interrupted();
        now = pfz__now_us();
        if (sig) {
            pfz__log("==portfuzz== run interrupted (signal %d); stopping the workers. "
                     "Everything found so far is kept.", sig);
            pfz__coord_request_stop(c, PFZ_EXIT_INTERRUPTED);
        }
        apr_thread_mutex_lock(c->mu);
        if (!c->stopping) {
            if ((o->max_total_time && now - c->start_us >= (uint64_t)o->max_total_time * 1000000u) ||
                (o->runs >= 0 && c->total_execs >= (uint64_t)o->runs && c->inited)) {
                c->stopping = 1;
                apr_thread_cond_broadcast(c->cv); /* every waiter, e.g. for INITED */
            }
            if (c->inited && c->total_execs >= c->next_pulse) {
                status_line(c, "pulse ");
                while (c->next_pulse <= c->total_execs)
                    c->next_pulse *= 2;
            }
            /* A line every second, and one as the corpus inputs have run
             * (INITED: the coverage the seeds bring, before fuzzing). */
            if (o->plot_data && (now - c->last_plot_us >= 1000000u || c->inited != c->plotted_inited)) {
                plot(c, pool);
                c->plotted_inited = c->inited;
            }
            seeds_progress(c, now);
        }
        if (c->stopping) {
            apr_thread_mutex_unlock(c->mu);
            break;
        }
        reload = o->reload && o->ndirs > 0 && c->inited &&
                 now - c->last_reload_us >= (uint64_t)o->reload * 1000000u;
        apr_thread_mutex_unlock(c->mu);
        if (reload) { /* without mu: the disk is read */
            apr_pool_t *tp;
            int added;
            c->last_reload_us = now;
            apr_pool_create(&tp, pool);
            added = load_seeds(c, tp, 1);
            apr_pool_destroy(tp);
            if (added > 0)
                pfz__log("INFO: -reload: %d new file(s) in the corpus directories", added);
        }
    }

    /* Stop: clean every worker up (its client's call returns "closed"). */
    for (i = 0; i < c->nworkers; i++)
        pfz__worker_cleanup(c->slots[i].worker);
    if (!threads_finished(c, SHUTDOWN_US)) {
        /* Should never happen (every wait of a client thread is bounded),
         * but a run must end: keep what was found, skip the teardown. */
        pfz__log("WARNING: portfuzz: %d coordinator thread(s) did not stop within %d s of the "
                 "stop; exiting without them (everything found so far is saved)",
                 c->threads_live, (int)(SHUTDOWN_US / 1000000));
        stop_writer(c);
        if (o->plot_data)
            plot(c, pool);
        print_final(c);
        pfz__coord_abandoned = 1;
        return c->exit_code != 0 ? c->exit_code : c->first_finding_code;
    }
    for (i = 0; i < c->nworkers; i++)
        apr_thread_join(&rv, c->slots[i].thread);
    if (c->watchdog != NULL)
        apr_thread_join(&rv, c->watchdog);
    if (c->to_minimize != NULL && c->exit_code == (int)o->error_exitcode) {
        pfz__options_t mo = *o;
        mo.exact_artifact_path = NULL; /* that path already holds the crash itself */
        if (o->max_total_time > 0) {
            /* -max_total_time bounds the whole run, minimization included:
             * a runner that stops us at its end (ClusterFuzz: SIGTERM ten
             * seconds later) must not lose time to it. */
            int64_t left = o->max_total_time - (int64_t)((pfz__now_us() - c->start_us) / 1000000u);
            if (left < mo.max_minimize_time)
                mo.max_minimize_time = left > 0 ? left : 0;
            if (mo.max_minimize_time == 0)
                pfz__log("INFO: not minimizing the crash: -max_total_time=%" APR_INT64_T_FMT
                         " is used up (the crash is saved as found; minimize it with "
                         "-minimize_crash=1 FILE)", o->max_total_time);
        }
        pfz__minimize_input(&mo, exe, wargv, c->to_minimize, c->to_minimize_size, pool);
    }
    stop_writer(c);
    if (o->plot_data)
        plot(c, pool);
    print_final(c);
    {
        const char *extra = apr_psprintf(pool, "reload_own_skipped: %" APR_UINT64_T_FMT "\n",
                                         c->reload_own);
        if (c->writer != NULL) {
            pfz__cwriter_stats_t ws;
            pfz__cwriter_get_stats(c->writer, &ws);
            extra = apr_psprintf(pool, "%scorpus_files_written: %" APR_UINT64_T_FMT
                                 "\ncorpus_writes_failed: %" APR_UINT64_T_FMT
                                 "\ncorpus_writes_inline: %" APR_UINT64_T_FMT
                                 "\ncorpus_write_queue_max: %" APR_UINT64_T_FMT
                                 "\ncorpus_write_waits: %" APR_UINT64_T_FMT
                                 "\ncorpus_write_wait_us: %" APR_UINT64_T_FMT "\n",
                                 extra, ws.written, ws.failed, ws.inline_, ws.queued_max, ws.waits,
                                 ws.wait_us);
        }
        pfz__cstats_close(c->stats, c->total_execs, extra);
    }
    for (i = 0; i < c->nworkers; i++) {
        pfz__worker_destroy(c->slots[i].worker);
        pfz__fuzz_result_free(&c->slots[i].res);
        free(c->slots[i].inbox_buf);
        free(c->slots[i].inbox_feats);
        pfz__outcap_destroy(c->slots[i].out);
    }
    code = c->exit_code;
    if (code == 0 && c->first_finding_code != 0)
        code = c->first_finding_code; /* -keep_going: the run found something */
    for (i = 0; i < c->seeds->nelts; i++)
        free((void *)APR_ARRAY_IDX(c->seeds, i, pfz__input_t).data);
    free(c->to_minimize);
    pfz__featcache_close(c->fc);
    pfz__corpus_destroy(c->corpus);
    return code;
}
