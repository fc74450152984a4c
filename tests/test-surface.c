/* test-surface.c -- libFuzzer's output surface, as ClusterFuzz parses it:
 * the report lines, exit codes, start-up and status lines, stat:: lines,
 * single-input reproduction (-runs, -timeout, -rss_limit_mb) and the crash
 * state of a stack. The regular expressions below are equivalent in effect
 * to the ones ClusterFuzz applies (google/clusterfuzz, bot/fuzzers/libFuzzer
 * and stacktraces), written as POSIX EREs. POSIX only (regex.h); the
 * Windows build runs none of these. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "artifact.h"
#include "tests.h"

#ifndef _WIN32
#include <regex.h>

/* Every line of the ClusterFuzz kinds that must be found. */
#define RE_TESTCASE "Test unit written to[[:space:]]*(.*(crash|oom|timeout|leak)-.*)"
#define RE_DEADLY "ERROR:[[:space:]]*libFuzzer:[[:space:]]*deadly signal"
#define RE_TIMEOUT "ERROR:[[:space:]]*libFuzzer:[[:space:]]*timeout"
#define RE_OOM "libFuzzer: out-of-memory \\("
#define RE_EXITED "ERROR:[[:space:]]*libFuzzer:[[:space:]]*fuzz target exited"
#define RE_CONST "ERROR:[[:space:]]*libFuzzer:[[:space:]]*fuzz target overwrites its const input"
#define RE_MODULES                                                                                 \
    "^INFO:[[:space:]]+Loaded[[:space:]]+[0-9]+[[:space:]]+(modules|PC "                           \
    "tables)[[:space:]]+\\(([0-9]+)[[:space:]]+.*\\).*"
#define RE_SEED_CORPUS                                                                             \
    "INFO:[[:space:]]+seed "                                                                       \
    "corpus:[[:space:]]+files:[[:space:]]+([0-9]+).*rss:[[:space:]]+([0-9]+)Mb.*"
#define RE_MAX_LEN                                                                                 \
    "-max_len is not provided; libFuzzer will not generate inputs larger than ([0-9]+) bytes"
#define RE_DICT "Dictionary: [0-9]+ entries"
#define RE_LOG_LINE "^#[0-9]+[[:space:]]*(READ|INITED|NEW|pulse|REDUCE|RELOAD|DONE|:)[[:space:]]"
#define RE_INITED "^#[0-9]+[[:space:]]+INITED[[:space:]]+"
#define RE_DONE "Done[[:space:]]+[0-9]+[[:space:]]+runs"
#define RE_STAT "^stat::([A-Za-z_]+):[[:space:]]*([^[:space:]]+)"
#define RE_PID "^==([0-9]+)== ERROR: libFuzzer: "

/* The first match of re in text (REG_NEWLINE: ^ and $ are per line); group
 * g of it into out (if given). 1 if it matched. */
static int match(const char *re, const char *text, int g, char *out, size_t outlen)
{
    regex_t rx;
    regmatch_t m[8];
    int ok;

    CU_ASSERT_EQUAL_FATAL(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE), 0);
    ok = regexec(&rx, text, 8, m, 0) == 0;
    if (ok && out != NULL) {
        size_t n = m[g].rm_so < 0 ? 0 : (size_t)(m[g].rm_eo - m[g].rm_so);
        n = n < outlen - 1 ? n : outlen - 1;
        memcpy(out, text + (m[g].rm_so < 0 ? 0 : m[g].rm_so), n);
        out[n] = '\0';
    }
    regfree(&rx);
    return ok;
}

static long match_num(const char *re, const char *text, int g)
{
    char buf[64];

    return match(re, text, g, buf, sizeof buf) ? strtol(buf, NULL, 10) : -1;
}

static void show(int ok, const pfz_test_run_t *r)
{
    if (!ok)
        fprintf(stderr, "\n---- target output (exit %d, %.1fs) ----\n%s\n----\n", r->code,
                r->seconds, r->out);
}

static const char *write_input(const char *dir, const char *name, const char *bytes)
{
    const char *path = apr_pstrcat(pfz_test_pool, dir, "/", name, NULL);

    CU_ASSERT_EQUAL_FATAL(pfz__write_atomic(path, bytes, strlen(bytes), pfz_test_pool),
                          APR_SUCCESS);
    return path;
}

static const char *make_dir(const char *dir, const char *name)
{
    const char *path = apr_pstrcat(pfz_test_pool, dir, "/", name, NULL);

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(path, APR_FPROT_OS_DEFAULT, pfz_test_pool),
                          APR_SUCCESS);
    return path;
}

/* A report's ==PID== is a real process id (libFuzzer's GetPid()), not a
 * worker number. */
static int real_pid(const char *out)
{
    return match_num(RE_PID, out, 1) > 1;
}

/* ------------------------------------------------------ reproduction */

/* -runs=N runs each file N times (ClusterFuzz reproduces with -runs=100):
 * a crash on the fifth execution reproduces, with a stack and exit 77; one
 * run does not crash. */
static void test_reproduce_runs(void)
{
    const char *dir = pfz_test_scratch("surface-runs");
    const char *in = write_input(dir, "nth", "!N");
    const char *a100[] = {"-runs=100", "-timeout=25", "-rss_limit_mb=2560", in, NULL};
    const char *a1[] = {in, NULL};
    pfz_test_run_t r = pfz_test_run(pfz_test_target("tests/targets/surface"), a100, NULL, dir);
    pfz_test_run_t once = pfz_test_run(pfz_test_target("tests/targets/surface"), a1, NULL, dir);
    /* Our handler exits 77; a sanitizer that owns SIGSEGV (clang's UBSan)
     * reports it and exits with its own status. */
    int san = strstr(r.out, "Sanitizer:DEADLYSIGNAL") != NULL;
    int ok = (san ? r.code != 0 : r.code == 77) && match("^Running: .*nth$", r.out, 0, NULL, 0) &&
             (san || match(RE_DEADLY, r.out, 0, NULL, 0)) && match("^ *#0 ", r.out, 0, NULL, 0);

    CU_ASSERT(ok);
    show(ok, &r);
    CU_ASSERT_EQUAL(once.code, 0);
    CU_ASSERT(match("^Executed .*nth in [0-9]+ ms$", once.out, 0, NULL, 0));
    show(once.code == 0, &once);
}

/* Reproduces input `bytes` of target with flags (NULL-terminated, at most
 * 8): the exit code, the report line `re` with a real pid, `detail` (when
 * given) and the SUMMARY line. */
static void reproduce_finding(const char *target, const char *bytes, const char *const *flags,
                              const char *re, const char *detail, const char *summary, int code)
{
    const char *dir = pfz_test_scratch("surface-reproduce");
    const char *args[10];
    pfz_test_run_t r;
    int n = 0, ok;

    while (*flags != NULL && n < 8)
        args[n++] = *flags++;
    args[n++] = write_input(dir, "input", bytes);
    args[n] = NULL;
    r = pfz_test_run(pfz_test_target(target), args, NULL, dir);
    ok = r.code == code && match(re, r.out, 0, NULL, 0) && real_pid(r.out) &&
         (detail == NULL || match(detail, r.out, 0, NULL, 0)) &&
         match(apr_pstrcat(pfz_test_pool, "^SUMMARY: libFuzzer: ", summary, "$", NULL), r.out, 0,
               NULL, 0);
    CU_ASSERT(ok);
    show(ok, &r);
}

/* A hang reproduces as libFuzzer's timeout, exit -timeout_exitcode (70),
 * within about -timeout (the runner's limit is the backstop): a reproducer
 * never hangs its CI job. */
static void test_reproduce_timeout(void)
{
    const char *f[] = {"-runs=100", "-timeout=1", NULL};
    reproduce_finding("tests/targets/kinds", "!HG", f, RE_TIMEOUT,
                      "^ALARM: working on the last Unit", "timeout", 70);
    /* ... with the hung thread's stack (a timeout's crash state is read
     * from it, as from libFuzzer's alarm handler). Not under ThreadSanitizer:
     * it delivers a signal only at the thread's next intercepted call, which
     * a spinning target never makes. */
#ifndef PFZ_TEST_TSAN
    reproduce_finding("tests/targets/kinds", "!HG", f,
                      "stack of the fuzz target's thread \\(timeout\\):$",
                      "^    #[0-9]+ 0x[0-9a-f]+ in pfz_kinds_hang", "timeout", 70);
#endif
}

/* Memory past -rss_limit_mb: libFuzzer's out-of-memory report, exit 71. */
static void test_reproduce_rss_limit(void)
{
    const char *f[] = {"-runs=100", "-timeout=60", "-rss_limit_mb=300", NULL};
    reproduce_finding("tests/targets/kinds", "!M", f, RE_OOM,
                      "out-of-memory \\(used: [0-9]+Mb; exceeds: 300Mb\\)", "out-of-memory", 71);
}

/* exit() in the target: "fuzz target exited", exit 77 (not the target's 0). */
static void test_reproduce_exit(void)
{
    const char *f[] = {"-runs=100", NULL};
    reproduce_finding("tests/targets/surface", "!E", f, RE_EXITED, NULL, "fuzz target exited", 77);
}

/* A target that writes into its input: libFuzzer's const-input finding. */
static void test_reproduce_const_input(void)
{
    const char *f[] = {NULL};
    reproduce_finding("tests/targets/surface", "!W", f, RE_CONST, NULL, "overwrites-const-input",
                      77);
}

/* -minimize_crash=1 on an input that does not crash fails, as libFuzzer's. */
static void test_minimize_non_crash_fails(void)
{
    const char *dir = pfz_test_scratch("surface-minimize");
    const char *in = write_input(dir, "fine", "harmless input");
    const char *args[] = {"-minimize_crash=1",
                          "-max_total_time=10",
                          "-runs=1000",
                          apr_pstrcat(pfz_test_pool, "-exact_artifact_path=", dir, "/min", NULL),
                          in,
                          NULL};
    pfz_test_run_t r = pfz_test_run(pfz_test_target("tests/targets/surface"), args, NULL, dir);
    int ok = r.code == 1 && /* libFuzzer's status for it */
             match("^ERROR: the input .*fine did not crash$", r.out, 0, NULL, 0);

    CU_ASSERT(ok);
    show(ok, &r);
}

/* ------------------------------------------------------ campaigns */

/* A finding on a seed, in a worker: the report line ClusterFuzz classifies,
 * with the worker's pid, the artifact line it takes the testcase from, and
 * the exit code. */
static void campaign_finding(const char *target, const char *seed, const char *const *flags,
                             const char *re, const char *summary, int code)
{
    const char *dir = pfz_test_scratch("surface-finding");
    const char *corpus = make_dir(dir, "corpus");
    const char *args[16];
    pfz_test_run_t r;
    char path[1024];
    int n = 0, ok;

    write_input(corpus, "seed", seed);
    args[n++] = "-workers=1";
    args[n++] = "-minimize_crash=0";
    args[n++] = apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL);
    while (*flags != NULL && n < 14)
        args[n++] = *flags++;
    args[n++] = corpus;
    args[n] = NULL;
    r = pfz_test_run(pfz_test_target(target), args, NULL, dir);
    ok = r.code == code && match(re, r.out, 0, NULL, 0) && real_pid(r.out) &&
         match(RE_TESTCASE, r.out, 1, path, sizeof path) &&
         match("^INFO: portfuzz: worker 0 \\(pid [0-9]+\\) ", r.out, 0, NULL, 0) &&
         (summary == NULL ||
          match(apr_pstrcat(pfz_test_pool, "^SUMMARY: libFuzzer: ", summary, "$", NULL), r.out, 0,
                NULL, 0)) &&
         match("^Base64: ", r.out, 0, NULL, 0);
    CU_ASSERT(ok);
    if (ok) {
        apr_finfo_t fi;
        CU_ASSERT_EQUAL(apr_stat(&fi, path, APR_FINFO_SIZE, pfz_test_pool), APR_SUCCESS);
    }
    show(ok, &r);
}

static void test_campaign_exit(void)
{
    const char *f[] = {NULL};
    campaign_finding("tests/targets/surface", "!E", f, RE_EXITED, "fuzz target exited", 77);
}

static void test_campaign_const_input(void)
{
    const char *f[] = {NULL};
    campaign_finding("tests/targets/surface", "!W", f, RE_CONST, "overwrites-const-input", 77);
}

static void test_campaign_timeout(void)
{
    const char *f[] = {"-timeout=1", NULL};
    campaign_finding("tests/targets/kinds", "!HG", f, RE_TIMEOUT, "timeout", 70);
}

static void test_campaign_rss_limit(void)
{
    const char *f[] = {"-rss_limit_mb=300", "-timeout=60", NULL};
    campaign_finding("tests/targets/kinds", "!M", f, RE_OOM, "out-of-memory", 71);
}

static void test_campaign_crash(void)
{
    const char *f[] = {NULL};
    campaign_finding("tests/targets/kinds", "!A", f, "(" RE_DEADLY ")|(Sanitizer)", NULL, 77);
}

/* The start-up, status and final lines ClusterFuzz reads stats from. */
static void test_status_and_stats_lines(void)
{
    const char *dir = pfz_test_scratch("surface-stats");
    const char *out = make_dir(dir, "out"), *seeds = make_dir(dir, "seeds");
    const char *dict = write_input(dir, "dict", "a=\"!H\"\nb=\"!Q\"\n");
    const char *args[] = {"-workers=1",
                          "-runs=0",
                          "-print_final_stats=1",
                          "-seed=1",
                          apr_pstrcat(pfz_test_pool, "-dict=", dict, NULL),
                          out,
                          seeds,
                          NULL};
    pfz_test_run_t r;
    regex_t rx;
    regmatch_t m[3];
    const char *p;
    int ok, nstats = 0, digits = 1;

    write_input(seeds, "s1", "a");
    write_input(seeds, "s2", "!x");
    write_input(seeds, "s3", "!Hx");
    r = pfz_test_run(pfz_test_target("tests/targets/kinds"), args, NULL, dir);
    ok = r.code == 0 && match_num(RE_SEED_CORPUS, r.out, 1) == 3 &&
         match_num(RE_MAX_LEN, r.out, 1) == 4096 && match(RE_DICT, r.out, 0, NULL, 0) &&
         match(RE_INITED, r.out, 0, NULL, 0) && match(RE_LOG_LINE, r.out, 0, NULL, 0) &&
         match(RE_DONE, r.out, 0, NULL, 0) &&
         match_num("^stat::new_units_added: +([0-9]+)$", r.out, 1) == 0;
#ifdef __clang__
    /* clang's inline 8-bit counters register their modules (gcc's trace-pc
     * has none); ClusterFuzz reads the total edges from this line. */
    ok = ok && match_num(RE_MODULES, r.out, 2) > 0;
#endif
    /* Exactly libFuzzer's five stat:: lines, each a number. */
    CU_ASSERT_EQUAL_FATAL(regcomp(&rx, RE_STAT, REG_EXTENDED | REG_NEWLINE), 0);
    for (p = r.out; regexec(&rx, p, 3, m, 0) == 0; p += m[0].rm_eo) {
        int k;
        nstats++;
        for (k = m[2].rm_so; k < m[2].rm_eo; k++)
            digits = digits && p[k] >= '0' && p[k] <= '9';
    }
    regfree(&rx);
    ok = ok && nstats == 5 && digits;
    CU_ASSERT(ok);
    show(ok, &r);
}

/* Files in dir (not "." and ".."). */
static int count_files(const char *dir)
{
    apr_array_header_t *all = pfz_test_artifacts(dir, "");
    int i, n = 0;

    for (i = 0; i < all->nelts; i++) {
        const char *name = strrchr(APR_ARRAY_IDX(all, i, const char *), '/') + 1;
        n += name[0] != '.';
    }
    return n;
}

/* A target that returns -1 ("do not add this input to the corpus") gets
 * nothing into the corpus; the same target returning 0 does. */
static void test_minus_one_not_added(void)
{
    const char *dir = pfz_test_scratch("surface-reject");
    const char *out = make_dir(dir, "out"), *out2 = make_dir(dir, "out2");
    const char *env[] = {"PFZ_TEST_REJECT=1", NULL};
    const char *args[] = {"-workers=1", "-runs=5000", "-seed=1", "-print_final_stats=1", out, NULL};
    const char *env2[] = {"PFZ_TEST_REJECT=0", NULL};
    const char *args2[] = {"-workers=1", "-runs=5000", "-seed=1", out2, NULL};
    pfz_test_run_t r = pfz_test_run(pfz_test_target("tests/targets/surface"), args, env, dir);
    pfz_test_run_t r2 = pfz_test_run(pfz_test_target("tests/targets/surface"), args2, env2, dir);
    int n = count_files(out), n2 = count_files(out2);

    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(match_num("^stat::new_units_added: +([0-9]+)$", r.out, 1), 0);
    CU_ASSERT(n2 > 0); /* the control: the same inputs are kept when they return 0 */
    show(r.code == 0 && n == 0, &r);
    show(n2 > 0, &r2);
}

/* ------------------------------------------------------ with ASan */

static int have_asan(void)
{
    if (getenv("PFZ_HAVE_ASAN") != NULL)
        return 1;
    fprintf(stderr, "(skipped: built without AddressSanitizer) ");
    return 0;
}

/* One malloc over -malloc_limit_mb: libFuzzer's malloc report, exit 71, in
 * reproduction and in a campaign. */
static void test_malloc_limit(void)
{
    const char *dir, *in, *corpus;
    pfz_test_run_t r;
    int ok;

    if (!have_asan())
        return;
    dir = pfz_test_scratch("surface-malloc");
    in = write_input(dir, "big", "!B");
    {
        const char *args[] = {"-runs=100", "-rss_limit_mb=2560", "-malloc_limit_mb=1024", in, NULL};
        r = pfz_test_run(pfz_test_target("tests/targets/surface_asan"), args, NULL, dir);
    }
    ok = r.code == 71 && match("out-of-memory \\(malloc\\(3221225472\\)\\)", r.out, 0, NULL, 0) &&
         match(RE_OOM, r.out, 0, NULL, 0) && real_pid(r.out) &&
         match("^SUMMARY: libFuzzer: out-of-memory$", r.out, 0, NULL, 0);
    CU_ASSERT(ok);
    show(ok, &r);
    corpus = make_dir(dir, "corpus");
    write_input(corpus, "big", "!B");
    {
        const char *args[] = {"-workers=1",
                              "-minimize_crash=0",
                              "-malloc_limit_mb=1024",
                              apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL),
                              corpus,
                              NULL};
        r = pfz_test_run(pfz_test_target("tests/targets/surface_asan"), args, NULL, dir);
    }
    ok = r.code == 71 && match(RE_OOM, r.out, 0, NULL, 0) &&
         match(RE_TESTCASE, r.out, 0, NULL, 0) &&
         match("Test unit written to .*/oom-", r.out, 0, NULL, 0);
    CU_ASSERT(ok);
    show(ok, &r);
}

/* A leak: LeakSanitizer's report (what ClusterFuzz reads), a leak- artifact
 * in a campaign, exit 77 in both modes. */
static void test_leak(void)
{
    const char *dir, *in;
    pfz_test_run_t r;
    int ok;

    if (!have_asan())
        return;
    dir = pfz_test_scratch("surface-leak");
    in = write_input(dir, "leak", "LK");
    {
        const char *args[] = {"-runs=100", in, NULL};
        r = pfz_test_run(pfz_test_target("tests/targets/leak"), args, NULL, dir);
    }
    ok = r.code == 77 && match("ERROR: LeakSanitizer", r.out, 0, NULL, 0);
    CU_ASSERT(ok);
    show(ok, &r);
}

/* ------------------------------------------------------ crash state */

/* ClusterFuzz's crash state: the first three frames after the report line
 * that its ignore rules keep. These rules are equivalent in effect, for
 * these stacks, to the ones it applies (function-name prefixes of the C
 * library, the sanitizers and libFuzzer's entry, library paths, unknown
 * modules); LLVMFuzzerTestOneInput with a source file becomes the file's
 * name, as there. */
static int ignored(const char *frame)
{
    static const char *const rules[] = {"^abort",
                                        "^raise$",
                                        "^gsignal",
                                        "^__pthread_kill",
                                        "^pthread_kill$",
                                        "^__libc_",
                                        "^_start",
                                        "^main",
                                        "^__sanitizer_",
                                        "^fuzzer::",
                                        "^LLVMFuzzerTestOneInput",
                                        ".*libc\\.so",
                                        ".*libpthread",
                                        ".*<unknown module>",
                                        ".*/glibc-",
                                        NULL};
    int i, hit = 0;

    for (i = 0; rules[i] != NULL && !hit; i++) {
        regex_t rx;
        CU_ASSERT_EQUAL_FATAL(regcomp(&rx, rules[i], REG_EXTENDED | REG_NOSUB), 0);
        hit = regexec(&rx, frame, 0, NULL, 0) == 0;
        regfree(&rx);
    }
    return hit;
}

/* Fills state with up to 3 frames (function names) of the stack after the
 * first line matching `start`; returns how many. */
static int crash_state(const char *out, const char *start, char state[3][128])
{
    regex_t rx, fr;
    regmatch_t m[4];
    const char *p;
    int n = 0;

    CU_ASSERT_EQUAL_FATAL(regcomp(&rx, start, REG_EXTENDED | REG_NEWLINE), 0);
    CU_ASSERT_EQUAL_FATAL(regcomp(&fr,
                                  "^[[:space:]]*#[0-9]+[[:space:]]+0x[0-9a-fA-F]+[[:space:]]+(.*)$",
                                  REG_EXTENDED | REG_NEWLINE),
                          0);
    if (regexec(&rx, out, 1, m, 0) != 0) {
        regfree(&rx);
        regfree(&fr);
        return -1;
    }
    for (p = out + m[0].rm_eo; n < 3 && regexec(&fr, p, 2, m, 0) == 0; p += m[0].rm_eo) {
        char frame[512], *sp;
        size_t len = (size_t)(m[1].rm_eo - m[1].rm_so);
        len = len < sizeof frame - 1 ? len : sizeof frame - 1;
        memcpy(frame, p + m[1].rm_so, len);
        frame[len] = '\0';
        sp = strncmp(frame, "in ", 3) == 0 ? frame + 3 : frame;
        if (*sp == '(' && sp[strlen(sp) - 1] == ')') { /* a module only */
            sp[strlen(sp) - 1] = '\0';
            sp++;
        }
        if (strncmp(sp, "LLVMFuzzerTestOneInput ", 23) == 0 && strchr(sp + 23, '/') != NULL &&
            strchr(sp + 23, ':') != NULL && sp[23] != '(') {
            /* "LLVMFuzzerTestOneInput /src/x.c:12:3" becomes "x.c" */
            char *file = strrchr(sp + 23, '/') + 1;
            *strchr(file, ':') = '\0';
            sp = file;
        }
        if (ignored(sp))
            continue;
        sp[strcspn(sp, " ([")] = '\0'; /* the function's name */
        apr_cpystrn(state[n++], sp, 128);
    }
    regfree(&rx);
    regfree(&fr);
    return n;
}

/* The frames of the engine (its loop, the call of the target, main) must
 * not reach the crash state: for an abort() in a function the target calls,
 * the state is that function (and the target's file), as with libFuzzer. */
static void check_state(const pfz_test_run_t *r, const char *where)
{
    char state[3][128];
    int n = crash_state(r->out, RE_DEADLY, state), ok, i;
    const char *site = strstr(r->out, "in abort_site_one "), *end;

    /* The frames kept are libc's that no rule drops (raise with glibc's
     * debug information), the site (which the "^abort" rule happens to drop
     * too) and the target's entry (named, or a module offset when its code
     * sits in an unexported .cold part); never the engine's. */
    static const char *const engine[] = {"pfz_",      "run_value",  "fuzz_loop", "serve_one",
                                         "run_once",  "take_inbox", "minimize",  "main",
                                         "reproduce", NULL};
    int k;

    ok = n >= 1 && site != NULL;
    for (i = 0; i < n; i++) {
        /* A module-only frame is judged by its file name, not its directory
         * (a checkout under /work/main/ is not the engine's main). */
        const char *name = strrchr(state[i], '/') != NULL ? strrchr(state[i], '/') + 1 : state[i];
        for (k = 0; engine[k] != NULL; k++)
            ok = ok && strstr(name, engine[k]) == NULL;
    }
    if (site != NULL) {
        int after = 0;
        end = strstr(site, "SUMMARY: libFuzzer: deadly signal");
        for (; end != NULL && (site = strstr(site + 1, "\n    #")) != NULL && site < end;)
            after++;
        ok = ok && end != NULL && after <= 1;
    }
    ok = ok && strstr(r->out, "pfz__") == NULL && strstr(r->out, " in main ") == NULL;
    if (!ok) {
        fprintf(stderr, "\n%s: crash state (%d frames):", where, n);
        for (i = 0; i < n; i++)
            fprintf(stderr, " [%s]", state[i]);
    }
    CU_ASSERT(ok);
    show(ok, r);
}

static void test_crash_state_reproduce(void)
{
    const char *dir = pfz_test_scratch("surface-state");
    const char *env[] = {"PFZ_TEST_SITES=abort", NULL};
    const char *in = write_input(dir, "one", "1");
    const char *args[] = {"-runs=100", in, NULL};
    pfz_test_run_t r = pfz_test_run(pfz_test_target("tests/targets/sites"), args, env, dir);

    CU_ASSERT_EQUAL(r.code, 77);
    check_state(&r, "reproduce");
}

static void test_crash_state_campaign(void)
{
    const char *dir = pfz_test_scratch("surface-state-fuzz");
    const char *corpus = make_dir(dir, "corpus");
    const char *env[] = {"PFZ_TEST_SITES=abort", NULL};
    const char *args[] = {"-workers=1", "-minimize_crash=0",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL), corpus,
                          NULL};
    pfz_test_run_t r;

    write_input(corpus, "one", "1");
    r = pfz_test_run(pfz_test_target("tests/targets/sites"), args, env, dir);
    CU_ASSERT_EQUAL(r.code, 77);
    check_state(&r, "campaign");
}
#else
/* The suite's checks use POSIX regex.h; on Windows it says so, so that its
 * CTest entry runs one test instead of none. */
static void test_surface_skipped_on_windows(void)
{
    fprintf(stderr, "(skipped: the libFuzzer-surface checks need POSIX regex.h) ");
    CU_PASS("skipped on Windows");
}
#endif /* !_WIN32 */

void pfz_test_register_surface(void)
{
    CU_pSuite s = pfz_test_suite("surface");
#ifdef _WIN32
    PFZ_TEST_ADD(s, test_surface_skipped_on_windows);
#else
    PFZ_TEST_ADD(s, test_reproduce_runs);
    PFZ_TEST_ADD(s, test_reproduce_timeout);
    PFZ_TEST_ADD(s, test_reproduce_rss_limit);
    PFZ_TEST_ADD(s, test_reproduce_exit);
    PFZ_TEST_ADD(s, test_reproduce_const_input);
    PFZ_TEST_ADD(s, test_minimize_non_crash_fails);
    PFZ_TEST_ADD(s, test_campaign_exit);
    PFZ_TEST_ADD(s, test_campaign_const_input);
    PFZ_TEST_ADD(s, test_campaign_timeout);
    PFZ_TEST_ADD(s, test_campaign_rss_limit);
    PFZ_TEST_ADD(s, test_campaign_crash);
    PFZ_TEST_ADD(s, test_status_and_stats_lines);
    PFZ_TEST_ADD(s, test_minus_one_not_added);
    PFZ_TEST_ADD(s, test_malloc_limit);
    PFZ_TEST_ADD(s, test_leak);
    PFZ_TEST_ADD(s, test_crash_state_reproduce);
    PFZ_TEST_ADD(s, test_crash_state_campaign);
#endif
}
