/* test-e2e.c -- end to end: real instrumented targets fuzzed by the real
 * engine (coordinator + 2 workers), checked through their artifacts, output
 * and exit status. Every run is bounded (-max_total_time / -runs) and has a
 * fixed -seed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_time.h>
#ifdef _WIN32
#include <apr_env.h>
#include <windows.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "tests.h"
#include "artifact.h"
#include "corpus.h"
#include "outcap.h"
#include "sha1.h"

#define pfz__list_files_for_test(files, dir) pfz__list_files((files), (dir), pfz_test_pool)

typedef struct run {
    int code;          /* exit status, or 128+signal / -1 */
    int signaled;
    char *out;         /* combined stdout+stderr */
    double seconds;
} run_t;

/* Makes a fresh scratch directory for one test. */
static const char *scratch(const char *name)
{
    const char *dir = apr_psprintf(pfz_test_pool, "%s/tests/e2e-scratch/%s-%" APR_TIME_T_FMT,
                                   PFZ_BUILDDIR, name, apr_time_now());
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    return dir;
}

#ifdef _WIN32
/* The runner swallows the Ctrl-C it sends its coordinator (a handler, not
 * SetConsoleCtrlHandler(NULL, TRUE), whose "ignore" flag children inherit). */
static BOOL WINAPI swallow_ctrl(DWORD event)
{
    return event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT;
}

/* Ctrl-C is a console event: the runner gets a console of its own, so the
 * event it generates reaches only the processes it starts afterwards (never
 * ctest, a shell or anything else on the console it was started from). Our
 * standard handles stay what they were. */
static void own_console(void)
{
    static int done;
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE), out = GetStdHandle(STD_OUTPUT_HANDLE),
           err = GetStdHandle(STD_ERROR_HANDLE);

    if (done)
        return;
    done = 1;
    FreeConsole();
    CU_ASSERT(AllocConsole());
    SetStdHandle(STD_INPUT_HANDLE, in);
    SetStdHandle(STD_OUTPUT_HANDLE, out);
    SetStdHandle(STD_ERROR_HANDLE, err);
    SetConsoleCtrlHandler(swallow_ctrl, TRUE);
}
#endif

/* Runs target with args (NULL-terminated) and extra env ("NAME=value", NULL-
 * terminated or NULL); output goes to dir/out.txt. With interrupt_after_s > 0,
 * sends SIGINT (POSIX) after that many seconds once `wait_for_file` exists. */
/* When set, called while the target runs (after it started), with its dir;
 * running_pid is the target's pid then. */
static void (*during_run)(const char *dir);
static long running_pid;
#ifndef _WIN32
/* The signal run_target sends with interrupt_after_s. */
static int interrupt_signal = 2; /* SIGINT */
#endif

static run_t run_target(const char *target, const char *const *args, const char *const *env,
                        const char *dir, double interrupt_after_s, const char *wait_for_prefix)
{
    apr_procattr_t *attr;
    apr_proc_t proc;
    apr_file_t *out;
    const char *outpath = apr_pstrcat(pfz_test_pool, dir, "/out.txt", NULL);
    const char *argv[32];
    const char *envp[64];
    apr_exit_why_e why;
    int i, n = 0, code = -1;
    apr_time_t t0 = apr_time_now();
    run_t r;
    uint8_t *data;
    size_t len;
    extern char **environ;

    memset(&r, 0, sizeof r);
    argv[n++] = target;
    for (i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    n = 0;
    envp[n++] = "PORTFUZZ_FEATURE_CACHE=0"; /* first: it wins over a later one (see main) */
    for (i = 0; environ[i] != NULL && n < 48; i++)
        envp[n++] = environ[i];
    for (i = 0; env != NULL && env[i] != NULL && n < 63; i++)
        envp[n++] = env[i];
    envp[n] = NULL;
    CU_ASSERT_EQUAL_FATAL(apr_file_open(&out, outpath, APR_FOPEN_WRITE | APR_FOPEN_CREATE |
                                        APR_FOPEN_TRUNCATE, APR_FPROT_OS_DEFAULT, pfz_test_pool),
                          APR_SUCCESS);
    apr_procattr_create(&attr, pfz_test_pool);
    apr_procattr_child_out_set(attr, out, NULL);
    apr_procattr_child_err_set(attr, out, NULL);
    apr_procattr_dir_set(attr, dir);
#ifndef _WIN32
    apr_procattr_cmdtype_set(attr, APR_PROGRAM); /* our envp (APR_PROGRAM_ENV would ignore it) */
    CU_ASSERT_EQUAL_FATAL(apr_proc_create(&proc, target, argv, envp, attr, pfz_test_pool), APR_SUCCESS);
#else
    /* Windows: an envp replaces the whole environment (and the copy above
     * is capped); the child inherits ours instead, with `env` set in it for
     * the moment of the spawn. */
    if (interrupt_after_s > 0)
        own_console();
    for (i = 0; env != NULL && env[i] != NULL; i++) {
        const char *eq = strchr(env[i], '=');
        apr_env_set(apr_pstrndup(pfz_test_pool, env[i], (apr_size_t)(eq - env[i])), eq + 1,
                    pfz_test_pool);
    }
    apr_procattr_cmdtype_set(attr, APR_PROGRAM_ENV);
    {
        /* A refusal that persists still fails the test, naming the error. */
        apr_status_t cst;

        for (i = 1; (cst = apr_proc_create(&proc, target, argv, NULL, attr, pfz_test_pool)) !=
                        APR_SUCCESS && pfz_test_spawn_refused(i, cst);
             i++)
            ;
        CU_ASSERT_EQUAL_FATAL(cst, APR_SUCCESS);
    }
    for (i = 0; env != NULL && env[i] != NULL; i++) {
        const char *eq = strchr(env[i], '=');
        apr_env_delete(apr_pstrndup(pfz_test_pool, env[i], (apr_size_t)(eq - env[i])),
                       pfz_test_pool);
    }
    (void)envp;
#endif
    apr_file_close(out);
    running_pid = (long)proc.pid;
    if (during_run != NULL)
        during_run(dir);
    if (interrupt_after_s > 0) {
        /* Wait until a file with the prefix exists (an artifact), then a bit. */
        apr_time_t deadline = apr_time_now() + apr_time_from_sec(120);
        while (wait_for_prefix != NULL && apr_time_now() < deadline) {
            apr_array_header_t *files = apr_array_make(pfz_test_pool, 8, sizeof(char *));
            apr_dir_t *d;
            apr_finfo_t fi;
            int found = 0;
            if (apr_dir_open(&d, dir, pfz_test_pool) == APR_SUCCESS) {
                while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS)
                    if (strncmp(fi.name, wait_for_prefix, strlen(wait_for_prefix)) == 0)
                        found = 1;
                apr_dir_close(d);
            }
            (void)files;
            if (found)
                break;
            apr_sleep(100000);
        }
        apr_sleep((apr_interval_time_t)(interrupt_after_s * 1e6));
#ifndef _WIN32
        apr_proc_kill(&proc, interrupt_signal);
#else
        CU_ASSERT(GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0)); /* Ctrl-C on our console */
#endif
    }
    apr_proc_wait(&proc, &code, &why, APR_WAIT);
    r.seconds = (double)(apr_time_now() - t0) / 1e6;
    r.signaled = APR_PROC_CHECK_SIGNALED(why);
    r.code = r.signaled ? 128 + code : code;
    if (pfz__read_file(outpath, &data, &len, 8u << 20, pfz_test_pool) == APR_SUCCESS) {
        r.out = apr_pstrmemdup(pfz_test_pool, (const char *)data, len);
        free(data);
    } else {
        r.out = "";
    }
    return r;
}

/* Lists dir's files whose names start with prefix (excluding .log files). */
static apr_array_header_t *artifacts(const char *dir, const char *prefix)
{
    apr_array_header_t *a = apr_array_make(pfz_test_pool, 8, sizeof(const char *));
    apr_dir_t *d;
    apr_finfo_t fi;

    if (apr_dir_open(&d, dir, pfz_test_pool) != APR_SUCCESS)
        return a;
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        size_t n = strlen(fi.name);
        if (strncmp(fi.name, prefix, strlen(prefix)) == 0 && !(n > 4 && strcmp(fi.name + n - 4, ".log") == 0))
            APR_ARRAY_PUSH(a, const char *) = apr_pstrcat(pfz_test_pool, dir, "/", fi.name, NULL);
    }
    apr_dir_close(d);
    return a;
}

static int same_file(const char *a, const char *b)
{
    uint8_t *da, *db;
    size_t la, lb;
    int same;

    if (pfz__read_file(a, &da, &la, 1u << 20, pfz_test_pool) != APR_SUCCESS)
        return 0;
    if (pfz__read_file(b, &db, &lb, 1u << 20, pfz_test_pool) != APR_SUCCESS) {
        free(da);
        return 0;
    }
    same = la == lb && memcmp(da, db, la) == 0;
    free(da);
    free(db);
    return same;
}

static void show_on_failure(int ok, const run_t *r)
{
    if (!ok)
        fprintf(stderr, "\n---- target output (exit %d, %.1fs) ----\n%s\n----\n", r->code, r->seconds, r->out);
}

/* A planted crash found with 2 workers; the artifact is byte-identical to the
 * input that crashed, is named by its SHA-1, and reproduces from the file. */
static void test_planted_crash_found_and_reproduced(void)
{
    const char *dir = scratch("planted");
    const char *rec = apr_pstrcat(pfz_test_pool, dir, "/recorded", NULL);
    const char *env[] = {apr_pstrcat(pfz_test_pool, "PFZ_TEST_RECORD=", rec, NULL), NULL};
    const char *args[] = {"-workers=2", "-seed=7", "-max_total_time=120", "-minimize_crash=0",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL), NULL};
    const char *target = pfz_test_target("tests/targets/crash_on_input");
    apr_array_header_t *found;
    run_t r = run_target(target, args, env, dir, 0, NULL);
    int ok;

    ok = r.code == 77;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Test unit written to"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "INITED"));
    found = artifacts(dir, "crash-");
    /* Both workers may crash at once; the two artifacts are then identical. */
    CU_ASSERT_FATAL(found->nelts >= 1);
    {
        const char *art = APR_ARRAY_IDX(found, 0, const char *);
        uint8_t *data;
        size_t len;
        char hex[41];
        CU_ASSERT(same_file(art, rec));
        CU_ASSERT_EQUAL_FATAL(pfz__read_file(art, &data, &len, 1u << 20, pfz_test_pool), APR_SUCCESS);
        CU_ASSERT(len == 5 && memcmp(data, "FUZZ!", 5) == 0);
        pfz__sha1_hex(data, len, hex);
        CU_ASSERT_PTR_NOT_NULL(strstr(art, hex));
        free(data);
        /* Reproduce: the file alone, in-process, crashes. */
        {
            const char *rargs[] = {art, NULL};
            run_t rr = run_target(target, rargs, NULL, dir, 0, NULL);
            CU_ASSERT(rr.code != 0);
#ifdef _WIN32
            /* -error_exitcode, as on POSIX (a worker ends with the exception
             * code instead, for its coordinator). POSIX: a sanitizer that
             * owns SIGSEGV may exit with its own status. */
            CU_ASSERT_EQUAL(rr.code, 77);
#endif
            CU_ASSERT_PTR_NOT_NULL(strstr(rr.out, "Running:"));
            show_on_failure(rr.code != 0, &rr);
        }
        /* A harmless file runs cleanly. */
        {
            const char *fine = apr_pstrcat(pfz_test_pool, dir, "/fine", NULL);
            const char *rargs[] = {fine, NULL};
            run_t rr;
            CU_ASSERT_EQUAL(pfz__write_atomic(fine, "FUZZ?", 5, pfz_test_pool), APR_SUCCESS);
            rr = run_target(target, rargs, NULL, dir, 0, NULL);
            CU_ASSERT_EQUAL(rr.code, 0);
        }
    }
}

/* -keep_going=1 survives crashes, a hang and a memory blow-up, saves one
 * artifact of each kind, and runs until -max_total_time. */
static void test_keep_going_every_kind(void)
{
    const char *dir = scratch("kinds");
    /* -timeout=4: on a loaded 2-core machine, growing to the memory limit can
     * itself take over two seconds (seen: every growth ran into -timeout=2,
     * and no OOM was found in the 40 s). */
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *args[] = {"-workers=2", "-seed=3", "-keep_going=1", "-timeout=4",
                          "-rss_limit_mb=300", "-max_total_time=40", "-print_final_stats=1",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL), corpus,
                          NULL};
    run_t r;
    apr_array_header_t *crashes, *timeouts, *ooms;
    int ok;

    /* The hang is a seed ("!HG"): what is tested is that the campaign goes
     * on through every kind, not how fast it finds them. Found by fuzzing,
     * its three bytes were missed within the 40 s twice in clean-clone runs
     * on a loaded machine (from nothing, and even from "!H"), while crash
     * restarts and memory blow-ups (seconds each) took the workers' time.
     * The crashes and the blow-up are still found by mutating it. */
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pfz__write_atomic(apr_pstrcat(pfz_test_pool, corpus, "/h", NULL), "!HG", 3,
                                            pfz_test_pool), APR_SUCCESS);
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0, NULL);
    crashes = artifacts(dir, "crash-");
    timeouts = artifacts(dir, "timeout-");
    ooms = artifacts(dir, "oom-");
    ok = crashes->nelts >= 2 && timeouts->nelts >= 1 && ooms->nelts >= 1 && r.seconds >= 39;

    CU_ASSERT(crashes->nelts >= 2); /* SIGSEGV and abort() are different crashes */
    /* De-duplication is by the stack the worker printed: the hang is one
     * timeout, but on a loaded machine the memory blow-up can also run past
     * -timeout before it passes the limit, which is a timeout of its own. */
#ifndef _WIN32
    CU_ASSERT(timeouts->nelts >= 1 && timeouts->nelts <= 3);
#else
    CU_ASSERT(timeouts->nelts >= 1);
#endif
    CU_ASSERT(ooms->nelts >= 1 && ooms->nelts <= 2);
    CU_ASSERT(r.seconds >= 39);     /* kept fuzzing until the end */
    CU_ASSERT(r.code == 77 || r.code == 70 || r.code == 71); /* the first finding's status */
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "stat::number_of_executed_units"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Done "));
    show_on_failure(ok, &r);
    {
        int i, hangs = 0;
        for (i = 0; i < timeouts->nelts; i++) {
            uint8_t *d;
            size_t n;
            CU_ASSERT_EQUAL_FATAL(pfz__read_file(APR_ARRAY_IDX(timeouts, i, const char *), &d, &n,
                                                 1 << 20, pfz_test_pool), APR_SUCCESS);
#ifndef _WIN32
            CU_ASSERT(n >= 2 && d[0] == '!' && (d[1] == 'H' || d[1] == 'M'));
#endif
            hangs += n >= 2 && d[1] == 'H';
            free(d);
        }
#ifndef _WIN32
        CU_ASSERT(hangs == 1);
#else
        /* Under Wine a crashed worker can take longer than -timeout to end
         * (the exception filter's symbol loading is slow there) and is then
         * killed as a timeout, with its crash stack as its signature: those
         * are extra timeout artifacts. The hang itself is saved once. */
        CU_ASSERT(hangs <= 1);
#endif
        for (i = 0; i < ooms->nelts; i++) {
            uint8_t *d;
            size_t n;
            CU_ASSERT_EQUAL_FATAL(pfz__read_file(APR_ARRAY_IDX(ooms, i, const char *), &d, &n,
                                                 1 << 20, pfz_test_pool), APR_SUCCESS);
            CU_ASSERT(n >= 2 && d[0] == '!' && d[1] == 'M');
            free(d);
        }
    }
}

/* A corpus directory holding the one-byte seeds "1" and "2" (tests/targets/sites.c
 * picks its first or second site from them). */
static const char *sites_corpus(const char *dir)
{
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool),
                          APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__write_atomic(apr_pstrcat(pfz_test_pool, corpus, "/one", NULL), "1", 1,
                                      pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__write_atomic(apr_pstrcat(pfz_test_pool, corpus, "/two", NULL), "2", 1,
                                      pfz_test_pool), APR_SUCCESS);
    return corpus;
}

/* The first byte of an artifact (which site it hit), or -1. */
static int first_byte(const char *path)
{
    uint8_t *d;
    size_t n;
    int b = -1;

    if (pfz__read_file(path, &d, &n, 1 << 20, pfz_test_pool) == APR_SUCCESS) {
        b = n > 0 ? d[0] : -1;
        free(d);
    }
    return b;
}

/* The saved output next to an artifact ("<artifact>.log"), or "". */
static const char *artifact_log(const char *path)
{
    uint8_t *d;
    size_t n;
    const char *text = "";

    if (pfz__read_file(apr_pstrcat(pfz_test_pool, path, ".log", NULL), &d, &n, 8u << 20,
                       pfz_test_pool) == APR_SUCCESS) {
        text = apr_pstrmemdup(pfz_test_pool, (const char *)d, n);
        free(d);
    }
    return text;
}

/* Two abort() sites without a sanitizer: with -keep_going=1 they are two
 * crashes, each saved once with a stack naming its site (before the workers
 * printed stacks, the second was "a duplicate" of the first). */
/* ThreadSanitizer delivers a signal only at the thread's next intercepted
 * call, which a target spinning in a loop never makes: no requested stack. */
/* (PFZ_TEST_TSAN: tests.h) */

/* Under ThreadSanitizer the crash stacks print differently (its frames have
 * no " in ", and its stack printer called from a signal handler prints
 * nothing): the gcc and clang builds check them. */
#ifdef PFZ_TEST_TSAN
#define PFZ_TEST_SKIP_UNDER_TSAN()                                                         \
    do {                                                                                    \
        fprintf(stderr, "(skipped under ThreadSanitizer: its stacks print differently) "); \
        return;                                                                             \
    } while (0)
#else
#define PFZ_TEST_SKIP_UNDER_TSAN() ((void)0)
#endif

static void test_keep_going_two_abort_sites(void)
{
    const char *dir = scratch("abort-sites");
    const char *env[] = {"PFZ_TEST_SITES=abort", NULL};
    /* One worker: every execution crashes, so workers restart thousands of
     * times, and two client threads restarting at that rate meet the
     * coordinator's shared-pool race (issue 9), which is not this test's. */
    const char *args[] = {"-workers=1", "-seed=3", "-keep_going=1", "-max_total_time=5",
                          "-minimize_crash=0",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL),
                          sites_corpus(dir), NULL};
    run_t r = run_target(pfz_test_target("tests/targets/sites"), args, env, dir, 0, NULL);
    apr_array_header_t *crashes = artifacts(dir, "crash-");
    int ok = crashes->nelts == 2 && r.code == 77, i, seen[2] = {0, 0};
    PFZ_TEST_SKIP_UNDER_TSAN();

    CU_ASSERT_EQUAL(crashes->nelts, 2);
    CU_ASSERT_EQUAL(r.code, 77);
    for (i = 0; i < crashes->nelts; i++) {
        const char *art = APR_ARRAY_IDX(crashes, i, const char *);
        int b = first_byte(art);
        const char *log = artifact_log(art);

        CU_ASSERT(b == '1' || b == '2');
        if (b == '1' || b == '2')
            seen[b - '1']++;
#ifndef _WIN32
        CU_ASSERT_PTR_NOT_NULL(strstr(log, "ERROR: libFuzzer: deadly signal"));
        CU_ASSERT_PTR_NOT_NULL(strstr(log, b == '1' ? "in abort_site_one" : "in abort_site_two"));
        ok = ok && strstr(log, b == '1' ? "in abort_site_one" : "in abort_site_two") != NULL;
#else
        (void)log;
#endif
    }
    CU_ASSERT(seen[0] == 1 && seen[1] == 1);
    show_on_failure(ok && seen[0] == 1 && seen[1] == 1, &r);
}

/* Two hang sites: two timeouts with -timeout=1, each with the stack of the
 * hung thread (asked for by the coordinator before its kill) naming its
 * site (POSIX; the Win32 worker prints it without symbols, by module
 * offset, which still tells the two apart). */
static void test_keep_going_two_hang_sites(void)
{
#if defined(PFZ_TEST_TSAN)
    fprintf(stderr, "(skipped: ThreadSanitizer defers the stack request past a spinning target) ");
#else
    const char *dir = scratch("hang-sites");
    const char *env[] = {"PFZ_TEST_SITES=hang", NULL};
    const char *args[] = {"-workers=2", "-seed=3", "-keep_going=1", "-timeout=1",
                          "-max_total_time=10",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL),
                          sites_corpus(dir), NULL};
    run_t r = run_target(pfz_test_target("tests/targets/sites"), args, env, dir, 0, NULL);
    apr_array_header_t *timeouts = artifacts(dir, "timeout-");
    int ok = timeouts->nelts == 2 && r.code == 70, i, seen[2] = {0, 0};

    CU_ASSERT_EQUAL(timeouts->nelts, 2);
    CU_ASSERT_EQUAL(r.code, 70);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "INFO: stack of the fuzz target's thread (requested by "
                                         "the coordinator: timeout):"));
    for (i = 0; i < timeouts->nelts; i++) {
        const char *art = APR_ARRAY_IDX(timeouts, i, const char *);
        int b = first_byte(art);
        const char *log = artifact_log(art);

        CU_ASSERT(b == '1' || b == '2');
        if (b == '1' || b == '2')
            seen[b - '1']++;
        CU_ASSERT_PTR_NOT_NULL(strstr(log, "INFO: stack of the fuzz target's thread"));
#ifndef _WIN32
        {
            const char *want = b == '1' ? "in hang_site_one" : "in hang_site_two";
            CU_ASSERT_PTR_NOT_NULL(strstr(log, want));
            ok = ok && strstr(log, want) != NULL;
        }
#endif
    }
    CU_ASSERT(seen[0] == 1 && seen[1] == 1);
    show_on_failure(ok && seen[0] == 1 && seen[1] == 1, &r);
#endif
}

/* A SIGSEGV without a sanitizer: libFuzzer's "deadly signal" line and a
 * stack that names the target's function; still a crash (exit 77). */
static void test_segv_stack_names_function(void)
{
    const char *dir = scratch("segv-stack");
    const char *env[] = {"PFZ_TEST_SITES=segv", NULL};
    const char *args[] = {"-workers=1", "-seed=3", "-max_total_time=60", "-minimize_crash=0",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL),
                          sites_corpus(dir), NULL};
    run_t r = run_target(pfz_test_target("tests/targets/sites"), args, env, dir, 0, NULL);
    int ok = r.code == 77 && artifacts(dir, "crash-")->nelts >= 1;
    PFZ_TEST_SKIP_UNDER_TSAN();

#ifndef _WIN32
    if (strstr(r.out, "Sanitizer:DEADLYSIGNAL") == NULL) {
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "ERROR: libFuzzer: deadly signal"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "signal 11 (SIGSEGV)")); /* still died of it */
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, " in segv_site ("));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, " in LLVMFuzzerTestOneInput ("));
    }
    /* else a sanitizer runtime linked in (clang's UBSan, with
     * -fsanitize=fuzzer-no-link) owns SIGSEGV and reports it: ours stays out */
    ok = ok && strstr(r.out, " in segv_site ") != NULL;
#endif
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
}

/* A crash is a crash however slowly its report is made: symbolization in
 * the crash report can run past -timeout (dbghelp under Wine; an external
 * symbolizer on POSIX). Windows: dbghelp's start-up made 3 s slow, -timeout=1;
 * the worker still ends with its exception code in time (symbols have a
 * budget). POSIX: the report made 1.5 s slow, -timeout=1: the stack request
 * at 1 s waits for the report (it used to interrupt it, print the report's
 * own stack and hold until the kill), and a worker that ends by itself
 * within the grace is a crash. Saved as crash-, never as timeout-. */
static void test_slow_crash_report_still_crash(void)
{
    const char *dir = scratch("slow-symbols");
#ifdef _WIN32
    const char *env[] = {"PFZ_TEST_SITES=segv", "PFZ_TEST_SYMBOL_DELAY_MS=3000", NULL};
#else
    const char *env[] = {"PFZ_TEST_SITES=segv", "PFZ_TEST_SYMBOL_DELAY_MS=1500", NULL};
#endif
    const char *args[] = {"-workers=1", "-seed=3", "-timeout=1", "-max_total_time=60",
                          "-minimize_crash=0",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL),
                          sites_corpus(dir), NULL};
    run_t r;
    int ok;

    PFZ_TEST_SKIP_UNDER_TSAN();
    r = run_target(pfz_test_target("tests/targets/sites"), args, env, dir, 0, NULL);
    ok = r.code == 77 && artifacts(dir, "crash-")->nelts == 1 &&
         artifacts(dir, "timeout-")->nelts == 0;
    CU_ASSERT_EQUAL(r.code, 77);
    CU_ASSERT_EQUAL(artifacts(dir, "timeout-")->nelts, 0);
    CU_ASSERT_EQUAL(artifacts(dir, "crash-")->nelts, 1);
    show_on_failure(ok, &r);
}

/* A sanitizer that owns the deadly signals keeps them: ASan's report is
 * printed as it is, without our deadly-signal line. */
static void test_asan_report_unchanged(void)
{
    const char *dir = scratch("asan-report");
    const char *args[] = {"-workers=2", "-seed=1", "-max_total_time=90", "-minimize_crash=0",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL), NULL};
    run_t r;
    int ok;

    if (getenv("PFZ_HAVE_ASAN") == NULL) {
        fprintf(stderr, "(skipped: built without AddressSanitizer) ");
        return;
    }
    r = run_target(pfz_test_target("tests/targets/heap_overflow"), args, NULL, dir, 0, NULL);
    ok = r.code == 77 && strstr(r.out, "ERROR: AddressSanitizer: heap-buffer-overflow") != NULL &&
         strstr(r.out, "deadly signal") == NULL;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
}

/* SIGINT ends a run with exit status 72, and the artifacts found are kept. */
static void test_interrupt_keeps_findings(void)
{
    const char *dir = scratch("sigint");
    const char *args[] = {"-workers=2", "-seed=5", "-keep_going=1", "-max_total_time=300",
                          "-timeout=5",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL), NULL};
    run_t r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 1.0, "crash-");
    int ok = r.code == 72;

    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    CU_ASSERT(artifacts(dir, "crash-")->nelts >= 1);
    CU_ASSERT(r.seconds < 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "interrupted"));
}

/* Bad flags and values: a clear error naming the argument, exit status 1. */
static void test_bad_command_lines(void)
{
    const char *dir = scratch("usage");
    const char *target = pfz_test_target("tests/targets/crash_on_input");
    static const char *const bad[][2] = {
        {"-runs=many", "-runs"}, {"-workers=-3", "-workers"}, {"-max_len=99999999999", "-max_len"},
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = {bad[i][0], NULL};
        run_t r = run_target(target, args, NULL, dir, 0, NULL);
        CU_ASSERT_EQUAL(r.code, 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, bad[i][1]));
        show_on_failure(r.code == 1, &r);
    }
    {
        const char *args[] = {"-dict=/nonexistent/portfuzz.dict", NULL};
        run_t r = run_target(target, args, NULL, dir, 0, NULL);
        CU_ASSERT_EQUAL(r.code, 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "/nonexistent/portfuzz.dict"));
    }
    {
        const char *args[] = {"-help=1", NULL};
        run_t r = run_target(target, args, NULL, dir, 0, NULL);
        CU_ASSERT_EQUAL(r.code, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "-max_total_time"));
    }
}

/* -runs bounds a run; the corpus directory receives SHA-1-named inputs. */
static void test_runs_and_corpus(void)
{
    const char *dir = scratch("corpus");
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    /* -max_len=4 keeps the 5-byte crash out of reach: this run must end by -runs. */
    const char *args[] = {"-workers=2", "-seed=11", "-runs=20000", "-max_len=4", corpus, NULL};
    run_t r = run_target(pfz_test_target("tests/targets/crash_on_input"), args, NULL, dir, 0, NULL);
    apr_array_header_t *files = apr_array_make(pfz_test_pool, 8, sizeof(const char *));
    int i, named_ok = 1;

    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "DONE"));
    /* -runs is exact, however many workers share it. */
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Done 20000 runs"));
    pfz__list_files_for_test(files, corpus);
    CU_ASSERT(files->nelts >= 1);
    for (i = 0; i < files->nelts; i++) {
        const char *p = APR_ARRAY_IDX(files, i, const char *);
        uint8_t *d;
        size_t n;
        char hex[41];
        if (pfz__read_file(p, &d, &n, 1 << 20, pfz_test_pool) != APR_SUCCESS) {
            named_ok = 0;
            continue;
        }
        pfz__sha1_hex(d, n, hex);
        if (strstr(p, hex) == NULL)
            named_ok = 0;
        free(d);
    }
    CU_ASSERT(named_ok);
}

static void put(const char *dir, const char *name, const char *content)
{
    CU_ASSERT_EQUAL(pfz__write_atomic(apr_pstrcat(pfz_test_pool, dir, "/", name, NULL), content,
                                      strlen(content), pfz_test_pool), APR_SUCCESS);
}

/* The N of the last "corp: N/" on a DONE line, or -1. */
static int final_corp(const char *out)
{
    const char *done = strstr(out, "DONE"), *c;
    return done != NULL && (c = strstr(done, "corp: ")) != NULL ? atoi(c + 6) : -1;
}

/* REDUCE: a large seed is replaced by smaller inputs reaching what it owns;
 * replaced files this run wrote are removed (the seed file never is), every
 * file is named by its content, and -reduce_inputs=0 turns it off. */
static void test_reduce_inputs(void)
{
    const char *dir = scratch("reduce");
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    char big[301];
    const char *args[] = {"-workers=2", "-seed=5", "-runs=30000", "-max_len=300", corpus, NULL};
    const char *corpus0 = apr_pstrcat(pfz_test_pool, dir, "/corpus0", NULL);
    const char *args0[] = {"-workers=1", "-seed=5", "-runs=3000", "-max_len=300",
                           "-reduce_inputs=0", corpus0, NULL};
    apr_array_header_t *files = apr_array_make(pfz_test_pool, 8, sizeof(const char *));
    run_t r;
    int i, named = 0, seed_kept = 0, corp, ok;

    memset(big, 'x', 300);
    big[300] = '\0';
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    put(corpus, "seed", big);
    /* "FUZZ!" (crash_on_input's crash) may be found too: that ends the run
     * with 77, which is fine here. */
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), args, NULL, dir, 0, NULL);
    ok = (r.code == 0 || r.code == 77) && strstr(r.out, "REDUCE cov:") != NULL;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    corp = final_corp(r.out);
    pfz__list_files_for_test(files, corpus);
    for (i = 0; i < files->nelts; i++) {
        const char *p = APR_ARRAY_IDX(files, i, const char *);
        uint8_t *d;
        size_t n;
        char hex[41];
        if (pfz__read_file(p, &d, &n, 1 << 20, pfz_test_pool) != APR_SUCCESS)
            continue;
        pfz__sha1_hex(d, n, hex);
        if (strstr(p, hex) != NULL)
            named++;
        else if (strstr(p, "seed") != NULL && n == 300)
            seed_kept = 1;
        free(d);
    }
    CU_ASSERT(seed_kept);
    CU_ASSERT_EQUAL(named + seed_kept, files->nelts);
    /* One entry per file, plus at most the copy of the seed entry (a seed's
     * file is never deleted); without deletion there would be one per REDUCE. */
    if (r.code == 0) {
        CU_ASSERT(corp >= 1 && named <= corp + 1);
        if (!(corp >= 1 && named <= corp + 1))
            fprintf(stderr, "corp %d, files named by content %d\n", corp, named);
    }

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus0, APR_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    put(corpus0, "seed", big);
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), args0, NULL, dir, 0, NULL);
    CU_ASSERT(strstr(r.out, "REDUCE") == NULL && strstr(r.out, "DONE") != NULL);
    show_on_failure(strstr(r.out, "REDUCE") == NULL, &r);
}

/* -merge=1 keeps a covering set, leaves the crashing input out, and a second
 * merge (resumed from the control file) adds nothing. */
static void test_merge(void)
{
    const char *dir = scratch("merge");
    const char *in = apr_pstrcat(pfz_test_pool, dir, "/in", NULL);
    const char *out = apr_pstrcat(pfz_test_pool, dir, "/out", NULL);
    const char *ctl = apr_pstrcat(pfz_test_pool, "-merge_control_file=", dir, "/ctl", NULL);
    const char *args[] = {"-merge=1", ctl, out, in, NULL};
    apr_array_header_t *files = apr_array_make(pfz_test_pool, 8, sizeof(const char *));
    run_t r;

    apr_dir_make_recursive(in, APR_FPROT_OS_DEFAULT, pfz_test_pool);
    put(in, "a", "abc");
    put(in, "a2", "abd");    /* same coverage as "a": one of them is enough */
    put(in, "bang", "!");    /* reaches the '!' branch */
    put(in, "crash", "!C");  /* crashes: left out, the merge goes on */
    put(in, "bx", "!x");     /* the switch on data[1] */
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "MERGE-OUTER: 3 new files"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "crashes"));
    pfz__list_files_for_test(files, out);
    CU_ASSERT_EQUAL(files->nelts, 3);
    /* Again: the output already covers everything. */
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "MERGE-OUTER: 0 new files"));
    /* A merge with one directory is a usage error. */
    {
        const char *bad[] = {"-merge=1", out, NULL};
        r = run_target(pfz_test_target("tests/targets/kinds"), bad, NULL, dir, 0, NULL);
        CU_ASSERT_EQUAL(r.code, 1);
    }
}

/* -minimize_crash=1 -exact_artifact_path=P file: the smallest crashing input. */
static void test_minimize_file(void)
{
    const char *dir = scratch("minimize");
    const char *in = apr_pstrcat(pfz_test_pool, dir, "/long-crash", NULL);
    const char *outp = apr_pstrcat(pfz_test_pool, dir, "/min", NULL);
    const char *args[] = {"-minimize_crash=1",
                          apr_pstrcat(pfz_test_pool, "-exact_artifact_path=", outp, NULL), in, NULL};
    uint8_t *d;
    size_t n;
    run_t r;

    put(dir, "long-crash", "!Cpadding-that-is-not-needed-at-all");
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_EQUAL_FATAL(pfz__read_file(outp, &d, &n, 1 << 20, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT(n == 2 && memcmp(d, "!C", 2) == 0);
    free(d);
}

/* -dict: a good dictionary is used; a bad line is an error naming file and
 * line. -plot_data writes its time series under its header. */
static void test_dict_and_plot(void)
{
    const char *dir = scratch("dict");
    const char *good = apr_pstrcat(pfz_test_pool, dir, "/good.dict", NULL);
    const char *bad = apr_pstrcat(pfz_test_pool, dir, "/bad.dict", NULL);
    const char *plot = apr_pstrcat(pfz_test_pool, dir, "/plot.csv", NULL);
    const char *args[] = {"-workers=2", "-seed=2", "-runs=30000", "-max_len=4",
                          apr_pstrcat(pfz_test_pool, "-dict=", good, NULL),
                          apr_pstrcat(pfz_test_pool, "-plot_data=", plot, NULL), NULL};
    const char *bargs[] = {apr_pstrcat(pfz_test_pool, "-dict=", bad, NULL), NULL};
    uint8_t *d;
    size_t n;
    run_t r;

    put(dir, "good.dict", "# comment\nkw1=\"FUZ\"\n\"\\x21\"\n");
    put(dir, "bad.dict", "kw=\"ok\"\nthis is not a dictionary line\n");
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Dictionary: 2 entries"));
    CU_ASSERT_EQUAL_FATAL(pfz__read_file(plot, &d, &n, 1 << 20, pfz_test_pool), APR_SUCCESS);
    {
        /* A header naming the columns (portfuzz-plot reads them by name),
         * then lines of nine numbers. */
        static const char header[] =
            "# time_s,execs,edges,features,corpus,findings,execs_per_s,corpus_bytes,rss_mb\n";
        char *text = apr_pstrmemdup(pfz_test_pool, (const char *)d, n);
        char *line = strchr(text, '\n'), *p;
        int commas = 0, digits = 1;
        CU_ASSERT(strncmp(text, header, sizeof header - 1) == 0);
        for (p = line != NULL ? line + 1 : text; *p && *p != '\n'; p++) {
            commas += *p == ',';
            digits &= *p == ',' || *p == '.' || (*p >= '0' && *p <= '9');
        }
        CU_ASSERT(line != NULL && line[1] != '\0' && commas == 8 && digits);
    }
    free(d);
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), bargs, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "bad.dict:2"));
    show_on_failure(r.code == 1, &r);
}

static int count_files(const char *dir);

/* The value of "key: " at the start of a line of text, or -1 when absent. */
static double stat_of(const char *text, const char *key)
{
    size_t n = strlen(key);
    const char *p;

    for (p = text; p != NULL && *p; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL)
        if (strncmp(p, key, n) == 0 && p[n] == ':' && p[n + 1] == ' ')
            return strtod(p + n + 2, NULL);
    return -1;
}

/* PORTFUZZ_COORD_STATS: the coordinator's statistics file is written at the
 * end and agrees with what the run printed (executions, corpus, new units);
 * every find reaches at most the other workers, once; without the variable
 * no file is written; the corpus writer wrote every entry's file. */
static void test_coord_stats(void)
{
    const char *dir = scratch("cstats");
    const char *path = apr_pstrcat(pfz_test_pool, dir, "/cstats.txt", NULL);
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *env[] = {apr_pstrcat(pfz_test_pool, "PORTFUZZ_COORD_STATS=", path, NULL), NULL};
    const char *args[] = {"-workers=3", "-seed=5", "-runs=30000", "-max_len=4",
                          "-print_final_stats=1", corpus, NULL};
    const char *target = pfz_test_target("tests/targets/fanout");
    const char *nu, *line;
    double newi, handoffs, med, p99, mx, bands = 0;
    uint8_t *d;
    size_t n;
    unsigned fails0 = CU_get_number_of_failures();
    char *text;
    run_t r;

    r = run_target(target, args, env, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_EQUAL_FATAL(pfz__read_file(path, &d, &n, 1 << 20, pfz_test_pool), APR_SUCCESS);
    text = apr_pstrmemdup(pfz_test_pool, (const char *)d, n);
    free(d);
    CU_ASSERT_EQUAL(stat_of(text, "workers"), 3);
    CU_ASSERT_EQUAL(stat_of(text, "execs"), 30000);
    /* Several of fanout's 32 cases, all by fuzzing: the one corpus input
     * (the empty one) ran in a RUN call. */
    newi = stat_of(text, "new_inputs");
    CU_ASSERT(newi >= 8);
    CU_ASSERT_EQUAL(stat_of(text, "run_calls"), 1);
    CU_ASSERT_EQUAL(stat_of(text, "corpus_entries"), newi + 1);
    CU_ASSERT_EQUAL(stat_of(text, "corpus_entries"), final_corp(r.out));
    nu = strstr(r.out, "stat::new_units_added:");
    CU_ASSERT_FATAL(nu != NULL);
    CU_ASSERT_EQUAL(atof(nu + strlen("stat::new_units_added:")), newi);
    CU_ASSERT(stat_of(text, "fuzz_calls") >= newi);
    /* Each find goes to the two other workers at most once. */
    handoffs = stat_of(text, "handoffs");
    CU_ASSERT(handoffs >= 1 && handoffs <= 2 * newi);
    CU_ASSERT(stat_of(text, "all_others") >= 0 && stat_of(text, "all_others") <= newi);
    med = stat_of(text, "handoff_us_median");
    p99 = stat_of(text, "handoff_us_p99");
    mx = stat_of(text, "handoff_us_max");
    CU_ASSERT(med >= 0 && med <= p99 && p99 <= mx && mx < 30e6);
    CU_ASSERT(stat_of(text, "mu_post_new_us") <= stat_of(text, "mu_post_us"));
    /* The writer thread wrote every entry's file (a REDUCE's old one is
     * removed), all of them before the run ended. */
    CU_ASSERT_EQUAL(stat_of(text, "corpus_writes_failed"), 0);
    CU_ASSERT(stat_of(text, "corpus_files_written") + stat_of(text, "corpus_writes_inline") >=
              stat_of(text, "corpus_entries"));
    CU_ASSERT(stat_of(text, "corpus_write_queue_max") >= 1);
    CU_ASSERT_EQUAL(count_files(corpus), stat_of(text, "corpus_entries"));
    /* The bands split the FUZZ calls' ends between them. */
    for (line = strstr(text, "\nband: "); line != NULL; line = strstr(line + 1, "\nband: ")) {
        double lo, hi, nc, nus, pc;
        CU_ASSERT(sscanf(line, "\nband: %lf %lf %lf %lf %lf", &lo, &hi, &nc, &nus, &pc) == 5);
        bands += nc + pc;
    }
    CU_ASSERT_EQUAL(bands, stat_of(text, "fuzz_calls"));
    if (CU_get_number_of_failures() != fails0) /* which of them: the whole file */
        fprintf(stderr, "\n---- %s ----\n%s----\n%s", path, text, r.out);
    fails0 = CU_get_number_of_failures();

    /* A restart whose first entries come from the feature cache: those are
     * there before the first call and are no one's find; fuzzing then adds
     * more (the short first run found only some of the 32). */
    {
        const char *fc = apr_pstrcat(pfz_test_pool, "-feature_cache=", dir, "/fc", NULL);
        const char *c2 = apr_pstrcat(pfz_test_pool, dir, "/corpus2", NULL);
        const char *cargs[] = {"-workers=3", "-seed=6", "-runs=40", "-max_len=4", fc, c2, NULL};
        r = run_target(target, cargs, NULL, dir, 0, NULL);
        CU_ASSERT_EQUAL(r.code, 0);
        cargs[2] = "-runs=30000";
        r = run_target(target, cargs, NULL, dir, 0, NULL); /* records the cache */
        CU_ASSERT_EQUAL(r.code, 0);
        cargs[2] = "-runs=30000";
        r = run_target(target, cargs, env, dir, 0, NULL);
        CU_ASSERT_EQUAL(r.code, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "features come from the cache"));
        CU_ASSERT_EQUAL_FATAL(pfz__read_file(path, &d, &n, 1 << 20, pfz_test_pool), APR_SUCCESS);
        text = apr_pstrmemdup(pfz_test_pool, (const char *)d, n);
        free(d);
        CU_ASSERT(stat_of(text, "handoffs") <= 2 * stat_of(text, "new_inputs"));
        CU_ASSERT(stat_of(text, "handoff_us_max") < 30e6);
        if (CU_get_number_of_failures() != fails0)
            fprintf(stderr, "\n---- %s ----\n%s----\n%s", path, text, r.out);
    }

    /* Off by default. */
    CU_ASSERT_EQUAL(apr_file_remove(path, pfz_test_pool), APR_SUCCESS);
    args[2] = "-runs=2000";
    r = run_target(target, args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_NOT_EQUAL(pfz__read_file(path, &d, &n, 1 << 20, pfz_test_pool), APR_SUCCESS);
}

static void drop_into_corpus(const char *dir)
{
    apr_sleep(apr_time_from_sec(3));
    /* Another instance's find: the bytes up to the crash but one. */
    put(apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL), "from-another-instance", "FUZZ");
}

/* -reload: files another instance writes into the corpus directory are
 * picked up while fuzzing; the run's own new files are not read back. */
static void test_reload(void)
{
    const char *dir = scratch("reload");
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *path = apr_pstrcat(pfz_test_pool, dir, "/cstats.txt", NULL);
    const char *env[] = {apr_pstrcat(pfz_test_pool, "PORTFUZZ_COORD_STATS=", path, NULL), NULL};
    const char *args[] = {"-workers=2", "-seed=4", "-max_total_time=8", "-reload=1", "-max_len=4",
                          "-use_cmp=0", corpus, NULL};
    uint8_t *d = NULL;
    size_t n = 0;
    double own = -1;
    run_t r;

    apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool);
    during_run = drop_into_corpus;
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), args, env, dir, 0, NULL);
    during_run = NULL;
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "-reload: 1 new file(s)"));
    show_on_failure(r.code == 0 && strstr(r.out, "-reload: 1 new file(s)") != NULL, &r);
    /* The reload that found the other instance's file listed the run's own
     * file too (the empty input's entry): it was skipped by name, not read. */
    if (pfz__read_file(path, &d, &n, 1 << 20, pfz_test_pool) == APR_SUCCESS) {
        own = stat_of(apr_pstrmemdup(pfz_test_pool, (const char *)d, n), "reload_own_skipped");
        free(d);
    }
    CU_ASSERT(own >= 1);
    if (own < 1)
        fprintf(stderr, "\n(reload_own_skipped: %g)\n%s", own, r.out);
}

/* "cov: N ft: M" of the run's INITED line, or "" */
static const char *inited_cov(const char *out)
{
    const char *p = strstr(out, "INITED cov: "), *e;

    if (p == NULL)
        return "";
    p += 7;
    e = strstr(p, " corp:");
    return e != NULL ? apr_pstrmemdup(pfz_test_pool, p, (apr_size_t)(e - p)) : "";
}

/* 1 when the run took all its corpus inputs from the feature cache */
static int all_cached(const char *out)
{
    const char *p = strstr(out, "INFO: portfuzz: ");
    int hits, total;

    for (; p != NULL; p = strstr(p + 1, "INFO: portfuzz: "))
        if (sscanf(p, "INFO: portfuzz: %d of %d corpus inputs ran before", &hits, &total) == 2)
            return hits == total && hits > 0;
    return 0;
}

/* The feature cache: a campaign restarted on the same corpus with the same
 * binary takes the features of inputs that ran before from the cache (same
 * coverage at INITED, no run); -runs=0 runs them all; a crashing input is
 * never cached, so it is found again; a damaged cache loses only its
 * damaged tail; another -use_value_profile is another cache. */
/* A corpus entry runs once, in the worker that ran or found it: the other
 * workers take the features it measured (they used to run every entry again,
 * N-1 executions per new input, and a restarted worker the whole corpus). */
static void test_entries_not_rerun(void)
{
    const char *dir = scratch("norerun");
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *count = apr_pstrcat(pfz_test_pool, dir, "/count", NULL);
    const char *env[] = {apr_pstrcat(pfz_test_pool, "PFZ_TEST_COUNT=", count, NULL), NULL};
    const char *args[] = {"-workers=2", "-runs=20", "-seed=1", "-only_ascii=1", corpus, NULL};
    const char *target = pfz_test_target("tests/targets/crash_on_input");
    apr_finfo_t fi;
    run_t r;
    int ok;

    memset(&fi, 0, sizeof fi);
    apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool);
    put(corpus, "s", "SEEDSEE\xff");
    r = run_target(target, args, env, dir, 0, NULL);
    /* One run as a seed; both workers fuzzed (they took the entry), and
     * under -only_ascii=1 no mutation gives the input back (its last byte is
     * not ASCII). Before, it ran at least 3 times: once in each worker. */
    ok = r.code == 0 && strstr(r.out, "INITED") != NULL && strstr(r.out, "Done 20 runs") != NULL &&
         apr_stat(&fi, count, APR_FINFO_SIZE, pfz_test_pool) == APR_SUCCESS && fi.size == 1;
    CU_ASSERT(ok);
    if (!ok)
        fprintf(stderr, "\nthe seed ran %ld times\n", (long)fi.size);
    show_on_failure(ok, &r);
}

/* The corpus runs in batches (one RUN call for many inputs): a seed that
 * crashes in the middle of one is the finding, and every other seed of the
 * batch still joins the corpus (they run again), as without the crash. */
static void test_seed_batch_crash(void)
{
    const char *dir = scratch("seedbatch");
    const char *a = apr_pstrcat(pfz_test_pool, dir, "/a", NULL);
    const char *b = apr_pstrcat(pfz_test_pool, dir, "/b", NULL);
    const char *fill = apr_pstrcat(pfz_test_pool, dir, "/fill", NULL);
    const char *ap = apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL);
    /* What fuzzing finds goes to a fresh first directory each time; the
     * directories' inputs run in their order: a (10), b (the crash), fill. */
    const char *args[] = {"-workers=1", "-runs=60", "-seed=1", "-keep_going=1", ap, "out", a, fill,
                          NULL, NULL};
    static const char *const seeds[] = {"Fxxxx", "FUxxx", "FUZxx", "FUZZx", "SEEDSEED", "F", NULL};
    const char *target = pfz_test_target("tests/targets/crash_on_input");
    const char *want;
    run_t r;
    int i, ok;

    apr_dir_make_recursive(a, APR_FPROT_OS_DEFAULT, pfz_test_pool);
    apr_dir_make_recursive(b, APR_FPROT_OS_DEFAULT, pfz_test_pool);
    apr_dir_make_recursive(fill, APR_FPROT_OS_DEFAULT, pfz_test_pool);
    for (i = 0; seeds[i] != NULL; i++)
        put(a, apr_psprintf(pfz_test_pool, "s%d", i), seeds[i]);
    /* A batch is a quarter of what is left per worker: of 47 inputs, the
     * first 11, which are a's and then the crash. */
    for (i = 0; i < 40; i++)
        put(i < 4 ? a : fill, apr_psprintf(pfz_test_pool, "f%d", i),
            apr_psprintf(pfz_test_pool, "fill%02d", i));
    put(b, "crash", "FUZZ!");
    args[5] = apr_pstrcat(pfz_test_pool, dir, "/out1", NULL);
    r = run_target(target, args, NULL, dir, 0, NULL);
    want = inited_cov(r.out);
    ok = r.code == 0 && *want != '\0' && artifacts(dir, "crash-")->nelts == 0;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    /* With the crash: the 10 inputs that ran before it in its batch run again. */
    args[5] = apr_pstrcat(pfz_test_pool, dir, "/out2", NULL);
    args[7] = b;
    args[8] = fill;
    r = run_target(target, args, NULL, dir, 0, NULL);
    ok = r.code == 77 && artifacts(dir, "crash-")->nelts == 1 && strcmp(inited_cov(r.out), want) == 0 &&
         strstr(r.out, "(on a seed input)") != NULL;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
}

static void test_feature_cache(void)
{
    const char *dir = scratch("fcache");
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *cache = apr_pstrcat(pfz_test_pool, dir, "/cache", NULL);
    const char *fc = apr_pstrcat(pfz_test_pool, "-feature_cache=", cache, NULL);
    const char *ap = apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL);
    const char *record[] = {"-workers=2", "-runs=0", fc, corpus, NULL};
    /* Fuzzing writes what it finds into the first directory: a fresh one
     * each time (out), so that the corpus stays what was cached. */
    const char *again[] = {"-workers=2", "-runs=200", "-seed=3", fc, ap, "out", corpus, NULL};
    const char *vp[] = {"-workers=2", "-runs=200", "-seed=3", "-use_value_profile=1", fc, ap,
                        "out", corpus, NULL};
    int outs = 0;
    const char *target = pfz_test_target("tests/targets/crash_on_input");
    const char *first_cov;
    apr_array_header_t *files;
    apr_file_t *f;
    apr_finfo_t fi;
    apr_off_t damaged;
    apr_size_t w = 7;
    run_t r;
    int ok;

    apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool);
    put(corpus, "a", "F");
    put(corpus, "b", "FU");
    put(corpus, "c", "FUZ");
    put(corpus, "d", "xyz");
    /* 1. every input runs (-runs=0) and is recorded */
    r = run_target(target, record, NULL, dir, 0, NULL);
    first_cov = inited_cov(r.out);
    ok = r.code == 0 && *first_cov != '\0' && strstr(r.out, "ran before") == NULL;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    files = apr_array_make(pfz_test_pool, 4, sizeof(const char *));
    CU_ASSERT_EQUAL_FATAL(pfz__list_files_for_test(files, cache), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(files->nelts, 1);
    /* 2. a restart takes them all from the cache, with the same coverage */
    again[5] = apr_psprintf(pfz_test_pool, "%s/out%d", dir, ++outs);
    r = run_target(target, again, NULL, dir, 0, NULL);
    ok = r.code == 0 && all_cached(r.out) && strcmp(inited_cov(r.out), first_cov) == 0;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    /* 3. -runs=0 runs every input even so */
    r = run_target(target, record, NULL, dir, 0, NULL);
    ok = r.code == 0 && strstr(r.out, "ran before") == NULL &&
         strcmp(inited_cov(r.out), first_cov) == 0;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    /* 4. a crashing input is never cached: found at every start */
    put(corpus, "e", "FUZZ!");
    again[5] = apr_psprintf(pfz_test_pool, "%s/out%d", dir, ++outs);
    r = run_target(target, again, NULL, dir, 0, NULL);
    ok = r.code == 77 && artifacts(dir, "crash-")->nelts == 1 && strstr(r.out, "ran before") &&
         !all_cached(r.out);
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    apr_file_remove(apr_pstrcat(pfz_test_pool, corpus, "/e", NULL), pfz_test_pool);
    /* 5. a damaged tail (a killed writer, a full disk) is dropped, once */
    CU_ASSERT_EQUAL_FATAL(apr_stat(&fi, APR_ARRAY_IDX(files, 0, const char *), APR_FINFO_SIZE,
                                   pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_file_open(&f, APR_ARRAY_IDX(files, 0, const char *),
                                        APR_FOPEN_WRITE | APR_FOPEN_APPEND | APR_FOPEN_BINARY, 0,
                                        pfz_test_pool), APR_SUCCESS);
    apr_file_write(f, "garbage", &w);
    apr_file_close(f);
    damaged = fi.size;
    again[5] = apr_psprintf(pfz_test_pool, "%s/out%d", dir, ++outs);
    r = run_target(target, again, NULL, dir, 0, NULL);
    ok = r.code == 0 && strstr(r.out, "is damaged after") != NULL && all_cached(r.out) &&
         strcmp(inited_cov(r.out), first_cov) == 0;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    CU_ASSERT_EQUAL(apr_stat(&fi, APR_ARRAY_IDX(files, 0, const char *), APR_FINFO_SIZE,
                             pfz_test_pool), APR_SUCCESS);
    CU_ASSERT(fi.size == damaged);
    again[5] = apr_psprintf(pfz_test_pool, "%s/out%d", dir, ++outs);
    r = run_target(target, again, NULL, dir, 0, NULL);
    ok = r.code == 0 && strstr(r.out, "is damaged") == NULL && all_cached(r.out);
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    /* 6. other options that change the features: another cache */
    vp[6] = apr_psprintf(pfz_test_pool, "%s/out%d", dir, ++outs);
    r = run_target(target, vp, NULL, dir, 0, NULL);
    ok = r.code == 0 && strstr(r.out, "ran before") == NULL;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
}

/* Coverage-guided discovery: each planted bug must be found within the cap. */
static void expect_found(const char *rel, int asan)
{
    const char *dir = scratch("find");
    const char *args[] = {"-workers=2", "-seed=1", "-max_total_time=90", "-minimize_crash=0",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL), NULL};
    run_t r;
    int ok;

    if (asan && getenv("PFZ_HAVE_ASAN") == NULL) {
        fprintf(stderr, "(skipped: built without AddressSanitizer) ");
        return;
    }
    r = run_target(pfz_test_target(rel), args, NULL, dir, 0, NULL);
    /* Both workers may hit the bug at once: each finding is kept. */
    ok = r.code == 77 && artifacts(dir, "crash-")->nelts >= 1;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    fprintf(stderr, "(%s: %.1fs) ", rel, r.seconds);
}

/* LeakSanitizer: a leaking input is saved as leak-<sha1>, exit status 77. */
static void test_finds_leak(void)
{
    const char *dir = scratch("leak");
    const char *args[] = {"-workers=2", "-seed=1", "-max_total_time=90",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL), NULL};
    apr_array_header_t *leaks;
    run_t r;
    int ok;

    if (getenv("PFZ_HAVE_ASAN") == NULL) {
        fprintf(stderr, "(skipped: built without AddressSanitizer) ");
        return;
    }
    r = run_target(pfz_test_target("tests/targets/leak"), args, NULL, dir, 0, NULL);
    leaks = artifacts(dir, "leak-");
    ok = r.code == 77 && leaks->nelts >= 1 && artifacts(dir, "crash-")->nelts == 0;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    if (leaks->nelts >= 1) {
        uint8_t *d;
        size_t n;
        CU_ASSERT_EQUAL(pfz__read_file(APR_ARRAY_IDX(leaks, 0, const char *), &d, &n, 1 << 20,
                                       pfz_test_pool), APR_SUCCESS);
        CU_ASSERT(n >= 2 && d[0] == 'L' && d[1] == 'K');
        free(d);
    }
}

static void test_finds_magic(void) { expect_found("tests/targets/magic", 0); }
static void test_finds_cmp64(void) { expect_found("tests/targets/cmp64", 0); }
static void test_finds_switch_chain(void) { expect_found("tests/targets/switch_chain", 0); }
static void test_finds_strcmp_secret(void) { expect_found("tests/targets/strcmp", 1); }
static void test_finds_heap_overflow(void) { expect_found("tests/targets/heap_overflow", 1); }
/* A CRC over the field it guards: needs the input-to-state retry. */
static void test_finds_crc_field(void) { expect_found("tests/targets/crc_field", 0); }
/* No sanitizer: memcmp/bcmp and strcmp operands come from portfuzz's own libc
 * interception (POSIX only; PE has no symbol interposition). */
static void test_finds_libc_compare(void)
{
#ifdef _WIN32
    fprintf(stderr, "(skipped: no libc interception on Windows) ");
#else
    expect_found("tests/targets/libc_compare", 0);
#endif
}


/* ------------------------------------------------------ hostile targets */

/* Runs tests/targets/hostile on a corpus holding the given inputs, with
 * extra flags; the artifact prefix is the scratch dir. */
static run_t hostile_run(const char *name, const char *const *inputs, const char *const *flags,
                         const char *const *env, const char **dir_out)
{
    const char *dir = scratch(name), *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *args[24];
    int i, n = 0;

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool),
                          APR_SUCCESS);
    for (i = 0; inputs[i] != NULL; i++)
        CU_ASSERT_EQUAL(pfz__write_atomic(apr_psprintf(pfz_test_pool, "%s/in%d", corpus, i),
                                          inputs[i], strlen(inputs[i]), pfz_test_pool),
                        APR_SUCCESS);
    args[n++] = "-seed=1";
    args[n++] = apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL);
    for (i = 0; flags[i] != NULL && n < 22; i++)
        args[n++] = flags[i];
    args[n++] = corpus;
    args[n] = NULL;
    *dir_out = dir;
    return run_target(pfz_test_target("tests/targets/hostile"), args, env, dir, 0, NULL);
}

/* A slow LLVMFuzzerInitialize with two workers and a time limit shorter
 * than it: the run still ends at the limit. */
static void test_hostile_slow_init_time_limit(void)
{
    static const char *const in[] = {"hello", NULL};
    static const char *const flags[] = {"-workers=2", "-max_total_time=2", NULL};
    static const char *const env[] = {"PFZ_HOSTILE_INIT_SLEEP=60", NULL};
    const char *dir;
    run_t r = hostile_run("slow-init", in, flags, env, &dir);
    int ok = r.seconds < 15 && !r.signaled;

    CU_ASSERT(ok);
    show_on_failure(ok, &r);
}

#ifndef _WIN32
#include <signal.h>

/* The run found exactly what `input` does, said `says`, and ended quickly. */
static void expect_engine_finding(const run_t *r, const char *dir, const char *input, const char *says)
{
    apr_array_header_t *found = artifacts(dir, "crash-");
    int ok = r->code == 77 && r->seconds < 30 && strstr(r->out, says) != NULL && found->nelts >= 1;

    CU_ASSERT(ok);
    show_on_failure(ok, r);
    if (found->nelts >= 1) {
        uint8_t *data;
        size_t len;
        CU_ASSERT_EQUAL_FATAL(pfz__read_file(APR_ARRAY_IDX(found, 0, const char *), &data, &len,
                                             1u << 20, pfz_test_pool), APR_SUCCESS);
        CU_ASSERT(len == strlen(input) && memcmp(data, input, len) == 0);
        free(data);
    }
}

/* Reads the pids the target's children noted. */
static int noted_pids(const char *path, long *pids, int max)
{
    uint8_t *data;
    size_t len;
    int n = 0;
    char *text, *line, *save = NULL;

    if (pfz__read_file(path, &data, &len, 1u << 16, pfz_test_pool) != APR_SUCCESS)
        return 0;
    text = apr_pstrmemdup(pfz_test_pool, (const char *)data, len);
    free(data);
    for (line = apr_strtok(text, "\n", &save); line != NULL && n < max; line = apr_strtok(NULL, "\n", &save))
        pids[n++] = atol(line);
    return n;
}

static int pid_gone(long pid)
{
    int i;

    for (i = 0; i < 40; i++) { /* up to 2 s for it to be reaped */
        if (kill((pid_t)pid, 0) != 0)
            return 1;
        apr_sleep(50000);
    }
    return 0;
}

#ifdef __linux__
/* The zombie children of running_pid: every /proc/<pid>/stat whose state is
 * Z and whose parent is running_pid (read with read(2): procfs files have
 * no size for pfz__read_file to go by). */
static int count_zombie_children(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char path[300], buf[512], *rp, state;
        long ppid;
        ssize_t k;
        int fd;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        if ((fd = open(path, O_RDONLY)) < 0)
            continue;
        k = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (k <= 0)
            continue;
        buf[k] = '\0';
        if ((rp = strrchr(buf, ')')) != NULL && sscanf(rp + 1, " %c %ld", &state, &ppid) == 2 &&
            state == 'Z' && ppid == running_pid)
            n++;
    }
    closedir(d);
    return n;
}

static int zombies_seen, crashes_seen;

/* during_run: after 5 s of the campaign, how many zombies the coordinator
 * holds and how many crashes it has seen. */
static void sample_zombies(const char *dir)
{
    uint8_t *data;
    size_t len;

    apr_sleep(5 * APR_USEC_PER_SEC);
    zombies_seen = count_zombie_children();
    crashes_seen = 0;
    if (pfz__read_file(apr_pstrcat(pfz_test_pool, dir, "/out.txt", NULL), &data, &len, 64u << 20,
                       pfz_test_pool) == APR_SUCCESS) {
        const char *p = apr_pstrmemdup(pfz_test_pool, (const char *)data, len);
        while ((p = strstr(p, ") died: ")) != NULL) {
            crashes_seen++;
            p++;
        }
        free(data);
    }
}

/* Children the target forks and never waits for (zombies of the worker)
 * become the coordinator's -- it is a subreaper -- when the worker dies:
 * they are reaped by the sweep after each worker, not kept for the rest of
 * the campaign (a long -keep_going run would pile them up until spawns fail). */
static void test_hostile_zombies_reaped(void)
{
    static const char *const in[] = {"!Y", NULL};
    static const char *const flags[] = {"-workers=1", "-keep_going=1", "-max_total_time=8",
                                        "-minimize_crash=0", NULL};
    static const char *const env[] = {"PFZ_HOSTILE_ARM=Y", NULL};
    const char *dir;
    run_t r;

    during_run = sample_zombies;
    r = hostile_run("zombies", in, flags, env, &dir);
    during_run = NULL;
    CU_ASSERT(r.code != 0);
    CU_ASSERT(crashes_seen >= 3); /* without the reaping there would be >= 2 zombies */
    CU_ASSERT(zombies_seen <= 1); /* one may be between its death and the next sweep */
    if (crashes_seen < 3 || zombies_seen > 1)
        fprintf(stderr, "\n(after 5 s: %d crashes, %d zombie children of the coordinator)\n",
                crashes_seen, zombies_seen);
}
#endif

/* A child the target forked holds the reply pipe open: the crash that
 * follows is still seen at once (from the process, not the pipe), and the
 * child, in the worker's process group, dies with it. */
static void test_hostile_forked_child_holds_pipe(void)
{
    static const char *const in[] = {"!FC", NULL};
    static const char *const flags[] = {"-workers=1", "-max_total_time=60", "-minimize_crash=0", NULL};
    const char *dir, *pids = apr_pstrcat(pfz_test_pool, PFZ_BUILDDIR, "/tests/e2e-scratch/fork-pids",
                                         NULL);
    const char *env[] = {apr_pstrcat(pfz_test_pool, "PFZ_HOSTILE_PIDS=", pids, NULL),
                         "PFZ_HOSTILE_ARM=F", NULL};
    long pid[8];
    int n, i;
    run_t r;

    apr_file_remove(pids, pfz_test_pool);
    r = hostile_run("fork", in, flags, env, &dir);
    expect_engine_finding(&r, dir, "!FC", "SEGV"); /* SIGSEGV, or TSan's "SEGV on" */
    n = noted_pids(pids, pid, 8);
    CU_ASSERT(n >= 1);
    for (i = 0; i < n; i++)
        CU_ASSERT(pid_gone(pid[i]));
}

/* The same with a daemon that left the worker's process group: it cannot
 * stall the run, and on Linux (the coordinator is a child subreaper) it is
 * killed once the worker is gone. */
static void test_hostile_daemon_holds_pipe(void)
{
    static const char *const in[] = {"!DC", NULL};
    static const char *const flags[] = {"-workers=1", "-max_total_time=60", "-minimize_crash=0", NULL};
    const char *dir, *pids = apr_pstrcat(pfz_test_pool, PFZ_BUILDDIR, "/tests/e2e-scratch/daemon-pids",
                                         NULL);
    const char *env[] = {apr_pstrcat(pfz_test_pool, "PFZ_HOSTILE_PIDS=", pids, NULL),
                         "PFZ_HOSTILE_ARM=D", NULL};
    long pid[8];
    int n, i;
    run_t r;

    apr_file_remove(pids, pfz_test_pool);
    r = hostile_run("daemon", in, flags, env, &dir);
    expect_engine_finding(&r, dir, "!DC", "SEGV");
    n = noted_pids(pids, pid, 8);
    CU_ASSERT(n >= 1);
    for (i = 0; i < n; i++) {
#ifdef __linux__
        CU_ASSERT(pid_gone(pid[i]));
#endif
        kill((pid_t)pid[i], SIGKILL);
    }
}

static void test_hostile_closes_channels(void)
{
    static const char *const in[] = {"!X", NULL};
    static const char *const flags[] = {"-workers=1", "-max_total_time=60", "-minimize_crash=0", NULL};
    const char *dir;
    static const char *const env[] = {"PFZ_HOSTILE_ARM=X", NULL};
    run_t r = hostile_run("close-fds", in, flags, env, &dir);

    expect_engine_finding(&r, dir, "!X", "closed or replaced the engine's call/reply channels");
}

static void test_hostile_reply_garbage(void)
{
    static const char *const in[] = {"!W", NULL};
    static const char *const flags[] = {"-workers=1", "-max_total_time=60", "-minimize_crash=0", NULL};
    const char *dir;
    static const char *const env[] = {"PFZ_HOSTILE_ARM=W", NULL};
    run_t r = hostile_run("garbage", in, flags, env, &dir);

    expect_engine_finding(&r, dir, "!W", "wrote to the engine's reply channel");
}

static void test_hostile_header_overwrite(void)
{
    static const char *const in[] = {"!Z", NULL};
    static const char *const flags[] = {"-workers=1", "-max_total_time=60", "-minimize_crash=0", NULL};
    const char *dir;
    static const char *const env[] = {"PFZ_HOSTILE_ARM=Z", NULL};
    run_t r = hostile_run("header", in, flags, env, &dir);

    expect_engine_finding(&r, dir, "!Z", "overwrote the engine's shared-memory region");
}

/* ftruncate of the region's descriptor: refused (Linux: a sealed memfd), so
 * the coordinator's mapping stays whole and the run goes on. */
static void test_hostile_truncate_region(void)
{
#ifdef __linux__
    static const char *const in[] = {"!T", "hello", NULL};
    static const char *const flags[] = {"-workers=2", "-runs=3000", NULL};
    static const char *const env[] = {"PFZ_HOSTILE_ARM=T", NULL};
    const char *dir;
    run_t r = hostile_run("truncate", in, flags, env, &dir);
    int ok = r.code == 0 && strstr(r.out, "Done") != NULL;

    CU_ASSERT(ok);
    show_on_failure(ok, &r);
#endif
}

/* A seed that SIGKILLs its worker, with -keep_going=1: a finding, saved,
 * and the campaign goes on to its time limit. */
static void test_hostile_sigkill_keep_going(void)
{
    static const char *const in[] = {"!K", "hello", NULL};
    static const char *const flags[] = {"-workers=2", "-max_total_time=4", "-keep_going=1", NULL};
    static const char *const env[] = {"PFZ_HOSTILE_ARM=K", NULL};
    const char *dir;
    run_t r = hostile_run("sigkill", in, flags, env, &dir);

    expect_engine_finding(&r, dir, "!K", "SIGKILL");
    CU_ASSERT(r.seconds >= 3.5);
    CU_ASSERT_PTR_NULL(strstr(r.out, "ended outside the fuzz target"));
}

/* Every execution crashes, with -keep_going=1 and two workers: hundreds of
 * restarts from both client threads at once (the coordinator once crashed
 * here on a pool the client threads shared). */
static void test_hostile_restart_storm(void)
{
    static const char *const in[] = {"a", "b", NULL};
    static const char *const flags[] = {"-workers=2", "-max_total_time=8", "-keep_going=1",
                                        "-minimize_crash=0", NULL};
    static const char *const env[] = {"PFZ_HOSTILE_ARM=*", NULL};
    const char *dir;
    run_t r = hostile_run("storm", in, flags, env, &dir);
    int ok = r.code == 77 && !r.signaled && r.seconds >= 7 && r.seconds < 30 &&
             strstr(r.out, "duplicate") != NULL && artifacts(dir, "crash-")->nelts >= 1;

    CU_ASSERT(ok);
    show_on_failure(ok, &r);
}

/* Runs the hostile target with args, sends SIGINT after `after` seconds and
 * checks that it has ended within a second of it. */
static void expect_prompt_interrupt(const char *name, const char *const *args, double after)
{
    static const char *const env[] = {"PFZ_HOSTILE_ARM=LH", NULL};
    const char *dir = scratch(name);
    run_t r = run_target(pfz_test_target("tests/targets/hostile"), args, env, dir, after, NULL);
    int ok = r.seconds < after + 1.0 && r.code == 72;

    CU_ASSERT(ok);
    show_on_failure(ok, &r);
}

/* SIGINT in a minimization whose variants hang (a call as long as -timeout). */
static void test_interrupt_latency_minimize(void)
{
    const char *dir = scratch("int-minimize-input"), *path = apr_pstrcat(pfz_test_pool, dir, "/big", NULL);
    char *big = apr_palloc(pfz_test_pool, 4000);
    const char *args[] = {"-minimize_crash=1", "-max_minimize_time=60", "-timeout=60", path, NULL};

    memset(big, 'a', 4000);
    big[0] = '!';
    big[1] = 'L';
    CU_ASSERT_EQUAL_FATAL(pfz__write_atomic(path, big, 4000, pfz_test_pool), APR_SUCCESS);
    expect_prompt_interrupt("int-minimize", args, 3.0);
}

/* SIGINT in a merge whose input hangs (a call as long as -timeout). */
static void test_interrupt_latency_merge(void)
{
    const char *dir = scratch("int-merge-dirs");
    const char *out = apr_pstrcat(pfz_test_pool, dir, "/out", NULL), *in = apr_pstrcat(pfz_test_pool, dir, "/in", NULL);
    const char *args[] = {"-merge=1", "-timeout=60", out, in, NULL};

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(out, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(in, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pfz__write_atomic(apr_pstrcat(pfz_test_pool, in, "/hang", NULL), "!H", 2, pfz_test_pool),
                          APR_SUCCESS);
    expect_prompt_interrupt("int-merge", args, 3.0);
}

/* SIGINT while fuzzing (a worker is in the middle of a batch). */
static void test_interrupt_latency_fuzz(void)
{
    const char *dir = scratch("int-fuzz-corpus");
    const char *args[] = {"-workers=2", "-max_total_time=60", dir, NULL};

    expect_prompt_interrupt("int-fuzz", args, 3.0);
}
#endif
/* ------------------------------------------------ worker output capture */

/* Names of the entries of dir ("" when it is empty), for messages. */
static const char *dir_entries(const char *dir)
{
    const char *names = "";
    apr_dir_t *d;
    apr_finfo_t fi;

    if (apr_dir_open(&d, dir, pfz_test_pool) != APR_SUCCESS)
        return "(cannot open)";
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS)
        if (strcmp(fi.name, ".") != 0 && strcmp(fi.name, "..") != 0)
            names = apr_pstrcat(pfz_test_pool, names, " ", fi.name, NULL);
    apr_dir_close(d);
    return names;
}

/* A fresh TMPDIR for the run, inside its scratch directory. */
static const char *tmpdir_env(const char *dir, const char **tmp)
{
    *tmp = apr_pstrcat(pfz_test_pool, dir, "/tmp", NULL);
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(*tmp, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
#ifdef _WIN32
    return apr_pstrcat(pfz_test_pool, "TMP=", *tmp, NULL);
#else
    return apr_pstrcat(pfz_test_pool, "TMPDIR=", *tmp, NULL);
#endif
}

/* ~200 MB on stdout, then an ASan heap overflow: the .log next to the artifact
 * is the end of the output (the report, bounded by the capture), the report
 * is printed, and nothing is left in TMPDIR. */
static void test_flood_then_asan_report_kept(void)
{
    const char *dir, *tmp, *corpus, *art, *env[3];
    char hex[41];
    uint8_t *log;
    size_t n;
    run_t r;
    int ok;

    if (getenv("PFZ_HAVE_ASAN") == NULL) {
        fprintf(stderr, "(skipped: built without AddressSanitizer) ");
        return;
    }
    dir = scratch("flood-asan");
    corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    env[0] = tmpdir_env(dir, &tmp);
    env[1] = "PFZ_FLOOD_MB=200";
    env[2] = NULL;
    {
        const char *args[] = {"-workers=2", "-seed=1", "-max_total_time=120", "-minimize_crash=0",
                              apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL),
                              corpus, NULL};
        CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool),
                              APR_SUCCESS);
        put(corpus, "seed", "F");
        r = run_target(pfz_test_target("tests/targets/flood_asan"), args, env, dir, 0, NULL);
    }
    pfz__sha1_hex("F", 1, hex);
    art = apr_pstrcat(pfz_test_pool, dir, "/crash-", hex, NULL);
    ok = r.code == 77 && strstr(r.out, "ERROR: AddressSanitizer: heap-buffer-overflow") != NULL &&
         strstr(r.out, "PFZ-FLOOD-END") != NULL && strlen(r.out) < (2u << 20);
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    CU_ASSERT_EQUAL_FATAL(pfz__read_file(apr_pstrcat(pfz_test_pool, art, ".log", NULL), &log, &n,
                                         256u << 20, pfz_test_pool), APR_SUCCESS);
    {
        char *text = apr_pstrmemdup(pfz_test_pool, (const char *)log, n);
        free(log);
        CU_ASSERT(n <= PFZ__OUTCAP_RING);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, "ERROR: AddressSanitizer: heap-buffer-overflow"));
        CU_ASSERT_PTR_NOT_NULL(strstr(text, "PFZ-FLOOD-END: input of 1 bytes"));
        if (n > PFZ__OUTCAP_RING || strstr(text, "AddressSanitizer") == NULL)
            fprintf(stderr, "\n.log: %zu bytes, ends with: %s\n", n, text + (n > 2000 ? n - 2000 : 0));
    }
    CU_ASSERT_STRING_EQUAL(dir_entries(tmp), "");
}

/* A target that floods in every crash the minimizer sees: the minimizer's
 * output stays off the terminal, and the report shown at the end is the one
 * of the smallest crash. */
static void test_minimizer_output_captured(void)
{
    const char *dir = scratch("flood-min"), *tmp;
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *env[] = {tmpdir_env(dir, &tmp), "PFZ_FLOOD_MB=2", NULL};
    const char *args[] = {"-workers=1", "-seed=1", "-max_total_time=120", "-max_minimize_time=60",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL), corpus,
                          NULL};
    const char *min, *want;
    unsigned from = 0, to = 0;
    run_t r;
    int ok;

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    put(corpus, "seed", "Fpadding-to-cut");
    r = run_target(pfz_test_target("tests/targets/flood"), args, env, dir, 0, NULL);
    min = strstr(r.out, "INFO: minimized the crash from ");
    if (min != NULL)
        sscanf(min, "INFO: minimized the crash from %u to %u bytes", &from, &to);
    want = apr_psprintf(pfz_test_pool, "PFZ-FLOOD-END: input of %u bytes", to);
    /* Every crash floods 2 MiB: uncaptured, the minimizer's alone would be
     * several times that. What is printed is two tails of at most 64 KiB. */
    ok = r.code == 77 && min != NULL && from == 15 && to >= 1 && to < 15 &&
         strstr(min, want) != NULL && strlen(r.out) < (512u << 10) &&
         strstr(min, apr_psprintf(pfz_test_pool, "---- output of the minimized crash (%u bytes)",
                                  to)) != NULL;
    CU_ASSERT(ok);
    if (!ok)
        fprintf(stderr, "\nexit %d, %zu bytes of output; minimized %u -> %u\n", r.code,
                strlen(r.out), from, to);
    show_on_failure(ok || strlen(r.out) > (1u << 20), &r);
    CU_ASSERT(artifacts(dir, "minimized-from-")->nelts == 1);
    CU_ASSERT_STRING_EQUAL(dir_entries(tmp), "");
}

/* An -artifact_prefix that cannot be written (under a regular file; tests run
 * as root, where permission bits stop nothing): the report is printed anyway,
 * the artifact goes to the current directory, which the output names along
 * with what went wrong, the crash is still minimized, and the exit status is
 * the finding's. */
static void test_unwritable_artifact_prefix(void)
{
    const char *dir = scratch("unwritable"), *tmp;
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *bad = apr_pstrcat(pfz_test_pool, dir, "/regular-file/", NULL);
    const char *env[] = {tmpdir_env(dir, &tmp), "PFZ_FLOOD_MB=0", NULL};
    const char *args[] = {"-workers=2", "-seed=1", "-max_total_time=120", "-max_minimize_time=30",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", bad, NULL), corpus, NULL};
    const char *fell, *said;
    char hex[41];
    run_t r;
    int ok;

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    put(dir, "regular-file", "not a directory");
    put(corpus, "seed", "Fab");
    r = run_target(pfz_test_target("tests/targets/flood"), args, env, dir, 0, NULL);
    pfz__sha1_hex("Fab", 3, hex);
    fell = apr_pstrcat(pfz_test_pool, dir, "/crash-", hex, NULL);
    said = apr_psprintf(pfz_test_pool, "cannot write the crash artifact to '%scrash-%s'", bad, hex);
    /* The fallback is named as the current directory spells itself (under
     * Wine a drive letter precedes the path the test knows). */
    ok = r.code == 77 && strstr(r.out, said) != NULL &&
         strstr(r.out, apr_psprintf(pfz_test_pool, "/crash-%s' instead", hex)) != NULL &&
         strstr(r.out, "PFZ-FLOOD-END: input of 3 bytes") != NULL &&
         strstr(r.out, "INFO: minimizing the crash") != NULL;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    CU_ASSERT(same_file(fell, apr_pstrcat(pfz_test_pool, corpus, "/seed", NULL)));
    /* The minimized input falls back the same way. */
    CU_ASSERT(artifacts(dir, "minimized-from-")->nelts == 1);
}

/* -keep_going=1 -exact_artifact_path=F keeps every finding: F, then F.2. */
static void test_exact_artifact_path_keeps_every_finding(void)
{
    const char *dir = scratch("exact-keep"), *tmp;
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *exact = apr_pstrcat(pfz_test_pool, dir, "/found", NULL);
    const char *env[] = {tmpdir_env(dir, &tmp), "PFZ_FLOOD_MB=0", NULL};
    const char *args[] = {"-workers=2", "-seed=1", "-max_total_time=4", "-keep_going=1",
                          apr_pstrcat(pfz_test_pool, "-exact_artifact_path=", exact, NULL), corpus,
                          NULL};
    const char *second = apr_pstrcat(pfz_test_pool, exact, ".2", NULL);
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    run_t r;
    int ok;

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    put(corpus, "abort", "F"); /* abort() */
    put(corpus, "segv", "S");  /* SIGSEGV: a different finding */
    r = run_target(pfz_test_target("tests/targets/flood"), args, env, dir, 0, NULL);
    ok = r.code == 77 && pfz__read_file(exact, &a, &na, 1024, pfz_test_pool) == APR_SUCCESS &&
         pfz__read_file(second, &b, &nb, 1024, pfz_test_pool) == APR_SUCCESS && na == 1 && nb == 1 &&
         a[0] != b[0] &&
         (strstr(r.out, apr_pstrcat(pfz_test_pool, "Test unit written to ", exact, "\n", NULL)) ||
          strstr(r.out, apr_pstrcat(pfz_test_pool, "Test unit written to ", exact, "\r\n", NULL))) &&
         strstr(r.out, apr_pstrcat(pfz_test_pool, "Test unit written to ", second, NULL)) != NULL;
    CU_ASSERT(ok);
    show_on_failure(ok, &r);
    free(a);
    free(b);
}

/* SIGKILL of the coordinator leaves nothing in its TMPDIR. */
static void test_sigkill_leaves_no_files(void)
{
#ifdef _WIN32
    fprintf(stderr, "(skipped: POSIX signals) ");
#else
    const char *dir = scratch("sigkill"), *tmp;
    const char *env[] = {tmpdir_env(dir, &tmp), NULL};
    /* -max_len=4: the 5-byte crash is out of reach, the run goes on. */
    const char *args[] = {"-workers=2", "-seed=1", "-max_total_time=60", "-max_len=4", NULL};
    run_t r;

    interrupt_signal = 9; /* SIGKILL */
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), args, env, dir, 2.0, NULL);
    interrupt_signal = 2;
    CU_ASSERT(r.signaled && r.code == 128 + 9);
    apr_sleep(200000); /* the workers die with the coordinator (parent-death signal) */
    CU_ASSERT_STRING_EQUAL(dir_entries(tmp), "");
    show_on_failure(r.signaled, &r);
#endif
}

/* ------------------------------------------------- ossfuzz_link suite
 *
 * Harnesses built exactly the way OSS-Fuzz's build scripts build them:
 * compile flags only at compile time ($CC $CFLAGS -c), then a separate link
 * step `$CXX $CXXFLAGS harness.o $LIB_FUZZING_ENGINE` with
 * LIB_FUZZING_ENGINE=`pkg-config --libs portfuzz` (the build tree's
 * portfuzz-uninstalled.pc, the installed file's twin). With SANITIZER=none
 * the link line has no -fsanitize at all, so no sanitizer runtime brings
 * symbols the instrumentation needs (clang 14's stack-depth TLS variable was
 * one): libportfuzz alone must define them. POSIX shell and clang only. */
#ifndef _WIN32
#define OSS_BASE_FLAGS "-O1 -fno-omit-frame-pointer -gline-tables-only"

/* Runs a /bin/sh script in dir (its commands echoed into r.out). */
static run_t oss_sh(const char *dir, const char *script)
{
    const char *args[] = {"-c", apr_pstrcat(pfz_test_pool, "set -ex\n", script, NULL), NULL};
    return run_target("/bin/sh", args, NULL, dir, 0, NULL);
}

/* clang and clang++ (what OSS-Fuzz builds with) are on PATH; else says so. */
static int oss_have_clang(const char *dir)
{
    run_t r;

#ifdef PFZ_TEST_TSAN
    /* This build's libportfuzz is itself ThreadSanitizer-instrumented: a
     * harness linked the plain way lacks the TSan runtime. The gcc and clang
     * builds check the plain link line. */
    fprintf(stderr, "(skipped under ThreadSanitizer: the library needs its runtime at link time) ");
    return 0;
#endif
    r = oss_sh(dir, "command -v clang && command -v clang++");
    if (r.code != 0)
        fprintf(stderr, "(skipped: no clang/clang++ on PATH, which the OSS-Fuzz build needs) ");
    return r.code == 0;
}

/* Builds tests/targets/<src> into dir/harness: `cc cflags -c`, then
 * `clang++ link_flags harness.o $LIB_FUZZING_ENGINE`. */
static int oss_build(const char *dir, const char *cc, const char *src, const char *cflags,
                     const char *link_flags)
{
    const char *script = apr_psprintf(
        pfz_test_pool,
        "export PKG_CONFIG_PATH='%s'\n"
        "LIB_FUZZING_ENGINE=$(pkg-config --libs portfuzz)\n"
        "%s %s -c '%s/tests/targets/%s' -o harness.o\n"
        "clang++ %s harness.o $LIB_FUZZING_ENGINE -o harness\n",
        PFZ_BUILDDIR, cc, cflags, PFZ_SRCDIR, src, link_flags);
    run_t r = oss_sh(dir, script);
    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    return r.code == 0;
}

/* Builds the harness OSS-Fuzz's way for one sanitizer and fuzzes it with two
 * workers until the planted bug is found (exit 77, a crash- artifact); with
 * ASan the report must be ASan's. */
static void oss_build_and_find(const char *cc, const char *src, int asan)
{
    const char *dir = scratch(asan ? "oss-asan" : "oss-none");
    const char *cflags = asan ? OSS_BASE_FLAGS " -fsanitize=address -fsanitize=fuzzer-no-link"
                              : OSS_BASE_FLAGS " -fsanitize=fuzzer-no-link";
    /* OSS-Fuzz links with its CXXFLAGS; for SANITIZER=none we give it none
     * of the -fsanitize flags (a CMake/Makefile project whose link step
     * never sees the compile options). */
    const char *link_flags = asan ? cflags : OSS_BASE_FLAGS;
    const char *args[] = {"-workers=2", "-seed=1", "-max_total_time=90", "-minimize_crash=0",
                          apr_pstrcat(pfz_test_pool, "-artifact_prefix=", dir, "/", NULL), NULL};
    run_t r;
    int ok;

    if (!oss_have_clang(dir) || !oss_build(dir, cc, src, cflags, link_flags))
        return;
    r = run_target(apr_pstrcat(pfz_test_pool, dir, "/harness", NULL), args, NULL, dir, 0, NULL);
    ok = r.code == 77 && artifacts(dir, "crash-")->nelts >= 1;
    CU_ASSERT(ok);
    /* Instrumented: the run found edges, and never said otherwise. */
    CU_ASSERT_PTR_NULL(strstr(r.out, "no coverage instrumentation"));
    if (asan)
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "AddressSanitizer: heap-buffer-overflow"));
    show_on_failure(ok, &r);
    fprintf(stderr, "(%s %s: %.1fs) ", src, asan ? "address" : "none", r.seconds);
}

static void test_oss_c_none(void) { oss_build_and_find("clang", "ossfuzz_harness.c", 0); }
static void test_oss_c_address(void) { oss_build_and_find("clang", "ossfuzz_harness.c", 1); }
static void test_oss_cxx_none(void) { oss_build_and_find("clang++", "ossfuzz_harness.cc", 0); }
static void test_oss_cxx_address(void) { oss_build_and_find("clang++", "ossfuzz_harness.cc", 1); }

/* Every -fsanitize-coverage= mode clang has: each object links with the plain
 * line (no sanitizer on it) and the fuzzer runs a file. A mode this clang does
 * not know fails the compile, which is the point: a newer clang's new mode
 * needs its callbacks here. */
static void test_oss_every_coverage_mode(void)
{
    static const char *const modes[] = {
        "trace-pc", "trace-pc-guard", "trace-pc-guard,pc-table", "inline-8bit-counters",
        "inline-8bit-counters,pc-table", "inline-bool-flag,pc-table", "stack-depth",
        "trace-pc-guard,trace-cmp,trace-div,trace-gep,indirect-calls",
        "inline-8bit-counters,trace-loads,trace-stores",
        "inline-8bit-counters,pc-table,trace-cmp,indirect-calls,stack-depth", NULL};
    const char *dir = scratch("oss-modes");
    const char *fine = apr_pstrcat(pfz_test_pool, dir, "/fine", NULL);
    const char *rargs[] = {fine, NULL};
    int i;

    if (!oss_have_clang(dir))
        return;
    CU_ASSERT_EQUAL_FATAL(pfz__write_atomic(fine, "FUZ?", 4, pfz_test_pool), APR_SUCCESS);
    for (i = 0; modes[i] != NULL; i++) {
        const char *cflags =
            apr_pstrcat(pfz_test_pool, OSS_BASE_FLAGS " -fsanitize-coverage=", modes[i], NULL);
        run_t r;
        if (!oss_build(dir, "clang", "ossfuzz_harness.c", cflags, OSS_BASE_FLAGS)) {
            fprintf(stderr, "(mode %s did not build) ", modes[i]);
            continue;
        }
        r = run_target(apr_pstrcat(pfz_test_pool, dir, "/harness", NULL), rargs, NULL, dir, 0,
                       NULL);
        CU_ASSERT_EQUAL(r.code, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Running:"));
        if (r.code != 0)
            fprintf(stderr, "(mode %s) ", modes[i]);
        show_on_failure(r.code == 0, &r);
    }
}
#else
/* The suite exists everywhere (one CTest test per suite), so that Windows
 * says why it runs nothing instead of "no test ran". */
static void test_oss_linux_only(void)
{
    fprintf(stderr, "(skipped: OSS-Fuzz builds are Linux builds: POSIX shell, clang, pkg-config) ");
}
#endif

/* ------------------------------------- libFuzzer's contract (ClusterFuzz) */

/* 1 if dir exists (as anything). */
static int exists(const char *path)
{
    apr_finfo_t fi;
    return apr_stat(&fi, path, APR_FINFO_TYPE, pfz_test_pool) == APR_SUCCESS;
}

static int count_files(const char *dir)
{
    apr_array_header_t *files = apr_array_make(pfz_test_pool, 8, sizeof(const char *));
    pfz__list_files_for_test(files, dir);
    return files->nelts;
}

/* 1 if a file of dir holds exactly content. */
static int has_content(const char *dir, const char *content)
{
    apr_array_header_t *files = apr_array_make(pfz_test_pool, 8, sizeof(const char *));
    int i, found = 0;

    pfz__list_files_for_test(files, dir);
    for (i = 0; i < files->nelts; i++) {
        uint8_t *d;
        size_t n;
        if (pfz__read_file(APR_ARRAY_IDX(files, i, const char *), &d, &n, 1 << 20, pfz_test_pool) != APR_SUCCESS)
            continue;
        found |= n == strlen(content) && memcmp(d, content, n) == 0;
        free(d);
    }
    return found;
}

/* ClusterFuzz's stats.py reads the last line matching
 *   MERGE-OUTER:\s+\d+\s+new files with\s+(\d+)\s+new features added;\s+(\d+)\s+new coverage edges.*
 * Here the line must also be exactly libFuzzer's, nothing after it. Returns
 * 1 and the three numbers, or 0. */
static int merge_outer(const char *out, int *files, int *feats, int *edges)
{
    const char *p = out, *last = NULL;
    char want[160];
    size_t len;

    for (; (p = strstr(p, "MERGE-OUTER: ")) != NULL; p++)
        if (strstr(p, " new files with ") != NULL && strchr(p, '\n') > strstr(p, " new files with "))
            last = p;
    if (last == NULL || sscanf(last, "MERGE-OUTER: %d new files with %d new features added; %d new coverage edges",
                               files, feats, edges) != 3)
        return 0;
    len = (size_t)(strchr(last, '\n') - last);
    if (len > 0 && last[len - 1] == '\r')
        len--; /* Windows: stderr is a text stream */
    snprintf(want, sizeof want, "MERGE-OUTER: %d new files with %d new features added; %d new coverage edges",
             *files, *feats, *edges);
    return len == strlen(want) && memcmp(last, want, len) == 0;
}

/* Flags ClusterFuzz passes that portfuzz does not know warn in libFuzzer's
 * words and the run goes on; "--" arguments are ignored, never a directory;
 * a dictionary word over the limit is skipped with a warning naming the line. */
static void test_cli_unknown_flags_warn(void)
{
    const char *dir = scratch("cli-flags");
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *dict = apr_pstrcat(pfz_test_pool, dir, "/words.dict", NULL);
    char longword[300];
    const char *args[] = {"-cleanse_crash=1", "-data_flow_trace=/nowhere", "-focus_function=f", "--runs=5", "--",
                          apr_pstrcat(pfz_test_pool, "-dict=", dict, NULL),
                          "-workers=1", "-seed=3", "-runs=300", "-max_len=4", corpus, NULL};
    run_t r;

    memset(longword, 'w', sizeof longword);
    memcpy(longword, "\"", 1);
    memcpy(longword + 201, "\"\n\"ok\"\n", 8); /* line 1: 200 bytes; line 2: fine */
    CU_ASSERT_EQUAL(pfz__write_atomic(dict, longword, strlen(longword), pfz_test_pool), APR_SUCCESS);
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "WARNING: unrecognized flag '-cleanse_crash=1'; use -help=1 to list all flags"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "WARNING: unrecognized flag '-focus_function=f'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "INFO: ignoring '--runs=5'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "did you mean '-runs=5' (single dash)?"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "words.dict:1: value of 200 bytes skipped"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Done 300 runs"));
    /* Neither "--" nor "--runs=5" became a corpus directory. */
    CU_ASSERT(!exists(apr_pstrcat(pfz_test_pool, dir, "/--", NULL)));
    CU_ASSERT(!exists(apr_pstrcat(pfz_test_pool, dir, "/--runs=5", NULL)));
}

/* A missing positional path is an error naming it (nothing is created);
 * a missing first one is the output corpus: created, saying so. */
static void test_cli_missing_paths(void)
{
    const char *dir = scratch("cli-paths");
    const char *out = apr_pstrcat(pfz_test_pool, dir, "/out", NULL);
    const char *typo = apr_pstrcat(pfz_test_pool, dir, "/seeds-typo", NULL);
    const char *bad[] = {"-workers=1", "-runs=10", out, typo, NULL};
    const char *good[] = {"-workers=1", "-runs=10", out, NULL};
    run_t r;

    r = run_target(pfz_test_target("tests/targets/crash_on_input"), bad, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "seeds-typo' does not exist"));
    CU_ASSERT(!exists(out) && !exists(typo));
    show_on_failure(r.code == 1, &r);
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), good, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, apr_psprintf(pfz_test_pool, "INFO: the output corpus directory '%s' "
                                                       "did not exist; created it", out)));
    CU_ASSERT(exists(out));
    show_on_failure(r.code == 0, &r);
}

#ifndef _WIN32
static const char *fifo_path;
static const char *fifo_content;
static size_t fifo_len;

/* during_run: feeds the FIFO once its reader opened it (bounded: 60 s). */
static void feed_fifo(const char *dir)
{
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(60);
    int fd = -1;

    (void)dir;
    while (fd < 0 && apr_time_now() < deadline) {
        fd = open(fifo_path, O_WRONLY | O_NONBLOCK); /* ENXIO until a reader opens it */
        if (fd < 0)
            apr_sleep(20000);
    }
    CU_ASSERT_FATAL(fd >= 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    CU_ASSERT_EQUAL(write(fd, fifo_content, fifo_len), (ssize_t)fifo_len);
    close(fd);
}
#endif

/* A positional FIFO (as <(...) or /dev/fd/N gives) is read to its end as an
 * input file: the target gets all 100002 bytes (more than a pipe holds). */
static void test_cli_fifo_positional(void)
{
#ifdef _WIN32
    fprintf(stderr, "(skipped: POSIX FIFOs) ");
#else
    const char *dir = scratch("cli-fifo");
    const char *rec = apr_pstrcat(pfz_test_pool, dir, "/recorded", NULL);
    const char *env[] = {apr_pstrcat(pfz_test_pool, "PFZ_TEST_RECORD=", rec, NULL), NULL};
    char *content = apr_palloc(pfz_test_pool, 100002);
    const char *args[2];
    uint8_t *got;
    size_t n;
    run_t r;

    fifo_path = apr_pstrcat(pfz_test_pool, dir, "/input.fifo", NULL);
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo_path, 0600), 0);
    memset(content, 'p', 100002);
    memcpy(content, "!C", 2); /* kinds crashes on it, recording what it got */
    fifo_content = content;
    fifo_len = 100002;
    args[0] = fifo_path;
    args[1] = NULL;
    during_run = feed_fifo;
    r = run_target(pfz_test_target("tests/targets/kinds"), args, env, dir, 0, NULL);
    during_run = NULL;
    CU_ASSERT(r.code != 0);
    CU_ASSERT_EQUAL_FATAL(pfz__read_file(rec, &got, &n, 1 << 20, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT(n == 100002 && memcmp(got, content, n) == 0);
    show_on_failure(n == 100002, &r);
    free(got);
#endif
}

/* A FIFO, a link to a FIFO and a dangling link in a corpus directory are
 * skipped with a warning: start-up never blocks on them. */
static void test_cli_fifo_in_corpus_skipped(void)
{
#ifdef _WIN32
    fprintf(stderr, "(skipped: POSIX FIFOs) ");
#else
    const char *dir = scratch("cli-fifo-corpus");
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *fifo = apr_pstrcat(pfz_test_pool, dir, "/outside.fifo", NULL);
    const char *args[] = {"-workers=1", "-runs=200", "-max_len=4", corpus, NULL};
    run_t r;

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    put(corpus, "seed", "ab");
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    CU_ASSERT_EQUAL_FATAL(mkfifo(apr_pstrcat(pfz_test_pool, corpus, "/inside.fifo", NULL), 0600), 0);
    CU_ASSERT_EQUAL_FATAL(symlink(fifo, apr_pstrcat(pfz_test_pool, corpus, "/link-to-fifo", NULL)), 0);
    CU_ASSERT_EQUAL_FATAL(symlink("/nonexistent", apr_pstrcat(pfz_test_pool, corpus, "/dangling", NULL)), 0);
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "link-to-fifo' is not a regular file"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "dangling' is not a regular file"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Done 200 runs"));
    show_on_failure(r.code == 0, &r);
#endif
}

/* A 2 MiB seed does not make -max_len 2 MiB: derived from the corpus it is
 * capped at 1 MiB, as libFuzzer caps it; an explicit -max_len rules. */
static void test_cli_big_seed_max_len(void)
{
    const char *dir = scratch("cli-maxlen");
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *args[] = {"-workers=1", "-runs=50", corpus, NULL};
    const char *args2[] = {"-workers=1", "-runs=50", "-max_len=3000000", corpus, NULL};
    char *big = apr_palloc(pfz_test_pool, 2u << 20);
    run_t r;

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    memset(big, 'a', 2u << 20);
    CU_ASSERT_EQUAL_FATAL(pfz__write_atomic(apr_pstrcat(pfz_test_pool, corpus, "/big", NULL), big, 2u << 20,
                                            pfz_test_pool), APR_SUCCESS);
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "1048576"));
    /* (the seed corpus line names the seed's own size, 2097152b, as libFuzzer's) */
    CU_ASSERT_PTR_NULL(strstr(r.out, "larger than 2097152"));
    CU_ASSERT_PTR_NULL(strstr(r.out, "-max_len=2097152"));
    show_on_failure(r.code == 0 && strstr(r.out, "1048576") != NULL, &r);
    r = run_target(pfz_test_target("tests/targets/crash_on_input"), args2, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_PTR_NULL(strstr(r.out, "1048576"));
}

/* -timeout=0 is no timeout (libFuzzer's meaning): accepted, and no execution
 * is taken for a hang (a zero limit taken literally would kill every one). */
static void test_cli_timeout_zero(void)
{
    const char *dir = scratch("cli-timeout0");
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *args[] = {"-workers=1", "-seed=4", "-runs=3000", "-max_len=4", "-timeout=0", corpus, NULL};
    run_t r = run_target(pfz_test_target("tests/targets/crash_on_input"), args, NULL, dir, 0, NULL);

    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Done 3000 runs"));
    CU_ASSERT_EQUAL(artifacts(dir, "timeout-")->nelts, 0);
    show_on_failure(r.code == 0, &r);
}

/* ClusterFuzz's two-step merge (engine.py, _minimize_corpus_two_step): step 1
 * merges the existing corpus into an empty directory with a fresh control
 * file; the directory is emptied; step 2 merges existing + new with the same
 * control file. Its stats (new features, new edges) are the differences of
 * the two MERGE-OUTER lines. */
static void test_merge_two_step(void)
{
    const char *dir = scratch("merge-2step");
    const char *existing = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *new = apr_pstrcat(pfz_test_pool, dir, "/new", NULL);
    const char *mout = apr_pstrcat(pfz_test_pool, dir, "/merge-corpus", NULL);
    const char *mcf = apr_pstrcat(pfz_test_pool, dir, "/MCF", NULL);
    const char *cfarg = apr_pstrcat(pfz_test_pool, "-merge_control_file=", mcf, NULL);
    const char *step1[] = {"-timeout=25", "-rss_limit_mb=2560", "-merge=1", cfarg, mout, existing, NULL};
    const char *step2[] = {"-timeout=25", "-rss_limit_mb=2560", "-merge=1", cfarg, mout, existing, new, NULL};
    apr_array_header_t *files = apr_array_make(pfz_test_pool, 8, sizeof(const char *));
    int f1, ft1, e1, f2, ft2, e2, i;
    uint8_t *cf;
    size_t n;
    run_t r;

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(existing, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(new, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(mout, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    put(existing, "e1", "abc");
    put(existing, "e2", "!");
    put(new, "n1", "!x");   /* new coverage: the switch on data[1] */
    put(new, "n2", "abd");  /* nothing new */
    put(new, "n3", "!C");   /* crashes: left out */
    r = run_target(pfz_test_target("tests/targets/kinds"), step1, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "MERGE-OUTER: 2 files, 0 in the initial corpus, 0 processed earlier"));
    CU_ASSERT_FATAL(merge_outer(r.out, &f1, &ft1, &e1));
    show_on_failure(r.code == 0, &r);
    CU_ASSERT(f1 == 2 && ft1 > 0 && e1 > 0);
    CU_ASSERT_EQUAL(count_files(mout), 2);
    /* libFuzzer's control file: 2 inputs, none in the (empty) first corpus. */
    CU_ASSERT_EQUAL_FATAL(pfz__read_file(mcf, &cf, &n, 1 << 20, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT(n > 4 && memcmp(cf, "2\n0\n", 4) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(apr_pstrmemdup(pfz_test_pool, (char *)cf, n), "\nSTARTED 1 "));
    free(cf);

    pfz__list_files_for_test(files, mout); /* engine_common.recreate_directory */
    for (i = 0; i < files->nelts; i++)
        apr_file_remove(APR_ARRAY_IDX(files, i, const char *), pfz_test_pool);
    r = run_target(pfz_test_target("tests/targets/kinds"), step2, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "reusing coverage information from the given control file"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "MERGE-OUTER: 5 files, 0 in the initial corpus, 2 processed earlier"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "MERGE-INNER: 3 total files; 0 processed earlier; will process 3 files now"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "crashes"));
    CU_ASSERT_FATAL(merge_outer(r.out, &f2, &ft2, &e2));
    CU_ASSERT_EQUAL(f2, 3);
    CU_ASSERT(ft2 > ft1 && e2 > e1); /* new_features, new_edges > 0 */
    CU_ASSERT_EQUAL(count_files(mout), 3);
    CU_ASSERT(has_content(mout, "abc") && has_content(mout, "!") && has_content(mout, "!x"));
    CU_ASSERT(!has_content(mout, "!C") && !has_content(mout, "abd"));
}

/* libFuzzer's Merge with set_cover_merge on or off, no control file: a corpus
 * with redundant inputs pruned into an empty directory (ClusterFuzz's
 * minimize_corpus); the inputs stay as they were. A damaged control file is
 * an error naming it and saying to delete it. */
static void test_merge_prune(void)
{
    const char *dir = scratch("merge-prune");
    const char *corpus = apr_pstrcat(pfz_test_pool, dir, "/corpus", NULL);
    const char *pruned = apr_pstrcat(pfz_test_pool, dir, "/pruned", NULL);
    const char *pruned2 = apr_pstrcat(pfz_test_pool, dir, "/pruned2", NULL);
    const char *bad = apr_pstrcat(pfz_test_pool, dir, "/bad-mcf", NULL);
    const char *args[] = {"-merge=1", "-timeout=25", pruned, corpus, NULL};
    const char *args2[] = {"-set_cover_merge=1", pruned2, corpus, NULL};
    const char *args3[] = {"-merge=1", apr_pstrcat(pfz_test_pool, "-merge_control_file=", bad, NULL), pruned2,
                           corpus, NULL};
    int f, ft, e;
    run_t r;

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(corpus, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    put(corpus, "1", "abc");
    put(corpus, "2", "abd");
    put(corpus, "3", "abe");
    put(corpus, "4", "!");
    put(corpus, "5", "!x");
    put(corpus, "6", "!y");
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_FATAL(merge_outer(r.out, &f, &ft, &e));
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_EQUAL(f, 3);
    CU_ASSERT_EQUAL(count_files(pruned), 3);
    CU_ASSERT(has_content(pruned, "!"));
    CU_ASSERT_EQUAL(count_files(corpus), 6);
    { /* no control file left behind: the directory holds corpus, out.txt, pruned */
        const char *names = dir_entries(dir);
        CU_ASSERT(strlen(names) == strlen(" corpus out.txt pruned") && strstr(names, " corpus") &&
                  strstr(names, " out.txt") && strstr(names, " pruned"));
    }
    r = run_target(pfz_test_target("tests/targets/kinds"), args2, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_FATAL(merge_outer(r.out, &f, &ft, &e));
    CU_ASSERT_EQUAL(count_files(pruned2), 3);
    put(dir, "bad-mcf", "3\n0\na\nb\nc\nSTARTED 0 1\nFT 0 1\nFT 0 2\n");
    r = run_target(pfz_test_target("tests/targets/kinds"), args3, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "bad-mcf' is damaged"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "delete it"));
}

#ifndef _WIN32
static const char *resume_ctl, *resume_wait;

/* during_run: waits (up to 60 s) until resume_ctl holds resume_wait (the
 * STARTED record of the hanging input). */
static void wait_for_hang_started(const char *dir)
{
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(60);

    (void)dir;
    while (apr_time_now() < deadline) {
        uint8_t *d;
        size_t n;
        int found = 0;
        if (pfz__read_file(resume_ctl, &d, &n, 1 << 20, pfz_test_pool) == APR_SUCCESS) {
            found = strstr(apr_pstrmemdup(pfz_test_pool, (char *)d, n), resume_wait) != NULL;
            free(d);
        }
        if (found)
            return;
        apr_sleep(50000);
    }
    CU_FAIL("the merge never started the hanging input");
}
#endif

/* SIGKILL of the coordinator in the middle of a merge (on an input that
 * hangs); the same command again resumes from the control file: what was
 * done is not run again, the input it died on is skipped as libFuzzer does. */
static void test_merge_resume_after_kill(void)
{
#ifdef _WIN32
    fprintf(stderr, "(skipped: POSIX signals) ");
#else
    const char *dir = scratch("merge-resume");
    const char *in = apr_pstrcat(pfz_test_pool, dir, "/in", NULL);
    const char *out = apr_pstrcat(pfz_test_pool, dir, "/out", NULL);
    const char *args[] = {"-merge=1", "-timeout=60", NULL, out, in, NULL};
    int f, ft, e;
    run_t r;

    resume_ctl = apr_pstrcat(pfz_test_pool, dir, "/ctl", NULL);
    resume_wait = "STARTED 2 3\n";
    args[2] = apr_pstrcat(pfz_test_pool, "-merge_control_file=", resume_ctl, NULL);
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(in, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    /* Run order (size, then name): bx, a, hang, later. */
    put(in, "bx", "!x");
    put(in, "a", "abc");
    put(in, "hang", "!HG");
    put(in, "later", "!Hxx"); /* the 'H' branch without the hang: new coverage */
    during_run = wait_for_hang_started;
    interrupt_signal = 9; /* SIGKILL */
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0.3, NULL);
    interrupt_signal = 2;
    during_run = NULL;
    CU_ASSERT(r.signaled && r.code == 128 + 9);
    apr_sleep(300000); /* the worker dies with the coordinator (parent-death signal) */
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "hang' will be skipped as unlucky"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "MERGE-INNER: 4 total files; 3 processed earlier; will process 1 files now"));
    CU_ASSERT_PTR_NULL(strstr(r.out, "hangs")); /* not run again: no 60 s timeout */
    CU_ASSERT_FATAL(merge_outer(r.out, &f, &ft, &e));
    CU_ASSERT_EQUAL(f, 3);
    CU_ASSERT(has_content(out, "!x") && has_content(out, "abc") && has_content(out, "!Hxx"));
    CU_ASSERT(!has_content(out, "!HG"));
    CU_ASSERT(r.seconds < 30);
#endif
}

/* Ctrl-C in the middle of a merge (on an input that hangs) is not the
 * input's fault: the control file loses its STARTED record, and the merge
 * resumed runs it again (here it then hangs for -timeout=1, and is left out). */
static void test_merge_resume_after_interrupt(void)
{
#ifdef _WIN32
    fprintf(stderr, "(skipped: POSIX signals) ");
#else
    const char *dir = scratch("merge-resume-int");
    const char *in = apr_pstrcat(pfz_test_pool, dir, "/in", NULL);
    const char *out = apr_pstrcat(pfz_test_pool, dir, "/out", NULL);
    const char *args[] = {"-merge=1", NULL, "-timeout=60", out, in, NULL};
    uint8_t *d;
    size_t n;
    run_t r;

    resume_ctl = apr_pstrcat(pfz_test_pool, dir, "/ctl", NULL);
    resume_wait = "STARTED 1 3\n";
    args[1] = apr_pstrcat(pfz_test_pool, "-merge_control_file=", resume_ctl, NULL);
    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(in, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    put(in, "a", "abc");
    put(in, "hang", "!HG");
    during_run = wait_for_hang_started;
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0.3, NULL);
    during_run = NULL;
    CU_ASSERT_EQUAL(r.code, 72);
    show_on_failure(r.code == 72, &r);
    CU_ASSERT_EQUAL_FATAL(pfz__read_file(resume_ctl, &d, &n, 1 << 20, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_PTR_NULL(strstr(apr_pstrmemdup(pfz_test_pool, (char *)d, n), "STARTED 1"));
    free(d);
    args[2] = "-timeout=1";
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "MERGE-INNER: 2 total files; 1 processed earlier; will process 1 files now"));
    CU_ASSERT_PTR_NULL(strstr(r.out, "unlucky"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "hang' hangs"));
#endif
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of dir's files, sorted, each after a space. */
static const char *sorted_names(const char *dir)
{
    apr_array_header_t *files = apr_array_make(pfz_test_pool, 8, sizeof(const char *));
    const char *names = "";
    int i;

    pfz__list_files_for_test(files, dir);
    for (i = 0; i < files->nelts; i++) {
        const char *p = APR_ARRAY_IDX(files, i, const char *), *s = strrchr(p, '/');
        APR_ARRAY_IDX(files, i, const char *) = s != NULL ? s + 1 : p;
    }
    qsort(files->elts, (size_t)files->nelts, sizeof(const char *), by_string);
    for (i = 0; i < files->nelts; i++)
        names = apr_pstrcat(pfz_test_pool, names, " ", APR_ARRAY_IDX(files, i, const char *), NULL);
    return names;
}

/* A file's text, or "" when it cannot be read. */
static const char *text_of(const char *path)
{
    uint8_t *d;
    size_t n;
    const char *t;

    if (pfz__read_file(path, &d, &n, 1 << 20, pfz_test_pool) != APR_SUCCESS)
        return "";
    t = apr_pstrmemdup(pfz_test_pool, (const char *)d, n);
    free(d);
    return t;
}

#ifndef _WIN32
/* Control-file text without its COV lines. */
static const char *without_cov(const char *t)
{
    const char *p, *nl, *kept = "";

    for (p = t; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
        if (strncmp(p, "COV ", 4) != 0)
            kept = apr_pstrcat(pfz_test_pool, kept, apr_pstrndup(pfz_test_pool, p, (apr_size_t)(nl - p + 1)), NULL);
    return kept;
}
#endif

/* Inputs of varied coverage for the kinds target, with a crash, an abort
 * and a hang (-timeout=1) among them. Run order (size, then name): see the
 * control file. */
static void put_merge_inputs(const char *in)
{
    static const char *const c[] = {"!", "!x", "abc", "abd", "!Ca", "!y", "!z", "!Hq", "!Aa", "!HG",
                                    "!Hxx", "!Czz", "!xyz", "!yyyy", "!zzzzz", "!!!!!!", "hello!"};
    size_t i;

    CU_ASSERT_EQUAL_FATAL(apr_dir_make_recursive(in, APR_FPROT_OS_DEFAULT, pfz_test_pool), APR_SUCCESS);
    for (i = 0; i < sizeof c / sizeof c[0]; i++)
        put(in, apr_psprintf(pfz_test_pool, "in%02u", (unsigned)i), c[i]);
}

/* -workers=2 runs the merge in two workers at once, and the result is the
 * one worker's to the byte: the control file (records in input order,
 * though the other worker runs ahead while one crashes or hangs: the inputs
 * after a crash and a 1-second hang finish first), the files kept, the
 * MERGE-OUTER line. The crashing and hanging inputs are left out with their
 * STARTED and no FT; the merge goes on past them. */
static void test_merge_parallel_same_result(void)
{
    const char *dir = scratch("merge-par");
    const char *in = apr_pstrcat(pfz_test_pool, dir, "/in", NULL);
    const char *out[2], *ctl[2];
    int w, f[2], ft[2], e[2];
    run_t r;

    put_merge_inputs(in);
    for (w = 0; w < 2; w++) {
        const char *args[] = {"-merge=1", "-timeout=1", NULL, NULL, NULL, in, NULL};
        out[w] = apr_psprintf(pfz_test_pool, "%s/out%d", dir, w + 1);
        ctl[w] = apr_psprintf(pfz_test_pool, "%s/ctl%d", dir, w + 1);
        args[2] = apr_pstrcat(pfz_test_pool, "-merge_control_file=", ctl[w], NULL);
        args[3] = w == 0 ? "-workers=1" : "-workers=2";
        args[4] = out[w];
        r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0, NULL);
        CU_ASSERT_EQUAL(r.code, 0);
        show_on_failure(r.code == 0, &r);
        CU_ASSERT_FATAL(merge_outer(r.out, &f[w], &ft[w], &e[w]));
        /* (A sanitizer's slow crash report can outlast -timeout=1: then a
         * crash is called a hang. Either way it is left out.) */
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "in09' hangs"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "in04' "));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "in08' ")); /* abort */
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "in11' "));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "4 input(s) left out"));
        CU_ASSERT_EQUAL(strstr(r.out, "2 workers in parallel") != NULL, w == 1);
    }
    CU_ASSERT(f[0] == f[1] && ft[0] == ft[1] && e[0] == e[1]);
    CU_ASSERT(f[0] >= 3);
    CU_ASSERT_STRING_EQUAL(sorted_names(out[0]), sorted_names(out[1]));
    CU_ASSERT_STRING_EQUAL(text_of(ctl[0]), text_of(ctl[1]));
    if (strcmp(text_of(ctl[0]), text_of(ctl[1])) != 0)
        fprintf(stderr, "\n-workers=1:\n%s\n-workers=2:\n%s\n", text_of(ctl[0]), text_of(ctl[1]));
    {
        /* Every input has its STARTED, in order; the four failures no FT,
         * each followed by the next input's STARTED; the last one ran. */
        const char *t = text_of(ctl[1]), *p;
        int i, starts = 0, fts = 0;
        for (i = 0; i < 17; i++) {
            char rec[32];
            snprintf(rec, sizeof rec, "\nSTARTED %d ", i);
            CU_ASSERT_PTR_NOT_NULL(p = strstr(t, rec));
        }
        for (p = t; (p = strstr(p, "\nSTARTED ")) != NULL; p++)
            starts++;
        for (p = t; (p = strstr(p, "\nFT ")) != NULL; p++)
            fts++;
        CU_ASSERT_EQUAL(starts, 17);
        CU_ASSERT_EQUAL(fts, 13);
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "\nSTARTED 6 3\nSTARTED 7 3\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "\nSTARTED 8 3\nSTARTED 9 3\nSTARTED 10 4\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "\nSTARTED 11 4\nSTARTED 12 4\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "\nFT 16 "));
    }
}

#ifndef _WIN32
/* SIGKILL of a -workers=2 merge while one worker hangs and the other has run
 * the inputs after it: nothing after the hang's STARTED is in the control
 * file (records stay in input order), and the merge resumed with the same
 * command runs those inputs again, skips the hang as libFuzzer would, and
 * keeps what an uninterrupted merge keeps, with the same STARTED and FT
 * records (COV lists each edge once per run, so it may differ). */
static void test_merge_parallel_resume_after_kill(void)
{
    const char *dir = scratch("merge-par-resume");
    const char *in = apr_pstrcat(pfz_test_pool, dir, "/in", NULL);
    const char *out = apr_pstrcat(pfz_test_pool, dir, "/out", NULL);
    const char *ref = apr_pstrcat(pfz_test_pool, dir, "/ref", NULL);
    const char *ref_ctl = apr_pstrcat(pfz_test_pool, dir, "/ref-ctl", NULL);
    const char *args[] = {"-merge=1", "-workers=2", "-timeout=60", NULL, out, in, NULL};
    const char *rargs[] = {"-merge=1", "-workers=1", "-timeout=1", NULL, ref, in, NULL};
    const char *t, *hang_rec = "\nSTARTED 9 3\n";
    int f, ft, e, rf, rft, re;
    run_t r;

    put_merge_inputs(in);
    resume_ctl = apr_pstrcat(pfz_test_pool, dir, "/ctl", NULL);
    resume_wait = hang_rec + 1;
    args[3] = apr_pstrcat(pfz_test_pool, "-merge_control_file=", resume_ctl, NULL);
    rargs[3] = apr_pstrcat(pfz_test_pool, "-merge_control_file=", ref_ctl, NULL);
    during_run = wait_for_hang_started;
    interrupt_signal = 9; /* SIGKILL */
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 1.0, NULL);
    interrupt_signal = 2;
    during_run = NULL;
    CU_ASSERT(r.signaled && r.code == 128 + 9);
    t = text_of(resume_ctl);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, hang_rec));
    CU_ASSERT(strlen(t) > strlen(hang_rec) && strcmp(t + strlen(t) - strlen(hang_rec), hang_rec) == 0);
    apr_sleep(300000); /* the workers die with the coordinator (parent-death signal) */
    r = run_target(pfz_test_target("tests/targets/kinds"), args, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    show_on_failure(r.code == 0, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "in09' will be skipped as unlucky"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "MERGE-INNER: 17 total files; 10 processed earlier; will process 7 files now"));
    CU_ASSERT_PTR_NULL(strstr(r.out, "hangs")); /* not run again: no 60 s timeout */
    CU_ASSERT(r.seconds < 30);
    CU_ASSERT_FATAL(merge_outer(r.out, &f, &ft, &e));
    r = run_target(pfz_test_target("tests/targets/kinds"), rargs, NULL, dir, 0, NULL);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_FATAL(merge_outer(r.out, &rf, &rft, &re));
    CU_ASSERT(f == rf && ft == rft && e == re);
    CU_ASSERT_STRING_EQUAL(sorted_names(out), sorted_names(ref));
    CU_ASSERT_STRING_EQUAL(without_cov(text_of(resume_ctl)), without_cov(text_of(ref_ctl)));
}
#endif

void pfz_test_register_e2e(void)
{
    CU_pSuite s = pfz_test_suite("e2e");
    PFZ_TEST_ADD(s, test_bad_command_lines);
    PFZ_TEST_ADD(s, test_runs_and_corpus);
    PFZ_TEST_ADD(s, test_reduce_inputs);
    PFZ_TEST_ADD(s, test_planted_crash_found_and_reproduced);
    PFZ_TEST_ADD(s, test_merge);
    PFZ_TEST_ADD(s, test_dict_and_plot);
    PFZ_TEST_ADD(s, test_coord_stats);
    PFZ_TEST_ADD(s, test_reload);
    PFZ_TEST_ADD(s, test_entries_not_rerun);
    PFZ_TEST_ADD(s, test_seed_batch_crash);
    PFZ_TEST_ADD(s, test_feature_cache);
    PFZ_TEST_ADD(s, test_minimize_file);
    PFZ_TEST_ADD(s, test_keep_going_every_kind);
    PFZ_TEST_ADD(s, test_interrupt_keeps_findings);
    PFZ_TEST_ADD(s, test_keep_going_two_abort_sites);
    PFZ_TEST_ADD(s, test_keep_going_two_hang_sites);
    PFZ_TEST_ADD(s, test_segv_stack_names_function);
    PFZ_TEST_ADD(s, test_slow_crash_report_still_crash);
    PFZ_TEST_ADD(s, test_asan_report_unchanged);
    PFZ_TEST_ADD(s, test_finds_magic);
    PFZ_TEST_ADD(s, test_finds_cmp64);
    PFZ_TEST_ADD(s, test_finds_switch_chain);
    PFZ_TEST_ADD(s, test_finds_strcmp_secret);
    PFZ_TEST_ADD(s, test_finds_heap_overflow);
    PFZ_TEST_ADD(s, test_finds_libc_compare);
    PFZ_TEST_ADD(s, test_finds_crc_field);
    PFZ_TEST_ADD(s, test_finds_leak);
    PFZ_TEST_ADD(s, test_flood_then_asan_report_kept);
    PFZ_TEST_ADD(s, test_minimizer_output_captured);
    PFZ_TEST_ADD(s, test_unwritable_artifact_prefix);
    PFZ_TEST_ADD(s, test_exact_artifact_path_keeps_every_finding);
    PFZ_TEST_ADD(s, test_sigkill_leaves_no_files);

    s = pfz_test_suite("libfuzzer");
    PFZ_TEST_ADD(s, test_cli_unknown_flags_warn);
    PFZ_TEST_ADD(s, test_cli_missing_paths);
    PFZ_TEST_ADD(s, test_cli_fifo_positional);
    PFZ_TEST_ADD(s, test_cli_fifo_in_corpus_skipped);
    PFZ_TEST_ADD(s, test_cli_big_seed_max_len);
    PFZ_TEST_ADD(s, test_cli_timeout_zero);
    PFZ_TEST_ADD(s, test_merge_two_step);
    PFZ_TEST_ADD(s, test_merge_prune);
    PFZ_TEST_ADD(s, test_merge_resume_after_kill);
    PFZ_TEST_ADD(s, test_merge_resume_after_interrupt);
    PFZ_TEST_ADD(s, test_merge_parallel_same_result);
#ifndef _WIN32
    PFZ_TEST_ADD(s, test_merge_parallel_resume_after_kill);
#endif

    s = pfz_test_suite("hostile");
    PFZ_TEST_ADD(s, test_hostile_slow_init_time_limit);
#ifndef _WIN32
    PFZ_TEST_ADD(s, test_hostile_forked_child_holds_pipe);
    PFZ_TEST_ADD(s, test_hostile_daemon_holds_pipe);
#ifdef __linux__
    PFZ_TEST_ADD(s, test_hostile_zombies_reaped);
#endif
    PFZ_TEST_ADD(s, test_hostile_closes_channels);
    PFZ_TEST_ADD(s, test_hostile_reply_garbage);
    PFZ_TEST_ADD(s, test_hostile_header_overwrite);
    PFZ_TEST_ADD(s, test_hostile_truncate_region);
    PFZ_TEST_ADD(s, test_hostile_sigkill_keep_going);
    PFZ_TEST_ADD(s, test_hostile_restart_storm);
    PFZ_TEST_ADD(s, test_interrupt_latency_minimize);
    PFZ_TEST_ADD(s, test_interrupt_latency_merge);
    PFZ_TEST_ADD(s, test_interrupt_latency_fuzz);
#endif

    s = pfz_test_suite("ossfuzz_link");
#ifndef _WIN32
    PFZ_TEST_ADD(s, test_oss_every_coverage_mode);
    PFZ_TEST_ADD(s, test_oss_c_none);
    PFZ_TEST_ADD(s, test_oss_c_address);
    PFZ_TEST_ADD(s, test_oss_cxx_none);
    PFZ_TEST_ADD(s, test_oss_cxx_address);
#else
    PFZ_TEST_ADD(s, test_oss_linux_only);
#endif
}

/* The helpers above, for the suites of other files (test-surface.c). */
pfz_test_run_t pfz_test_run(const char *target, const char *const *args, const char *const *env,
                            const char *dir)
{
    run_t r = run_target(target, args, env, dir, 0, NULL);
    pfz_test_run_t o;

    o.code = r.code;
    o.signaled = r.signaled;
    o.out = r.out;
    o.seconds = r.seconds;
    return o;
}

const char *pfz_test_scratch(const char *name)
{
    return scratch(name);
}

apr_array_header_t *pfz_test_artifacts(const char *dir, const char *prefix)
{
    return artifacts(dir, prefix);
}
