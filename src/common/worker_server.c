/* worker_server.c -- the worker process: reads calls, fuzzes, replies.
 *
 * The hot loop (fuzz_loop) writes every input into the shared region BEFORE
 * running it and flips the heartbeat around the execution, so when the process
 * dies or hangs the coordinator holds the exact input. The target gets a
 * private exact-size heap copy (ASan then sees overreads, and a target that
 * writes to its input cannot corrupt the record). No system call, lock or
 * allocation happens per execution besides that copy; the clock is read only
 * every 2^k executions, k adapted so that it is read about once a millisecond.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "cmp.h"
#include "coverage.h"
#include "mutator.h"
#include "platform.h"
#include "report.h"
#include "rpc.h"
#include "scheduler.h"
#include "wire.h"
#include "worker_server.h"

#define FEATURE_SCRATCH (1u << 20)

typedef struct server {
    const pfz__server_opts_t *opts;
    apr_pool_t *pool;
    apr_file_t *calls, *replies;
    pfz__shm_t *shm;
    pfz__shm_hdr_t *hdr;
    pfz__featset_t known; /* local copy of the global feature set */
    pfz__sched_t *sched;  /* local copy of the corpus */
    pfz__mutator_t *mut;
    pfz__rng_t rng;
    pfz__call_t call;
    pfz__reply_t reply;
    pfz__rpc_buf_t buf;
    uint32_t *feat;       /* FEATURE_SCRATCH entries */
    pfz__u32vec_t owned;  /* take_inbox: the owned features of a record */
    uint8_t *orig;        /* minimization: the input being reduced */
    size_t orig_cap;
    size_t cur_len;       /* -len_control: longest input generated for now */
    uint64_t since_new;   /* -len_control: executions since new coverage or a step */
} server_t;

static size_t log2_floor(size_t x)
{
    size_t r = 0;

    while (x >>= 1)
        r++;
    return r;
}

/* Leak detection: allocation hooks count mallocs and frees during each
 * execution (only while the target runs); an execution that ends with more
 * mallocs than frees gets LeakSanitizer's check, as libFuzzer does. The
 * counters belong to the fuzzing thread; the hooks run on the thread that
 * allocates, so they count only while `counting` is set by that thread. */
static volatile int leak_counting;
static volatile size_t leak_mallocs, leak_frees;
static int leak_detect;

static void on_malloc(const volatile void *p, apr_size_t n)
{
    (void)p;
    (void)n;
    if (leak_counting)
        leak_mallocs++;
}

static void on_free(const volatile void *p)
{
    if (leak_counting && p != NULL)
        leak_frees++;
}

/* Runs the value in the region once. Returns what the target returned (-1:
 * not to be added to the corpus). A target that wrote into its input is a
 * finding (reported here, the process ends while the heartbeat says
 * "running", so the coordinator saves the input as a crash). */
static int run_value(server_t *s, size_t size) PFZ_ENGINE_FRAME("run_value", "_ZN6fuzzer8portfuzz9run_valueEv");
PFZ_NOINLINE static int run_value(server_t *s, size_t size)
{
    pfz__shm_hdr_t *hdr = s->hdr;
    uint64_t seq = hdr->exec_seq + 1;
    uint8_t *copy = malloc(size ? size : 1);
    int rc;

    if (copy == NULL) {
        static const char msg[] = "==portfuzz== worker: out of memory copying the input\n";
        pfz__raw_stderr(msg, sizeof msg - 1);
        abort();
    }
    memcpy(copy, PFZ__SHM_VALUE(hdr), size);
    hdr->exec_seq = seq; /* odd: running */
    pfz__cov_set_running(1); /* comparison hooks record the target's compares only */
    if (leak_detect) {
        leak_mallocs = leak_frees = 0;
        leak_counting = 1;
    }
    rc = pfz__call_target(s->opts->target, copy, size);
    leak_counting = 0;
    pfz__cov_set_running(0);
    if (pfz__input_overwritten(PFZ__SHM_VALUE(hdr), copy, size))
        pfz__report_overwritten_and_exit();
    hdr->exec_seq = seq + 1;
    hdr->exec_count++;
    free(copy);
    return rc;
}

static apr_status_t reply(server_t *s, uint32_t status)
{
    s->reply.type = s->call.type;
    s->reply.status = status;
    return pfz__rpc_write_reply(s->replies, &s->buf, &s->reply);
}

static apr_status_t reply_error(server_t *s, const char *msg)
{
    apr_cpystrn(s->reply.err, msg, sizeof s->reply.err);
    s->reply.features.n = 0;
    return reply(s, PFZ__RS_ERROR);
}

/* The coordinator may have grown the region between calls. */
static apr_status_t refresh_mapping(server_t *s)
{
    apr_status_t st;

    if (s->hdr->region_size == pfz__shm_size(s->shm))
        return APR_SUCCESS;
    if ((st = pfz__shm_remap(s->shm)) != APR_SUCCESS)
        return st;
    s->hdr = pfz__shm_base(s->shm);
    return s->hdr->region_size <= pfz__shm_size(s->shm) ? APR_SUCCESS : PFZ_EPROTO;
}

/* Collects all features of the last execution into s->feat; returns the count. */
static size_t collect_all(server_t *s)
{
    size_t n = pfz__cov_collect(NULL, s->feat, FEATURE_SCRATCH, 1);

    return PFZ_MIN(n, (size_t)FEATURE_SCRATCH);
}

/* Takes the corpus entries the coordinator put in the inbox (records as in
 * wire.h) into the local corpus: appended, or replacing the entry they reduce.
 * An entry comes with the features the worker that found it measured; one
 * without them (a reduced entry, a seed that reached nothing) is run once here
 * (as the value, so a crash is attributed to it) to learn them. */
static apr_status_t take_inbox(server_t *s) PFZ_ENGINE_FRAME("take_inbox", "_ZN6fuzzer8portfuzz10take_inboxEv");
PFZ_NOINLINE static apr_status_t take_inbox(server_t *s)
{
    pfz__shm_hdr_t *hdr = s->hdr;
    const uint8_t *p, *end;
    uint32_t i, idx, len, nowned, nfeats, k;
    size_t n;
    uint64_t t0, us;
    apr_status_t st;

    if (hdr->inbox_offset + hdr->inbox_len > pfz__shm_size(s->shm) ||
        hdr->inbox_len > hdr->inbox_capacity)
        return PFZ_EPROTO;
    p = PFZ__SHM_INBOX(hdr);
    end = p + hdr->inbox_len;
    for (i = 0; i < s->call.inbox_count; i++) {
        if ((size_t)(end - p) < PFZ__INBOX_RECORD_FIXED)
            return PFZ_EPROTO;
        idx = pfz__get_u32(p);
        len = pfz__get_u32(p + 4);
        nowned = pfz__get_u32(p + 8);
        nfeats = pfz__get_u32(p + 12);
        us = pfz__get_u32(p + 16);
        p += PFZ__INBOX_RECORD_FIXED;
        if (idx > pfz__sched_count(s->sched) || nowned > (size_t)(end - p) / 4 ||
            nfeats > FEATURE_SCRATCH || nfeats > (size_t)(end - p) / 4 - nowned)
            return PFZ_EPROTO;
        s->owned.n = 0;
        if (pfz__u32vec_reserve(&s->owned, nowned) != APR_SUCCESS)
            return APR_ENOMEM;
        for (k = 0; k < nowned; k++, p += 4)
            s->owned.v[k] = pfz__get_u32(p);
        s->owned.n = nowned;
        for (k = 0; k < nfeats; k++, p += 4)
            s->feat[k] = pfz__get_u32(p);
        if (len > (size_t)(end - p) || len > hdr->value_capacity)
            return PFZ_EPROTO;
        n = nfeats;
        if (n == 0) {
            memcpy(PFZ__SHM_VALUE(hdr), p, len);
            hdr->value_len = len;
            t0 = pfz__now_us();
            pfz__cov_reset();
            run_value(s, len);
            n = collect_all(s);
            us = pfz__now_us() - t0;
        }
        for (k = 0; k < n; k++)
            pfz__featset_add(&s->known, s->feat[k]);
        st = pfz__sched_put(s->sched, idx, p, len, s->feat, n, s->owned.v, nowned, us);
        if (st != APR_SUCCESS)
            return st;
        if (len > s->cur_len)
            s->cur_len = len; /* never shorter than what the corpus holds */
        s->since_new = 0;
        p += len;
    }
    return p == end ? APR_SUCCESS : PFZ_EPROTO;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* A new (or reduced) input, whose features new to this worker are the first n
 * of s->feat, is the value: runs it once more to measure every feature it
 * reaches, which go with the reply (the coordinator hands them to the other
 * workers, which then need not run it) with that execution's duration. The
 * union of both executions' features, sorted and unique (a flaky target may
 * reach less the second time). Returns the count, in s->feat. Like the runs
 * of take_inbox, this execution is the engine's, not one of -runs. */
static size_t measure_all(server_t *s, size_t n, size_t size)
{
    size_t m = 0, k, u;
    uint64_t t0 = pfz__now_us();

    pfz__cov_reset();
    if (run_value(s, size) != -1) {
        m = pfz__cov_collect(NULL, s->feat + n, FEATURE_SCRATCH - n, 1);
        m = PFZ_MIN(m, (size_t)FEATURE_SCRATCH - n);
    } else {
        pfz__cov_reset();
    }
    s->reply.exec_us = pfz__now_us() - t0;
    n += m;
    qsort(s->feat, n, sizeof *s->feat, cmp_u32);
    for (k = 0, u = 0; k < n; k++)
        if (u == 0 || s->feat[u - 1] != s->feat[k])
            s->feat[u++] = s->feat[k];
    return u;
}

/* The fuzzing loop of one FUZZ call. */
static apr_status_t fuzz_loop(server_t *s) PFZ_ENGINE_FRAME("fuzz_loop", "_ZN6fuzzer8portfuzz9fuzz_loopEv");
PFZ_NOINLINE static apr_status_t fuzz_loop(server_t *s)
{
    pfz__shm_hdr_t *hdr = s->hdr;
    uint8_t *value = PFZ__SHM_VALUE(hdr);
    size_t cap = (size_t)PFZ_MIN((uint64_t)s->call.max_len, hdr->value_capacity);
    size_t max_len, lg;
    uint64_t step, start = pfz__now_us(), now, budget = s->call.time_budget_us;
    uint64_t limit = s->call.exec_limit, execs = 0, check_mask = 0, last_check = start;
    size_t n, size, osize = 0, i, bidx = 0, bsize = 0, nowned = 0;
    const uint8_t *base, *other = NULL;
    const uint32_t *owned = NULL;
    int reduce = (s->call.flags & PFZ__FUZZF_REDUCE) != 0, smaller, retried, rejected;
    int i2s = s->opts->use_cmp;
    size_t nwide;

    if (cap == 0)
        cap = 1;
    /* -len_control, as libFuzzer does it: short inputs first; when
     * len_control * log2(len) executions bring nothing new, allow log2(len)
     * more bytes, up to -max_len. Per execution, in the worker, so the length
     * grows at the speed of the target, not of the RPC. */
    if (s->opts->len_control <= 0 || s->cur_len == 0)
        s->cur_len = s->opts->len_control <= 0 ? cap : PFZ_MIN(cap, PFZ_MAX(s->cur_len, (size_t)4));
    max_len = PFZ_MIN(s->cur_len, cap);
    lg = PFZ_MAX(log2_floor(max_len), (size_t)1);
    step = (uint64_t)(s->opts->len_control > 0 ? s->opts->len_control : 0) * lg;
    for (;;) {
        size = 0;
        base = NULL;
        if (pfz__sched_count(s->sched) > 0) {
            bidx = pfz__sched_pick(s->sched, &s->rng);
            base = pfz__sched_data(s->sched, bidx, &bsize);
            if (reduce)
                owned = pfz__sched_owned(s->sched, bidx, &nowned);
            size = PFZ_MIN(bsize, max_len);
            memcpy(value, base, size);
            /* The cross-over partner changes every 8 executions: cross-over is
             * drawn rarely, and a weighted pick per execution showed up. */
            if ((execs & 7) == 0 && pfz__sched_count(s->sched) > 1)
                other = pfz__sched_data(s->sched, pfz__sched_pick(s->sched, &s->rng), &osize);
        }
        n = size; /* the base's bytes in value */
        size = pfz__mutate(s->mut, value, size, max_len, other, osize);
        /* A mutation can give the base back (bytes swapped with their equal,
         * a part copied onto itself, a cross-over with itself): 1-3 % of
         * executions on a small corpus. Mutate again rather than run it. */
        for (i = 0; i < 3 && base != NULL && size == n && memcmp(value, base, n) == 0; i++)
            size = pfz__mutate(s->mut, value, size, max_len, other, osize);
        retried = 0;
    again:
        hdr->value_len = size;
        nwide = pfz__torc.nwide;
        rejected = run_value(s, size) == -1;
        execs++;
        if (leak_detect && leak_mallocs > leak_frees && pfz__leak_check()) {
            /* The value in the region leaks: reported, never added. */
            s->reply.features.n = 0;
            s->reply.execs = execs;
            s->reply.elapsed_us = pfz__now_us() - start;
            pfz__cov_reset();
            return reply(s, PFZ__RS_LEAK);
        }
        /* REDUCE (libFuzzer's -reduce_inputs): a mutant smaller than its base
         * that still reaches every feature the base owns can take its place.
         * Asked before the collection clears the counters; most mutants fail
         * on the first feature checked. */
        smaller = !rejected && nowned > 0 && size < bsize && pfz__cov_has_all(owned, nowned);
        if (rejected) {
            /* The target returned -1: "do not add this input to the
             * corpus" (libFuzzer's contract), whatever it reached. */
            pfz__cov_reset();
            n = 0;
        } else {
            n = pfz__cov_collect(&s->known, s->feat, FEATURE_SCRATCH, 1);
        }
        if (step && ++s->since_new > step && max_len < cap) {
            s->cur_len = max_len = PFZ_MIN(cap, max_len + lg);
            lg = PFZ_MAX(log2_floor(max_len), (size_t)1);
            step = (uint64_t)s->opts->len_control * lg;
            s->since_new = 0;
        }
        if (n > 0 || smaller) {
            int fresh = n > 0; /* a new input (even if smaller) or a REDUCE */
            if (fresh) {
                s->since_new = 0;
                pfz__mutator_note_new(s->mut);
                n = PFZ_MIN(n, (size_t)FEATURE_SCRATCH);
                for (i = 0; i < n; i++)
                    pfz__featset_add(&s->known, s->feat[i]);
            }
            n = measure_all(s, n, size);
            s->reply.features.n = 0;
            if (pfz__u32vec_reserve(&s->reply.features, n) != APR_SUCCESS)
                return APR_ENOMEM;
            memcpy(s->reply.features.v, s->feat, n * sizeof *s->feat);
            s->reply.features.n = n;
            s->reply.entry = (uint32_t)bidx;
            s->reply.execs = execs;
            s->reply.elapsed_us = pfz__now_us() - start;
            return reply(s, fresh ? PFZ__RS_NEW_INPUT : PFZ__RS_REDUCE);
        }
        if (limit && execs >= limit)
            break;
        /* Nothing new: one input-to-state retry when a wide comparison failed
         * on a value the input spells (see pfz__mutator_i2s). */
        if (!retried && i2s && pfz__torc.nwide != nwide &&
            pfz__mutator_i2s(s->mut, value, size, pfz__torc.last_a, pfz__torc.last_b,
                             pfz__torc.last_width)) {
            retried = 1;
            goto again;
        }
        if ((execs & check_mask) == 0) {
            now = pfz__now_us();
            if (budget && now - start >= budget)
                break;
            /* Read the clock about once a millisecond, whatever the speed. */
            if (now - last_check < 1000 && check_mask < 0xffff)
                check_mask = check_mask << 1 | 1;
            else if (now - last_check > 4000 && check_mask > 0)
                check_mask >>= 1;
            last_check = now;
        }
    }
    s->reply.features.n = 0;
    s->reply.execs = execs;
    s->reply.elapsed_us = pfz__now_us() - start;
    return reply(s, PFZ__RS_OK);
}

/* RUN: executes the value once; replies with all its features. */
static apr_status_t run_once(server_t *s) PFZ_ENGINE_FRAME("run_once", "_ZN6fuzzer8portfuzz8run_onceEv");
PFZ_NOINLINE static apr_status_t run_once(server_t *s)
{
    uint64_t t0;
    size_t n;

    int rc;

    pfz__cov_reset();
    t0 = pfz__now_us();
    rc = run_value(s, (size_t)PFZ_MIN(s->hdr->value_len, s->hdr->value_capacity));
    s->reply.exec_us = pfz__now_us() - t0;
    if (rc == -1) {
        /* "Do not add this input to the corpus": a seed is not either. */
        pfz__cov_reset();
        s->reply.execs = 1;
        s->reply.elapsed_us = s->reply.exec_us;
        return reply(s, PFZ__RS_REJECTED);
    }
    n = collect_all(s);
    if (pfz__u32vec_reserve(&s->reply.features, n) != APR_SUCCESS)
        return APR_ENOMEM;
    memcpy(s->reply.features.v, s->feat, n * sizeof *s->feat);
    s->reply.features.n = n;
    s->reply.execs = 1;
    s->reply.elapsed_us = s->reply.exec_us;
    return reply(s, PFZ__RS_OK);
}

/* RUN with an inbox: the corpus inputs of the inbox (records as in wire.h,
 * their index their place in the batch), one after the other, each written to
 * the value before it runs (a crash is attributed to it). The reply's features
 * are, per input that ran, its feature count (PFZ__BATCH_REJECTED: the target
 * returned -1), the execution's microseconds and its features; reply.entry
 * says how many ran (the rest, if the reply would grow too big, are for
 * another call). */
static apr_status_t run_batch(server_t *s) PFZ_ENGINE_FRAME("run_batch", "_ZN6fuzzer8portfuzz9run_batchEv");
PFZ_NOINLINE static apr_status_t run_batch(server_t *s)
{
    pfz__shm_hdr_t *hdr = s->hdr;
    const uint8_t *p, *end;
    pfz__u32vec_t *out = &s->reply.features;
    uint64_t t0, start = pfz__now_us(), us;
    uint32_t i, len, skip;
    size_t n;
    int rc;

    if (hdr->inbox_offset + hdr->inbox_len > pfz__shm_size(s->shm) ||
        hdr->inbox_len > hdr->inbox_capacity)
        return reply_error(s, "malformed inbox in shared memory");
    p = PFZ__SHM_INBOX(hdr);
    end = p + hdr->inbox_len;
    for (i = 0; i < s->call.inbox_count; i++) {
        if (out->n + 3 + FEATURE_SCRATCH > PFZ__RPC_MAX_FEATURES)
            break; /* the rest in the next call */
        if ((size_t)(end - p) < PFZ__INBOX_RECORD_FIXED)
            return reply_error(s, "malformed inbox in shared memory");
        len = pfz__get_u32(p + 4);
        skip = pfz__get_u32(p + 8) + pfz__get_u32(p + 12);
        p += PFZ__INBOX_RECORD_FIXED;
        if (skip > (size_t)(end - p) / 4 || len > (size_t)(end - p) - 4 * (size_t)skip ||
            len > hdr->value_capacity)
            return reply_error(s, "malformed inbox in shared memory");
        p += 4 * (size_t)skip;
        memcpy(PFZ__SHM_VALUE(hdr), p, len);
        hdr->value_len = len;
        p += len;
        pfz__cov_reset();
        t0 = pfz__now_us();
        rc = run_value(s, len);
        us = pfz__now_us() - t0;
        if (rc == -1) {
            pfz__cov_reset();
            n = 0;
        } else {
            n = collect_all(s);
        }
        if (pfz__u32vec_reserve(out, out->n + 2 + n) != APR_SUCCESS)
            return APR_ENOMEM;
        out->v[out->n++] = rc == -1 ? PFZ__BATCH_REJECTED : (uint32_t)n;
        out->v[out->n++] = (uint32_t)PFZ_MIN(us, (uint64_t)UINT32_MAX);
        memcpy(out->v + out->n, s->feat, n * sizeof *s->feat);
        out->n += n;
    }
    s->reply.entry = i;
    s->reply.execs = i;
    s->reply.elapsed_us = s->reply.exec_us = pfz__now_us() - start;
    return reply(s, PFZ__RS_OK);
}

/* MINIMIZE (crash): tries ever smaller variants of the value -- removing chunks
 * from half the input down to single bytes -- each written to the region
 * before it runs. A variant that crashes kills this process, and the
 * coordinator takes it from the region and calls again with it. When no
 * variant crashes within the budget, the reply says so (OK, value unchanged). */
static apr_status_t minimize(server_t *s) PFZ_ENGINE_FRAME("minimize", "_ZN6fuzzer8portfuzz8minimizeEv");
PFZ_NOINLINE static apr_status_t minimize(server_t *s)
{
    pfz__shm_hdr_t *hdr = s->hdr;
    size_t len = (size_t)PFZ_MIN(hdr->value_len, hdr->value_capacity), chunk, off;
    uint64_t start = pfz__now_us(), execs = 0;

    if (len > s->orig_cap) {
        uint8_t *p = realloc(s->orig, len);
        if (p == NULL)
            return APR_ENOMEM;
        s->orig = p;
        s->orig_cap = len;
    }
    memcpy(s->orig, PFZ__SHM_VALUE(hdr), len);
    for (chunk = len / 2 ? len / 2 : 1; len > 0 && chunk >= 1; chunk /= 2) {
        for (off = 0; off < len; off += chunk) {
            size_t cut = PFZ_MIN(chunk, len - off);
            memcpy(PFZ__SHM_VALUE(hdr), s->orig, off);
            memcpy(PFZ__SHM_VALUE(hdr) + off, s->orig + off + cut, len - off - cut);
            hdr->value_len = len - cut;
            run_value(s, len - cut);
            pfz__cov_reset();
            execs++;
            if ((s->call.exec_limit && execs >= s->call.exec_limit) ||
                (s->call.time_budget_us && pfz__now_us() - start >= s->call.time_budget_us))
                goto out;
        }
        if (chunk == 1)
            break;
    }
out:
    memcpy(PFZ__SHM_VALUE(hdr), s->orig, len);
    hdr->value_len = len;
    s->reply.features.n = 0;
    s->reply.execs = execs;
    s->reply.elapsed_us = pfz__now_us() - start;
    return reply(s, PFZ__RS_OK);
}

static apr_status_t serve_one(server_t *s) PFZ_ENGINE_FRAME("serve_one", "_ZN6fuzzer8portfuzz9serve_oneEv");
PFZ_NOINLINE static apr_status_t serve_one(server_t *s)
{
    pfz__mutator_opts_t mo;
    apr_status_t st;
    size_t i;

    s->reply.err[0] = '\0';
    s->reply.features.n = 0;
    s->reply.execs = s->reply.elapsed_us = s->reply.exec_us = 0;
    if (s->call.type == PFZ__CALL_PING)
        return reply(s, PFZ__RS_OK);
    if ((st = refresh_mapping(s)) != APR_SUCCESS)
        return reply_error(s, "cannot re-map the grown shared-memory region");
    for (i = 0; i < s->call.features.n; i++)
        pfz__featset_add(&s->known, s->call.features.v[i]);
    pfz__cov_set_value_profile((s->call.flags & PFZ__FUZZF_VALUE_PROFILE) != 0);
    switch (s->call.type) {
    case PFZ__CALL_FUZZ:
        if (s->mut == NULL) {
            memset(&mo, 0, sizeof mo);
            mo.seed = s->call.seed;
            mo.only_ascii = s->opts->only_ascii;
            mo.use_cmp = s->opts->use_cmp;
            mo.dict = s->opts->dict;
            if ((st = pfz__mutator_create(&s->mut, &mo, s->pool)) != APR_SUCCESS)
                return reply_error(s, "cannot create the mutator");
            pfz__mutator_set_current(s->mut);
            pfz__rng_seed(&s->rng, s->call.seed ^ 0x5bd1e995u);
        }
        if ((st = take_inbox(s)) != APR_SUCCESS)
            return reply_error(s, "malformed inbox in shared memory");
        if (s->call.flags & PFZ__FUZZF_WARMUP)
            return reply(s, PFZ__RS_OK);
        return fuzz_loop(s);
    case PFZ__CALL_RUN:
        return s->call.inbox_count > 0 ? run_batch(s) : run_once(s);
    case PFZ__CALL_MINIMIZE:
        return minimize(s);
    default:
        return reply_error(s, "unknown call");
    }
}

int pfz__worker_serve(const pfz__server_opts_t *opts, apr_pool_t *pool)
{
    server_t s;
    apr_status_t st;
    char err[256];
    int rc = 0;

    memset(&s, 0, sizeof s);
    s.opts = opts;
    s.pool = pool;
    if ((st = pfz__worker_channels(&s.calls, &s.replies, pool)) != APR_SUCCESS) {
        pfz__log("==portfuzz== worker: no call/reply channels (%s); was this process started "
                 "by a portfuzz coordinator?", pfz__strerror(st, err, sizeof err));
        return 1;
    }
    if ((st = pfz__shm_attach_inherited(&s.shm, pool)) != APR_SUCCESS) {
        pfz__log("==portfuzz== worker: cannot map the shared-memory region: %s",
                 pfz__strerror(st, err, sizeof err));
        return 1;
    }
    s.hdr = pfz__shm_base(s.shm);
    if (s.hdr->magic != PFZ__SHM_MAGIC || s.hdr->version != PFZ__SHM_VERSION) {
        pfz__log("==portfuzz== worker: the shared-memory region has layout %u, expected %u "
                 "(coordinator and worker are different builds?)",
                 (unsigned)s.hdr->version, (unsigned)PFZ__SHM_VERSION);
        return 1;
    }
    s.feat = malloc(FEATURE_SCRATCH * sizeof *s.feat);
    if (s.feat == NULL || pfz__featset_init(&s.known) != APR_SUCCESS ||
        pfz__sched_create(&s.sched, pool) != APR_SUCCESS) {
        pfz__log("==portfuzz== worker: out of memory at start-up");
        return 1;
    }
    pfz__cov_init();
    pfz__cov_set_running(0);
    leak_detect = opts->detect_leaks && pfz__leak_hooks_install(on_malloc, on_free);
    for (;;) {
        st = pfz__rpc_read_call(s.calls, &s.buf, &s.call);
        if (APR_STATUS_IS_EOF(st))
            break; /* the coordinator is done with us */
        if (st == APR_SUCCESS)
            st = serve_one(&s);
        if (st != APR_SUCCESS) {
            /* A channel that is suddenly not there (EBADF) or that carries
             * garbage was closed or replaced by the target (daemon-style code
             * closes every descriptor): tell the coordinator through the
             * region, whose value is the input that did it. */
            if (APR_STATUS_IS_EBADF(st) || st == PFZ_EPROTO) {
                s.hdr->flags |= PFZ__SHMF_CHANNEL_LOST;
                pfz__log("==portfuzz== worker: the fuzz target closed or replaced the engine's "
                         "call/reply channels (%s)", pfz__strerror(st, err, sizeof err));
            } else {
                pfz__log("==portfuzz== worker: %s", pfz__strerror(st, err, sizeof err));
            }
            rc = 1;
            break;
        }
    }
    pfz__mutator_set_current(NULL);
    pfz__sched_destroy(s.sched);
    pfz__featset_free(&s.known);
    free(s.feat);
    free(s.orig);
    pfz__rpc_buf_free(&s.buf);
    pfz__u32vec_free(&s.call.features);
    pfz__u32vec_free(&s.reply.features);
    pfz__u32vec_free(&s.owned);
    return rc;
}
