/* runner.c -- runs the CUnit suites, or acts as a helper child when started
 * with PFZ_TEST_CHILD set (see tests.h).
 *
 *   runner                  every suite, each in a child process of its own
 *   runner --isolate [S...] the same, for the named suites only
 *   runner S...             the named suites in this process (for debugging)
 *   runner --list           the suite names, one per line
 *
 * Isolated suites: the runner re-executes itself (through APR, so it works
 * under Wine too) as `runner --result=FILE SUITE`, streams the child's output,
 * and kills a suite that runs past its time limit together with everything it
 * started (POSIX: the child's process group; Windows: a kill-on-close job
 * object), so that one hang names itself and the next suite still runs.
 * Limits: 600 s for e2e, 300 s for the others; PFZ_TEST_TIMEOUT=<s> sets all,
 * PFZ_TEST_TIMEOUT_<SUITE>=<s> (upper case, e.g. PFZ_TEST_TIMEOUT_E2E) one.
 * At the end: CUnit-style totals over all children and "N passed, N failed"
 * (tests); the exit status is 1 if any suite failed, crashed or timed out. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_env.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_time.h>
#include <CUnit/Basic.h>

#ifdef _WIN32
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#else
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#endif

#include "tests.h"
#include "coverage.h"
#include "platform.h"

apr_pool_t *pfz_test_pool;
const char *pfz_test_self;

CU_pSuite pfz_test_suite(const char *name)
{
    CU_pSuite s = CU_add_suite(name, NULL, NULL);
    if (s == NULL) {
        fprintf(stderr, "runner: cannot add suite %s: %s\n", name, CU_get_error_msg());
        exit(2);
    }
    return s;
}

int pfz_test_spawn_refused(int attempt, apr_status_t st)
{
    char msg[160];

    if (attempt >= 5)
        return 0;
    fprintf(stderr, "(spawn refused: %s; retrying) ", apr_strerror(st, msg, sizeof msg));
    apr_sleep((apr_interval_time_t)50000 << (attempt - 1));
    return 1;
}

const char *pfz_test_target(const char *rel)
{
    return apr_pstrcat(pfz_test_pool, PFZ_BUILDDIR, "/", rel, PFZ_EXEEXT, NULL);
}

static int run_child(const char *mode)
{
    if (strcmp(mode, "shm") == 0)
        return pfz_test_child_shm();
    if (strcmp(mode, "worker") == 0)
        return pfz_test_child_worker();
    if (strcmp(mode, "outcap") == 0)
        return pfz_test_child_outcap();
    fprintf(stderr, "runner: unknown PFZ_TEST_CHILD mode '%s'\n", mode);
    return 2;
}

/* ------------------------------------------------------- in-process runs */

/* Counts of one or more suite runs (CUnit resets its own per run). */
typedef struct tally {
    unsigned suites, suites_ran, suites_failed;
    unsigned tests, tests_ran, tests_failed, tests_inactive;
    unsigned asserts, asserts_failed;
} tally_t;

static void tally_add_run(tally_t *t)
{
    CU_pRunSummary s = CU_get_run_summary();

    t->suites_ran += s->nSuitesRun;
    t->suites_failed += s->nSuitesFailed;
    t->tests_ran += s->nTestsRun;
    t->tests_failed += s->nTestsFailed;
    t->tests_inactive += s->nTestsInactive;
    t->asserts += s->nAsserts;
    t->asserts_failed += s->nAssertsFailed;
}

/* Runs the named suites here. With result_path, writes the counts there for
 * the isolating parent (which cannot trust a child's output to be parseable). */
static int run_in_process(int n, char **names, const char *result_path)
{
    tally_t t;
    int i, failed = 0;

    memset(&t, 0, sizeof t);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    for (i = 0; i < n; i++) {
        CU_pSuite s = CU_get_suite(names[i]);
        if (s == NULL) {
            fprintf(stderr, "runner: no suite named '%s' (runner --list shows them)\n", names[i]);
            return 2;
        }
        t.suites++;
        t.tests += s->uiNumberOfTests;
        if (CU_basic_run_suite(s) != CUE_SUCCESS)
            failed = 1;
        tally_add_run(&t);
    }
    if (t.tests_failed || t.asserts_failed || t.suites_failed)
        failed = 1;
    /* A run that executed nothing is a failure too: a test that cannot fail is a defect. */
    if (t.tests_ran == 0) {
        fprintf(stderr, "runner: no test ran\n");
        failed = 1;
    }
    if (result_path != NULL) {
        FILE *f = fopen(result_path, "w");
        if (f == NULL || fprintf(f, "%u %u %u %u %u\n", t.tests_ran, t.tests_failed,
                                 t.tests_inactive, t.asserts, t.asserts_failed) < 0 ||
            fclose(f) != 0) {
            fprintf(stderr, "runner: cannot write the result file %s\n", result_path);
            failed = 1;
        }
    }
    return failed ? 1 : 0;
}

/* ---------------------------------------------------- isolated children */

/* A running suite child and what keeps its descendants together. */
typedef struct suite_child {
    apr_proc_t proc;
#ifdef _WIN32
    HANDLE job; /* kill-on-close: the suite dies with the runner too */
#endif
} suite_child_t;

#ifdef _WIN32
/* A console event (Ctrl-C, Ctrl-Break, close) that reached the runner. Its
 * default handling would end the runner with exit status 0 under Wine (seen
 * once: the run stopped silently after two suites, "successfully"), so it is
 * caught, and the run stops with the suite running then named as failed. The
 * suite children keep the default handling (a handler function, unlike
 * SetConsoleCtrlHandler(NULL, TRUE), is not inherited). */
static volatile LONG console_event = -1;

static BOOL WINAPI on_console_event(DWORD event)
{
    InterlockedCompareExchange(&console_event, (LONG)event, -1);
    return TRUE;
}
#else
/* The process group of the suite running now, for the signal handler. */
static volatile sig_atomic_t current_group;

/* Ctrl-C / kill of the runner: the suite's group is not in the terminal's
 * foreground group, so it must be ended by hand, or it would run on. */
static void on_fatal_signal(int sig)
{
    pid_t g = (pid_t)current_group;

    if (g > 0)
        kill(-g, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

/* The time limit of one suite, in seconds. */
static long suite_limit(const char *name, apr_pool_t *pool)
{
    char *var = apr_pstrcat(pool, "PFZ_TEST_TIMEOUT_", name, NULL), *v, *c;
    long limit = strcmp(name, "e2e") == 0 ? 600 : 300;

    for (c = var; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    if ((v = getenv(var)) == NULL || atol(v) <= 0)
        v = getenv("PFZ_TEST_TIMEOUT");
    if (v != NULL && atol(v) > 0)
        limit = atol(v);
    return limit;
}

static apr_status_t child_start(suite_child_t *c, const char *name, const char *result_path,
                                apr_file_t *out, apr_pool_t *pool)
{
    const char *argv[4];
    apr_procattr_t *attr;
    apr_status_t st;

    argv[0] = pfz_test_self;
    argv[1] = apr_pstrcat(pool, "--result=", result_path, NULL);
    argv[2] = name;
    argv[3] = NULL;
    memset(c, 0, sizeof *c);
    if ((st = apr_procattr_create(&attr, pool)) != APR_SUCCESS ||
        (st = apr_procattr_child_out_set(attr, out, NULL)) != APR_SUCCESS ||
        (st = apr_procattr_child_err_set(attr, out, NULL)) != APR_SUCCESS ||
        (st = apr_procattr_cmdtype_set(attr, APR_PROGRAM_ENV)) != APR_SUCCESS ||
        (st = apr_proc_create(&c->proc, pfz_test_self, argv, NULL, attr, pool)) != APR_SUCCESS)
        return st;
#ifdef _WIN32
    {
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION info;
        HANDLE h = OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, FALSE, (DWORD)c->proc.pid);

        /* The child is already running (APR cannot start it suspended), but
         * it starts nothing before it has set itself up, long after this. */
        memset(&info, 0, sizeof info);
        info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        c->job = CreateJobObjectW(NULL, NULL);
        if (c->job == NULL || h == NULL ||
            !SetInformationJobObject(c->job, JobObjectExtendedLimitInformation, &info,
                                     sizeof info) ||
            !AssignProcessToJobObject(c->job, h)) {
            fprintf(stderr, "runner: WARNING: cannot put suite %s (pid %ld) in a job object "
                    "(Win32 error %lu): if it hangs, only the suite process itself is killed\n",
                    name, (long)c->proc.pid, (unsigned long)GetLastError());
            if (c->job != NULL)
                CloseHandle(c->job);
            c->job = NULL;
        }
        if (h != NULL)
            CloseHandle(h);
    }
#else
    /* The child also does this itself first thing; whichever comes first
     * wins, and later the group exists either way. */
    setpgid(c->proc.pid, c->proc.pid);
    current_group = (sig_atomic_t)c->proc.pid;
#endif
    return APR_SUCCESS;
}

/* Prints the processes still in the suite's group / job (for a hang: which
 * process was still alive), one "pid N (name)" per line; returns how many. */
static int child_list_leftovers(suite_child_t *c, const char *prefix)
{
    int n = 0;
#ifdef _WIN32
    union {
        JOBOBJECT_BASIC_PROCESS_ID_LIST l;
        char room[sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) + 256 * sizeof(ULONG_PTR)];
    } ids;
    DWORD i;

    if (c->job == NULL)
        return 0;
    memset(&ids, 0, sizeof ids);
    ids.l.NumberOfAssignedProcesses = 256;
    if (!QueryInformationJobObject(c->job, JobObjectBasicProcessIdList, &ids, sizeof ids, NULL) &&
        GetLastError() != ERROR_MORE_DATA)
        return 0;
    for (i = 0; i < ids.l.NumberOfProcessIdsInList; i++) {
        DWORD pid = (DWORD)ids.l.ProcessIdList[i];
        HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
        wchar_t wname[MAX_PATH];
        char name[3 * MAX_PATH];
        DWORD len = MAX_PATH;

        if (h != NULL && QueryFullProcessImageNameW(h, 0, wname, &len) &&
            WideCharToMultiByte(CP_UTF8, 0, wname, (int)len + 1, name, sizeof name, NULL, NULL) > 0)
            printf("%spid %lu (%s)\n", prefix, (unsigned long)pid, name);
        else
            printf("%spid %lu\n", prefix, (unsigned long)pid);
        if (h != NULL)
            CloseHandle(h);
        n++;
    }
#elif defined(__linux__)
    DIR *d = opendir("/proc");
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300], buf[512], *rp;
        FILE *f;
        long pgrp = 0;
        size_t len;

        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        /* "pid (comm) state ppid pgrp ...": comm may hold anything, so
         * parse after its last ')'. */
        if ((rp = strrchr(buf, ')')) == NULL || sscanf(rp + 1, " %*c %*d %ld", &pgrp) != 1 ||
            pgrp != (long)c->proc.pid)
            continue;
        *rp = '\0';
        printf("%spid %s %s)\n", prefix, e->d_name, strchr(buf, '(') ? strchr(buf, '(') : "");
        n++;
    }
    if (d != NULL)
        closedir(d);
#else
    (void)c;
    (void)prefix;
#endif
    return n;
}

/* Ends the suite's whole group / job (the child itself included). */
static void child_kill_all(suite_child_t *c)
{
#ifdef _WIN32
    if (c->job != NULL)
        TerminateJobObject(c->job, 0xDEAD);
    apr_proc_kill(&c->proc, 9); /* no job, or not in it: the child at least (APR: TerminateProcess) */
#else
    if (kill(-c->proc.pid, SIGKILL) != 0 && errno == ESRCH)
        kill(c->proc.pid, SIGKILL);
#endif
}

static void child_release(suite_child_t *c)
{
#ifdef _WIN32
    if (c->job != NULL) {
        TerminateJobObject(c->job, 0xDEAD);
        CloseHandle(c->job);
        c->job = NULL;
    }
#else
    kill(-c->proc.pid, SIGKILL); /* whatever the suite left in its group */
    current_group = 0;
#endif
}

/* Copies what the child wrote since the last call to our stdout, counting
 * CUnit's "passed" / "FAILED" verdicts (at line ends) (for a suite that never reports
 * its counts); `carry` keeps the end of the previous chunk so a verdict split
 * between two reads is still seen. */
typedef struct stream {
    apr_file_t *in;
    char carry[16];
    apr_size_t ncarry;
    unsigned passed, failed;
} stream_t;

/* Occurrences of `word` followed by a line end ('\n', or '\r' from a
 * Windows child's text-mode stdout). */
static unsigned count_verdicts(const char *s, apr_size_t n, const char *word)
{
    apr_size_t w = strlen(word), i;
    unsigned k = 0;

    for (i = 0; i + w < n; i++)
        if (memcmp(s + i, word, w) == 0 && (s[i + w] == '\n' || s[i + w] == '\r'))
            k++;
    return k;
}

static void stream_pump(stream_t *s)
{
    char buf[16 + 8192];
    apr_size_t n;

    for (;;) {
        n = sizeof buf - sizeof s->carry;
        memcpy(buf, s->carry, s->ncarry);
        if (apr_file_read(s->in, buf + s->ncarry, &n) != APR_SUCCESS || n == 0)
            return;
        fwrite(buf + s->ncarry, 1, n, stdout);
        n += s->ncarry;
        /* Counted in the carry plus the new bytes: a match (7 bytes) cannot
         * lie wholly in the 6-byte carry, so none is counted twice. */
        s->passed += count_verdicts(buf, n, "passed");
        s->failed += count_verdicts(buf, n, "FAILED");
        s->ncarry = n < 6 ? n : 6;
        memmove(s->carry, buf + n - s->ncarry, s->ncarry);
    }
}

/* The last `max` bytes of a file, from a line start, for a timeout report. */
static void print_tail(const char *path, apr_off_t max, apr_pool_t *pool)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_off_t off;
    apr_size_t n;
    apr_status_t st;
    char *buf, *p;

    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, pool) !=
        APR_SUCCESS)
        return;
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) == APR_SUCCESS) {
        off = fi.size > max ? fi.size - max : 0;
        buf = apr_palloc(pool, (apr_size_t)max + 1);
        n = 0;
        st = apr_file_seek(f, APR_SET, &off);
        if (st == APR_SUCCESS)
            st = apr_file_read_full(f, buf, (apr_size_t)max, &n);
        if (st == APR_SUCCESS || APR_STATUS_IS_EOF(st)) {
            buf[n] = '\0';
            p = off > 0 && strchr(buf, '\n') != NULL ? strchr(buf, '\n') + 1 : buf;
            printf("----- last %lu bytes of its output -----\n%s%s----- end of its output -----\n",
                   (unsigned long)strlen(p), p, n > 0 && buf[n - 1] != '\n' ? "\n" : "");
        }
    }
    apr_file_close(f);
}

/* Reads the counts a child wrote with --result; 0 if there are none. */
static int read_result(const char *path, tally_t *r)
{
    FILE *f = fopen(path, "r");
    int ok;

    if (f == NULL)
        return 0;
    ok = fscanf(f, "%u %u %u %u %u", &r->tests_ran, &r->tests_failed, &r->tests_inactive,
                &r->asserts, &r->asserts_failed) == 5;
    fclose(f);
    return ok;
}

/* Runs one suite in a child; adds its counts to *total; returns 0 if it
 * passed. `why` gets a short reason when it did not. */
static int run_isolated_suite(CU_pSuite s, tally_t *total, char *why, size_t whylen,
                              apr_pool_t *pool)
{
    const char *tmp = pfz__temp_dir(pool);
    char *log_path = apr_pstrcat(pool, tmp, "/pfz-suite-", s->pName, "-XXXXXX", NULL);
    char *result_path;
    apr_file_t *out = NULL;
    stream_t so;
    suite_child_t c;
    tally_t r;
    apr_status_t st;
    apr_exit_why_e how = APR_PROC_EXIT;
    int code = -1, timed_out = 0, done = 0, failed = 1, setup_failed = 0;
    long limit = suite_limit(s->pName, pool);
    apr_time_t t0 = apr_time_now(), deadline = t0 + apr_time_from_sec(limit);
    double secs;

    memset(&so, 0, sizeof so);
    memset(&r, 0, sizeof r);
    why[0] = '\0';
    total->suites++;
    total->tests += s->uiNumberOfTests;
    /* The child's stdout and stderr go to a file (not a pipe: nothing can
     * block on it, and it is all there to show after a kill). */
    if ((st = apr_file_mktemp(&out, log_path, APR_FOPEN_CREATE | APR_FOPEN_READ |
                              APR_FOPEN_WRITE | APR_FOPEN_EXCL | APR_FOPEN_BINARY, pool)) !=
            APR_SUCCESS ||
        (st = apr_file_open(&so.in, log_path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                            APR_FPROT_OS_DEFAULT, pool)) != APR_SUCCESS) {
        snprintf(why, whylen, "cannot create its log file %s in %s (set TMPDIR/TMP to a writable "
                 "directory)", log_path, tmp);
        setup_failed = 1;
        goto done;
    }
    result_path = apr_pstrcat(pool, log_path, ".result", NULL);
    apr_file_remove(result_path, pool);
    printf("\n===== suite %s (time limit %ld s) =====\n", s->pName, limit);
    fflush(stdout);
    if ((st = child_start(&c, s->pName, result_path, out, pool)) != APR_SUCCESS) {
        char msg[120];
        snprintf(why, whylen, "cannot start %s for it: %s", pfz_test_self,
                 apr_strerror(st, msg, sizeof msg));
        setup_failed = 1;
        goto done;
    }
    apr_file_close(out);
    out = NULL;
    while (!done) {
        st = apr_proc_wait(&c.proc, &code, &how, APR_NOWAIT);
        stream_pump(&so);
        if (APR_STATUS_IS_CHILD_DONE(st)) {
            done = 1;
        } else if (!APR_STATUS_IS_CHILD_NOTDONE(st)) {
            char msg[120];
            snprintf(why, whylen, "waiting for it failed: %s", apr_strerror(st, msg, sizeof msg));
            child_kill_all(&c);
            apr_proc_wait(&c.proc, &code, &how, APR_WAIT);
            done = 1;
#ifdef _WIN32
        } else if (console_event >= 0) {
            snprintf(why, whylen, "interrupted by console event %ld (0 Ctrl-C, 1 Ctrl-Break, "
                     "2 close) after %.1f s", (long)console_event,
                     (double)(apr_time_now() - t0) / APR_USEC_PER_SEC);
            printf("\nsuite %s %s; still running in it:\n", s->pName, why);
            child_list_leftovers(&c, "    ");
            child_kill_all(&c);
            apr_proc_wait(&c.proc, &code, &how, APR_WAIT);
            stream_pump(&so);
            done = 1;
#endif
        } else if (apr_time_now() > deadline) {
            timed_out = 1;
            printf("\nsuite %s timed out after %ld s; still running in it:\n", s->pName, limit);
            if (child_list_leftovers(&c, "    ") == 0)
                printf("    (the process list is not available on this system)\n");
            child_kill_all(&c);
            apr_proc_wait(&c.proc, &code, &how, APR_WAIT);
            stream_pump(&so);
            done = 1;
        } else {
            apr_sleep(50000);
        }
    }
    fflush(stdout);
    if (!timed_out && child_list_leftovers(&c, "    ") > 0)
        printf("runner: WARNING: suite %s left the processes above running; killed them\n",
               s->pName);
    child_release(&c);
    secs = (double)(apr_time_now() - t0) / APR_USEC_PER_SEC;

    if (why[0] != '\0') {
        printf("suite %s %s\n", s->pName, why);
        print_tail(log_path, 4096, pool);
    } else if (timed_out) {
        snprintf(why, whylen, "timed out after %ld s", limit);
        printf("suite %s timed out after %ld s\n", s->pName, limit);
        print_tail(log_path, 4096, pool);
    } else if (!read_result(result_path, &r)) {
        if (how == APR_PROC_SIGNAL || how == APR_PROC_SIGNAL_CORE)
            snprintf(why, whylen, "crashed (signal %d) after %.1f s", code, secs);
        else
            snprintf(why, whylen, "ended (exit status %d / 0x%x) after %.1f s without its "
                     "results", code, (unsigned)code, secs);
        printf("suite %s %s\n", s->pName, why);
        print_tail(log_path, 4096, pool);
    } else {
        failed = code != 0 || r.tests_failed || r.asserts_failed;
        if (failed)
            snprintf(why, whylen, "%u of %u tests failed (exit status %d)", r.tests_failed,
                     r.tests_ran, code);
        printf("suite %s: %u passed, %u failed in %.1f s\n", s->pName,
               r.tests_ran - r.tests_failed, r.tests_failed, secs);
    }
    if (timed_out || why[0] != '\0') {
        if (!read_result(result_path, &r)) {
            /* No counts: the tests that printed "passed" passed, every
             * other test of the suite counts as failed. */
            r.tests_ran = so.passed + so.failed;
            r.tests_failed = s->uiNumberOfTests > so.passed ? s->uiNumberOfTests - so.passed : 1;
            if (r.tests_failed + so.passed > r.tests_ran)
                r.tests_ran = r.tests_failed + so.passed;
        }
        failed = 1;
    }
    total->suites_ran += timed_out ? 0 : 1;
    total->suites_failed += failed;
    total->tests_ran += r.tests_ran;
    total->tests_failed += r.tests_failed;
    total->tests_inactive += r.tests_inactive;
    total->asserts += r.asserts;
    total->asserts_failed += r.asserts_failed;
    fflush(stdout);
    apr_file_remove(result_path, pool);
done:
    if (setup_failed) {
        /* It could not be started: every test of it counts as failed. */
        printf("suite %s: %s\n", s->pName, why);
        total->suites_failed++;
        total->tests_ran += s->uiNumberOfTests;
        total->tests_failed += s->uiNumberOfTests;
    }
    if (out != NULL)
        apr_file_close(out);
    if (so.in != NULL) {
        apr_file_close(so.in);
        apr_file_remove(log_path, pool);
    }
    return failed;
}

static int run_isolated(int n, char **names)
{
    CU_pSuite s;
    tally_t t;
    apr_pool_t *pool;
    char why[256];
    char *failures = "";
    apr_time_t t0 = apr_time_now();
    int i, nfailed = 0;

    memset(&t, 0, sizeof t);
#ifdef _WIN32
    /* The children's output is copied byte for byte, line ends included. */
    _setmode(_fileno(stdout), _O_BINARY);
    SetConsoleCtrlHandler(on_console_event, TRUE);
#else
    signal(SIGINT, on_fatal_signal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGHUP, on_fatal_signal);
#endif
    for (i = 0; i < n; i++)
        if (CU_get_suite(names[i]) == NULL) {
            fprintf(stderr, "runner: no suite named '%s' (runner --list shows them)\n", names[i]);
            return 2;
        }
    for (s = CU_get_registry()->pSuite; s != NULL; s = s->pNext) {
        int wanted = n == 0;
        for (i = 0; i < n && !wanted; i++)
            wanted = strcmp(names[i], s->pName) == 0;
        if (!wanted)
            continue;
        if (s->uiNumberOfTests == 0) { /* e.g. a POSIX-only suite on Windows */
            printf("suite %s: no tests on this platform; skipped\n", s->pName);
            continue;
        }
        apr_pool_create(&pool, pfz_test_pool);
        if (run_isolated_suite(s, &t, why, sizeof why, pool)) {
            nfailed++;
            failures = apr_psprintf(pfz_test_pool, "%s    %s: %s\n", failures, s->pName,
                                    why[0] ? why : "failed");
        }
        apr_pool_destroy(pool);
#ifdef _WIN32
        if (console_event >= 0) {
            printf("runner: stopping after a console event (%ld); the suites after %s did not "
                   "run\n", (long)console_event, s->pName);
            nfailed++;
            break;
        }
#endif
    }
    /* The lines scripts/test.sh shows, as CUnit prints them for one run. */
    printf("\n\nRun Summary (every suite in its own process):\n"
           "Run Summary:    Type  Total    Ran Passed Failed Inactive\n"
           "              suites %6u %6u    n/a %6u %8u\n"
           "               tests %6u %6u %6u %6u %8u\n"
           "             asserts %6u %6u %6u %6u      n/a\n\n"
           "Elapsed time = %8.3f seconds\n",
           t.suites, t.suites_ran, t.suites_failed, 0u, t.tests, t.tests_ran,
           t.tests_ran - t.tests_failed, t.tests_failed, t.tests_inactive, t.asserts, t.asserts,
           t.asserts - t.asserts_failed, t.asserts_failed,
           (double)(apr_time_now() - t0) / APR_USEC_PER_SEC);
    if (nfailed)
        printf("suites that failed:\n%s", failures);
    if (t.tests_ran == 0 && nfailed == 0) {
        printf("runner: no test ran\n");
        nfailed = 1;
    }
    printf("%u passed, %u failed\n", t.tests_ran - t.tests_failed, t.tests_failed);
    fflush(stdout);
    return nfailed ? 1 : 0;
}

static void register_all(void)
{
    pfz_test_register_rpc();
    pfz_test_register_options();
    pfz_test_register_misc();
    pfz_test_register_shm();
    pfz_test_register_client();
    pfz_test_register_dict();
    pfz_test_register_mergectl();
    pfz_test_register_mutator();
    pfz_test_register_coverage();
    pfz_test_register_sched();
    pfz_test_register_signature();
    pfz_test_register_surface();
    pfz_test_register_outcap();
    pfz_test_register_e2e();
    pfz_test_register_fault();
}

int main(int argc, char **argv)
{
    const char *child = getenv("PFZ_TEST_CHILD");
    const char *result_path = NULL;
    char *self = NULL;
    CU_pSuite s;
    int rc, first = 1;

    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&pfz_test_pool, NULL) != APR_SUCCESS) {
        fprintf(stderr, "runner: cannot initialise APR\n");
        return 2;
    }
    if (pfz__self_exe(&self, pfz_test_pool) != APR_SUCCESS)
        self = argv[0];
    pfz_test_self = self;
    if (child != NULL && *child)
        return run_child(child);
    /* Every campaign a test starts runs its corpus inputs: none may take
     * them from the feature cache an earlier test (or run) filled, or what
     * a test sees would depend on what ran before. The feature cache's own
     * tests name their cache with -feature_cache=DIR. */
    apr_env_set("PORTFUZZ_FEATURE_CACHE", "0", pfz_test_pool);
    if (argc > 1 && strncmp(argv[1], "--result=", 9) == 0) {
        /* A suite child of an isolating runner: in a process group of its
         * own (so that a timeout kills what it started), dying with the
         * runner, and unbuffered, so that a kill loses no output. */
        result_path = argv[1] + 9;
        first = 2;
#ifndef _WIN32
        setpgid(0, 0);
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
#endif
        setvbuf(stdout, NULL, _IONBF, 0);
    }
    /* Unit tests run in many threads; the comparison table records only when
     * a suite asks for it (the coverage suite sets it itself). */
    pfz__cov_set_running(0);

    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "runner: cannot initialise CUnit\n");
        return 2;
    }
    register_all();

    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (s = CU_get_registry()->pSuite; s != NULL; s = s->pNext)
            printf("%s\n", s->pName);
        rc = 0;
    } else if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--isolate") != 0 &&
               result_path == NULL) {
        fprintf(stderr, "runner: unknown option '%s'\nusage: runner [--isolate] [SUITE...] | "
                "runner SUITE... | runner --list\n", argv[1]);
        rc = 2;
    } else if (argc == 1 || strcmp(argv[1], "--isolate") == 0) {
        rc = run_isolated(argc == 1 ? 0 : argc - 2, argv + 2);
    } else if (result_path != NULL && argc != 3) {
        fprintf(stderr, "runner: --result= takes exactly one suite\n");
        rc = 2;
    } else {
        rc = run_in_process(argc - first, argv + first, result_path);
    }
    CU_cleanup_registry();
    apr_pool_destroy(pfz_test_pool);
    apr_terminate();
    return rc;
}
