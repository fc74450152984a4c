/* merge.c -- -merge=1: ./fuzzer -merge=1 OUT IN1 [IN2 ...]
 *
 * Runs every input of OUT and of the IN directories once in a worker (so a
 * crashing or hanging input only costs a worker restart), records the
 * features of each, then copies into OUT, smallest first, every IN input that
 * brings a feature OUT does not have yet (libFuzzer's merge semantics: the
 * result covers everything the inputs covered, with few, small files).
 *
 * With -merge_control_file=F the progress is appended to F as it happens:
 *   PORTFUZZ-MERGE 1
 *   FILE <path>                (every input, in processing order)
 *   OK <index> <n> <f1> ... <fn>
 *   BAD <index> <why>          (crashed, hung, or unreadable)
 * A later run with the same inputs and the same control file skips what is
 * recorded, so an interrupted merge resumes where it stopped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>

#include "artifact.h"
#include "coordinator.h"
#include "platform.h"
#include "sha1.h"

/* Bytes of a crashing input's output shown during a merge. */
#define MERGE_TAIL (4u << 10)

typedef struct minput {
    const char *path;
    size_t size;
    int in_out;          /* 1: already in OUT */
    int state;           /* 0 pending, 1 ok, 2 bad */
    pfz__u32vec_t feats;
} minput_t;

static int by_size(const void *a, const void *b)
{
    const minput_t *x = *(minput_t *const *)a, *y = *(minput_t *const *)b;

    if (x->in_out != y->in_out)
        return x->in_out ? -1 : 1; /* OUT's inputs first: they set the baseline */
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* Reads a control file written for exactly these inputs; marks what it records. */
static void resume(const char *cf, minput_t **in, int n, apr_pool_t *p)
{
    uint8_t *data;
    size_t len;
    char *text, *line, *save = NULL;
    int fileno = 0, same = 1, resumed = 0;

    if (pfz__read_file(cf, &data, &len, (size_t)1 << 30, p) != APR_SUCCESS)
        return;
    text = apr_pstrmemdup(p, (const char *)data, len);
    free(data);
    for (line = apr_strtok(text, "\n", &save); line != NULL && same; line = apr_strtok(NULL, "\n", &save)) {
        if (strncmp(line, "FILE ", 5) == 0) {
            same = fileno < n && strcmp(line + 5, in[fileno]->path) == 0;
            fileno++;
        } else if (strncmp(line, "OK ", 3) == 0 || strncmp(line, "BAD ", 4) == 0) {
            char *end;
            long idx = strtol(line + (line[0] == 'O' ? 3 : 4), &end, 10);
            if (fileno != n || idx < 0 || idx >= n) {
                same = 0;
                break;
            }
            if (line[0] == 'B') {
                in[idx]->state = 2;
            } else {
                long k, nf = strtol(end, &end, 10);
                in[idx]->feats.n = 0;
                for (k = 0; k < nf; k++)
                    pfz__u32vec_push(&in[idx]->feats, (uint32_t)strtoul(end, &end, 10));
                in[idx]->state = 1;
            }
            resumed++;
        }
    }
    if (!same || fileno != n) {
        int i;
        pfz__log("INFO: -merge_control_file '%s' was written for other inputs; starting over", cf);
        for (i = 0; i < n; i++) {
            in[i]->state = 0;
            in[i]->feats.n = 0;
        }
        return;
    }
    pfz__log("INFO: -merge_control_file '%s': resuming, %d of %d inputs already done", cf, resumed, n);
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

int pfz__merge(const pfz__options_t *o, char **argv, int argc, apr_pool_t *pool)
{
    apr_array_header_t *files = apr_array_make(pool, 256, sizeof(minput_t *));
    pfz__solo_t solo;
    pfz__featset_t have;
    apr_file_t *ctl = NULL;
    minput_t **in;
    char *exe = NULL, msg[256];
    const char **wargv;
    int i, d, n, added = 0, bad = 0, code = PFZ_EXIT_OK;
    size_t newf = 0;
    size_t capacity = 4096;
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
    for (d = 0; d < o->ndirs; d++) {
        apr_array_header_t *names = apr_array_make(pool, 64, sizeof(const char *));
        if ((st = pfz__list_files(names, o->dirs[d], pool)) != APR_SUCCESS) {
            pfz__log("ERROR: cannot read directory '%s': %s", o->dirs[d], pfz__strerror(st, msg, sizeof msg));
            return PFZ_EXIT_USAGE;
        }
        for (i = 0; i < names->nelts; i++) {
            minput_t *m = apr_pcalloc(pool, sizeof *m);
            apr_finfo_t fi;
            m->path = APR_ARRAY_IDX(names, i, const char *);
            m->in_out = d == 0;
            if (apr_stat(&fi, m->path, APR_FINFO_SIZE, pool) == APR_SUCCESS)
                m->size = (size_t)fi.size;
            APR_ARRAY_PUSH(files, minput_t *) = m;
        }
    }
    n = files->nelts;
    in = (minput_t **)files->elts;
    qsort(in, (size_t)n, sizeof *in, by_size);
    pfz__log("INFO: merge: %d inputs (%s holds the result)", n, o->dirs[0]);
    if (o->merge_control_file != NULL) {
        resume(o->merge_control_file, in, n, pool);
        if ((st = apr_file_open(&ctl, o->merge_control_file, APR_FOPEN_WRITE | APR_FOPEN_CREATE |
                                APR_FOPEN_APPEND, APR_FPROT_OS_DEFAULT, pool)) != APR_SUCCESS) {
            pfz__log("ERROR: cannot write -merge_control_file '%s': %s", o->merge_control_file,
                     pfz__strerror(st, msg, sizeof msg));
            return PFZ_EXIT_USAGE;
        }
        {
            int fresh = 1, k;
            for (k = 0; k < n; k++)
                if (in[k]->state != 0)
                    fresh = 0;
            if (fresh) { /* a new control file: the header and the input list */
                apr_file_trunc(ctl, 0);
                apr_file_printf(ctl, "PORTFUZZ-MERGE 1\n");
                for (k = 0; k < n; k++)
                    apr_file_printf(ctl, "FILE %s\n", in[k]->path);
                apr_file_flush(ctl);
            }
        }
    }

    /* One worker, watched by the ordinary watchdog. */
    if ((st = pfz__self_exe(&exe, pool)) != APR_SUCCESS) {
        pfz__log("ERROR: cannot find this program's own path: %s", pfz__strerror(st, msg, sizeof msg));
        return PFZ_EXIT_USAGE;
    }
    wargv = apr_pcalloc(pool, sizeof(char *) * (size_t)(argc + 1));
    for (i = 0; i < argc; i++)
        wargv[i] = argv[i];
    for (i = 0; i < n; i++)
        capacity = PFZ_MAX(capacity, in[i]->size);
    pfz__interrupt_install();
    if ((st = pfz__solo_open(&solo, o, exe, wargv, capacity, pool)) != APR_SUCCESS) {
        pfz__log("ERROR: cannot create the merge worker: %s", pfz__strerror(st, msg, sizeof msg));
        return PFZ_EXIT_USAGE;
    }

    for (i = 0; i < n && !pfz__interrupted(); i++) {
        pfz__fuzz_args_t a;
        uint8_t *data;
        size_t len;
        if (in[i]->state != 0)
            continue;
        if (pfz__read_file(in[i]->path, &data, &len, (size_t)1 << 30, pool) != APR_SUCCESS) {
            pfz__log("WARNING: merge: cannot read '%s'; skipping it", in[i]->path);
            in[i]->state = 2;
            if (ctl)
                apr_file_printf(ctl, "BAD %d unreadable\n", i);
            continue;
        }
        if ((st = pfz__worker_start(solo.slot.worker)) == PFZ_ESHMCLOSED) {
            free(data);
            break; /* interrupted: the watchdog cleaned the worker up */
        } else if (st != APR_SUCCESS) {
            pfz__log("ERROR: merge: cannot start the worker: %s", pfz__strerror(st, msg, sizeof msg));
            free(data);
            code = PFZ_EXIT_USAGE;
            break;
        }
        memset(&a, 0, sizeof a);
        a.type = PFZ__CALL_RUN;
        a.value.data = data;
        a.value.size = len;
        a.max_len = (uint32_t)PFZ_MAX(len, 1);
        a.deadline_us = (uint64_t)o->timeout * 1000000u + 30000000u;
        st = pfz__client_call(solo.slot.worker, &a, &solo.slot.res);
        free(data);
        if (st == PFZ_ESHMCLOSED)
            break; /* interrupted */
        if (st == APR_SUCCESS) {
            size_t k;
            in[i]->state = 1;
            in[i]->feats.n = 0;
            pfz__u32vec_reserve(&in[i]->feats, solo.slot.res.reply.features.n);
            for (k = 0; k < solo.slot.res.reply.features.n; k++)
                pfz__u32vec_push(&in[i]->feats, solo.slot.res.reply.features.v[k]);
            if (ctl) {
                apr_file_printf(ctl, "OK %d %" APR_SIZE_T_FMT, i, in[i]->feats.n);
                for (k = 0; k < in[i]->feats.n; k++)
                    apr_file_printf(ctl, " %u", (unsigned)in[i]->feats.v[k]);
                apr_file_printf(ctl, "\n");
            }
        } else if (st == PFZ_EWORKERDIED) {
            pfz__exit_t how;
            pfz__kill_reason_e why;
            pfz__worker_reap(solo.slot.worker, &how, &why);
            pfz__log("INFO: merge: '%s' %s (%s); left out", in[i]->path,
                     why == PFZ__KILL_TIMEOUT ? "hangs" : why == PFZ__KILL_OOM ? "runs out of memory"
                                                                               : "crashes", how.desc);
            show_tail(&solo, pool);
            in[i]->state = 2;
            bad++;
            if (ctl)
                apr_file_printf(ctl, "BAD %d %s\n", i, why == PFZ__KILL_TIMEOUT ? "timeout" : "crash");
        } else {
            pfz__log("ERROR: merge: the worker failed on '%s': %s", in[i]->path,
                     pfz__strerror(st, msg, sizeof msg));
            code = PFZ_EXIT_USAGE;
            break;
        }
        if (ctl)
            apr_file_flush(ctl);
    }
    pfz__solo_close(&solo);
    if (pfz__interrupted()) {
        pfz__log("INFO: merge interrupted; %s", o->merge_control_file
                 ? "run again with the same -merge_control_file to resume" : "nothing was written");
        code = PFZ_EXIT_INTERRUPTED;
    }

    /* Selection: OUT's features first, then IN inputs smallest first. */
    if (code == PFZ_EXIT_OK && pfz__featset_init(&have) == APR_SUCCESS) {
        for (i = 0; i < n; i++) {
            size_t k, fresh = 0;
            if (in[i]->state != 1)
                continue;
            for (k = 0; k < in[i]->feats.n; k++)
                if (!pfz__featset_has(&have, in[i]->feats.v[k]))
                    fresh++;
            if (fresh == 0 && !in[i]->in_out)
                continue;
            for (k = 0; k < in[i]->feats.n; k++)
                pfz__featset_add(&have, in[i]->feats.v[k]);
            if (!in[i]->in_out) {
                uint8_t *data;
                size_t len;
                char hex[PFZ__SHA1_HEX_LEN + 1];
                if (pfz__read_file(in[i]->path, &data, &len, (size_t)1 << 30, pool) != APR_SUCCESS)
                    continue;
                pfz__sha1_hex(data, len, hex);
                st = pfz__write_atomic(apr_pstrcat(pool, o->dirs[0], "/", hex, NULL), data, len, pool);
                free(data);
                if (st != APR_SUCCESS) {
                    pfz__log("ERROR: merge: cannot write into '%s': %s; the inputs are unchanged",
                             o->dirs[0], pfz__strerror(st, msg, sizeof msg));
                    code = PFZ_EXIT_USAGE;
                    break;
                }
                added++;
                newf += fresh;
            }
        }
        pfz__featset_free(&have);
        pfz__log("MERGE-OUTER: %d new files with %zu new features added; %d inputs left out "
                 "(crash or hang)", added, newf, bad);
    }
    for (i = 0; i < n; i++)
        pfz__u32vec_free(&in[i]->feats);
    return code;
}
