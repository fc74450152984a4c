/* test-shm.c -- the shared-memory region and worker processes (platform.h),
 * tested across real processes: the runner re-executes itself as a worker
 * (PFZ_TEST_CHILD=shm, sub-mode in PFZ_TEST_SHM_MODE) that inspects what it
 * inherited, talks over the pipes, and reads/writes the region.
 *
 * The descriptor checks (fds 3/4/5, no strays, FD_CLOEXEC) and the signal
 * classifications are POSIX-specific and compiled only there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>

#include <apr_env.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_time.h>
#include <CUnit/CUnit.h>

#ifndef _WIN32
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#else
#include <windows.h>
#include <shellapi.h>
#endif

#include "tests.h"
#include "coverage.h"
#include "outcap.h"
#include "platform.h"
#include "wire.h"

#define ENV_MODE "PFZ_TEST_SHM_MODE"
#define PAT_LEN 4096u
#define REGION_SIZE (PFZ__SHM_VALUE_OFFSET + 2 * PAT_LEN)
#define GROWN_SIZE (REGION_SIZE * 5 + 123)
#define MARK_LEN 64u
#define IO_TIMEOUT (10 * APR_USEC_PER_SEC)

/* Exit statuses of the child (besides 0). */
#define CHILD_EFDS 10    /* inherited descriptors wrong */
#define CHILD_ESHM 11    /* region missing or wrong */
#define CHILD_EPIPE 12   /* channel I/O failed */
#define CHILD_EENV 13    /* environment wrong */
#define CHILD_ECHECK 14  /* an expected failure did not happen */
#define CHILD_EXIT3 3    /* exit3 mode */

static apr_byte_t pattern(apr_size_t i, unsigned seed)
{
    return (apr_byte_t)(i * 31u + seed * 77u + (i >> 8) + 1u);
}

static void fill(apr_byte_t *p, apr_size_t len, unsigned seed)
{
    apr_size_t i;
    for (i = 0; i < len; i++)
        p[i] = pattern(i, seed);
}

/* Index of the first mismatch, or len. */
static apr_size_t check(const apr_byte_t *p, apr_size_t len, unsigned seed)
{
    apr_size_t i;
    for (i = 0; i < len; i++)
        if (p[i] != pattern(i, seed))
            break;
    return i;
}

/* ================================================================ child */

static int child_fail(int code, const char *what, const char *detail)
{
    fprintf(stderr, "pfz-test-child(shm, pid %ld): %s%s%s\n",
#ifndef _WIN32
            (long)getpid(),
#else
            (long)GetCurrentProcessId(),
#endif
            what, detail ? ": " : "", detail ? detail : "");
    fflush(stderr);
    return code;
}

#ifndef _WIN32
/* What the worker inherited: 3 = read end of a pipe, 4 = write end, 5 = a
 * regular file, and nothing else at or above 6. Called before the child
 * opens anything itself. */
static int child_check_fds(void)
{
    struct stat sb;
    char msg[256], link[200];
    int fd, fl;
    ssize_t n;

    if (fstat(3, &sb) != 0 || !S_ISFIFO(sb.st_mode) || (fl = fcntl(3, F_GETFL)) < 0 ||
        (fl & O_ACCMODE) != O_RDONLY)
        return child_fail(CHILD_EFDS, "fd 3 is not the read end of a pipe", NULL);
    if (fstat(4, &sb) != 0 || !S_ISFIFO(sb.st_mode) || (fl = fcntl(4, F_GETFL)) < 0 ||
        (fl & O_ACCMODE) != O_WRONLY)
        return child_fail(CHILD_EFDS, "fd 4 is not the write end of a pipe", NULL);
    if (fstat(5, &sb) != 0 || !S_ISREG(sb.st_mode))
        return child_fail(CHILD_EFDS, "fd 5 is not a regular file", NULL);
    /* The three arrive without FD_CLOEXEC (dup2 cleared it). */
    for (fd = 3; fd <= 5; fd++)
        if (fcntl(fd, F_GETFD) & FD_CLOEXEC)
            return child_fail(CHILD_EFDS, "an inherited fd has FD_CLOEXEC set", NULL);
    for (fd = 6; fd < 1024; fd++) {
        if (fcntl(fd, F_GETFD) == -1)
            continue;
        snprintf(msg, sizeof(msg), "/proc/self/fd/%d", fd);
        n = readlink(msg, link, sizeof(link) - 1);
        link[n > 0 ? n : 0] = '\0';
        snprintf(msg, sizeof(msg), "stray fd %d (%s) leaked into the worker", fd,
                 n > 0 ? link : "?");
        return child_fail(CHILD_EFDS, msg, NULL);
    }
    return 0;
}
#else
/* The handles of PORTFUZZ_WORKER_HANDLES, parsed here independently of
 * src/win32 (the test must not trust the code it tests). */
static int child_env_handles(HANDLE h[3])
{
    const char *v = getenv("PORTFUZZ_WORKER_HANDLES");
    unsigned long long a, b, c;
    char tail;

    if (v == NULL || sscanf(v, "%llx,%llx,%llx%c", &a, &b, &c, &tail) != 3)
        return child_fail(CHILD_EENV, "PORTFUZZ_WORKER_HANDLES is missing or malformed", v);
    h[0] = (HANDLE)(ULONG_PTR)a;
    h[1] = (HANDLE)(ULONG_PTR)b;
    h[2] = (HANDLE)(ULONG_PTR)c;
    return 0;
}

/* What the worker inherited: two pipes and a disk file, all inheritable;
 * and, besides them and the standard handles, no inheritable handle at all
 * (a leaked pipe end of another worker would be one). */
static int child_check_fds(void)
{
    HANDLE h[3], std[3];
    DWORD flags;
    ULONG_PTR v;
    char msg[200];
    int i, rc;

    if ((rc = child_env_handles(h)) != 0)
        return rc;
    if (GetFileType(h[0]) != FILE_TYPE_PIPE)
        return child_fail(CHILD_EFDS, "the calls handle is not a pipe", NULL);
    if (GetFileType(h[1]) != FILE_TYPE_PIPE)
        return child_fail(CHILD_EFDS, "the replies handle is not a pipe", NULL);
    if (GetFileType(h[2]) != FILE_TYPE_DISK)
        return child_fail(CHILD_EFDS, "the shared-memory handle is not a disk file", NULL);
    for (i = 0; i < 3; i++)
        if (!GetHandleInformation(h[i], &flags) || !(flags & HANDLE_FLAG_INHERIT))
            return child_fail(CHILD_EFDS, "an inherited handle is not marked inheritable", NULL);
    std[0] = GetStdHandle(STD_INPUT_HANDLE);
    std[1] = GetStdHandle(STD_OUTPUT_HANDLE);
    std[2] = GetStdHandle(STD_ERROR_HANDLE);
    for (v = 4; v < 0x10000; v += 4) {
        HANDLE x = (HANDLE)v;
        if (!GetHandleInformation(x, &flags) || !(flags & HANDLE_FLAG_INHERIT))
            continue;
        if (x == h[0] || x == h[1] || x == h[2] || x == std[0] || x == std[1] || x == std[2])
            continue;
        snprintf(msg, sizeof(msg), "stray inheritable handle 0x%lx (file type %lu) leaked into "
                 "the worker", (unsigned long)v, (unsigned long)GetFileType(x));
        return child_fail(CHILD_EFDS, msg, NULL);
    }
    return 0;
}
#endif

static int child_env_check(void)
{
#ifndef _WIN32
    extern char **environ;
    const char *pp = getenv("PORTFUZZ_PARENT_PID");
    char want[32];
    int i, seen = 0;

    snprintf(want, sizeof(want), "%ld", (long)getppid());
    if (pp == NULL || strcmp(pp, want) != 0)
        return child_fail(CHILD_EENV, "PORTFUZZ_PARENT_PID is not the parent's pid", pp);
    /* env_extra replaces a name of the parent's environment, never adds a second one. */
    for (i = 0; environ[i] != NULL; i++)
        if (strncmp(environ[i], "PFZ_TEST_OVERRIDE=", 18) == 0)
            seen++;
    if (seen != 1 || strcmp(getenv("PFZ_TEST_OVERRIDE"), "child") != 0)
        return child_fail(CHILD_EENV, "PFZ_TEST_OVERRIDE is not exactly once 'child'", NULL);
#else
    /* The same, in the process's own (UTF-16, case-insensitive) block; and
     * the block must still hold what Windows programs need. */
    wchar_t *envw = GetEnvironmentStringsW(), *e;
    int seen = 0, sysroot = 0;
    const char *v;

    for (e = envw; e != NULL && *e != L'\0'; e += wcslen(e) + 1) {
        if (_wcsnicmp(e, L"PFZ_TEST_OVERRIDE=", 18) == 0)
            seen++;
        if (_wcsnicmp(e, L"SystemRoot=", 11) == 0)
            sysroot++;
    }
    FreeEnvironmentStringsW(envw);
    v = getenv("PFZ_TEST_OVERRIDE");
    if (seen != 1 || v == NULL || strcmp(v, "child") != 0)
        return child_fail(CHILD_EENV, "PFZ_TEST_OVERRIDE is not exactly once 'child'", NULL);
    if (sysroot != 1)
        return child_fail(CHILD_EENV, "SystemRoot is missing from the environment", NULL);
#endif
    if (!pfz__is_worker())
        return child_fail(CHILD_EENV, "pfz__is_worker() is 0", NULL);
    return 0;
}

/* The full protocol: see run_check_child for the parent's half. */
static int child_check(apr_pool_t *pool)
{
    pfz__shm_t *shm;
    pfz__shm_hdr_t *hdr;
    apr_file_t *calls, *replies;
    char cmd[8], out[8];
    apr_size_t n, bad;
    apr_status_t st;
    int rc;

    if ((rc = child_check_fds()) != 0)
        return rc;
    if ((rc = child_env_check()) != 0)
        return rc;
    pfz__worker_process_setup();
    if (pfz__shm_attach_inherited(&shm, pool) != APR_SUCCESS)
        return child_fail(CHILD_ESHM, "pfz__shm_attach_inherited failed", NULL);
    hdr = pfz__shm_base(shm);
    if (hdr == NULL || pfz__shm_size(shm) != REGION_SIZE || hdr->magic != PFZ__SHM_MAGIC ||
        hdr->region_size != REGION_SIZE || hdr->value_len != PAT_LEN)
        return child_fail(CHILD_ESHM, "region header or size differs", NULL);
    if ((bad = check(PFZ__SHM_VALUE(hdr), PAT_LEN, 1)) != PAT_LEN)
        return child_fail(CHILD_ESHM, "parent's pattern differs", NULL);
    if (pfz__worker_channels(&calls, &replies, pool) != APR_SUCCESS)
        return child_fail(CHILD_EPIPE, "pfz__worker_channels failed", NULL);
#ifndef _WIN32
    {
        int fd;
        /* Taken over, they must not reach anything the target starts. */
        for (fd = 3; fd <= 5; fd++)
            if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
                return child_fail(CHILD_EFDS, "fd 3/4/5 lacks FD_CLOEXEC after set-up", NULL);
    }
#else
    {
        HANDLE h[3];
        DWORD flags;
        int i;
        /* Taken over, they must not reach anything the target starts. */
        if (child_env_handles(h) != 0)
            return CHILD_EENV;
        for (i = 0; i < 3; i++)
            if (!GetHandleInformation(h[i], &flags) || (flags & HANDLE_FLAG_INHERIT))
                return child_fail(CHILD_EFDS, "a worker handle is still inheritable after set-up",
                                  NULL);
    }
#endif
    fill(PFZ__SHM_VALUE(hdr) + PAT_LEN, PAT_LEN, 2);
    if (apr_file_write_full(replies, "RDY1", 4, NULL) != APR_SUCCESS)
        return child_fail(CHILD_EPIPE, "writing RDY1 failed", NULL);

    for (;;) {
        st = apr_file_read_full(calls, cmd, 8, &n);
        if (APR_STATUS_IS_EOF(st) && n == 0)
            break; /* the parent closed the calls pipe: done */
        if (st != APR_SUCCESS)
            return child_fail(CHILD_EPIPE, "reading a command failed", NULL);
        if (memcmp(cmd, "PING", 4) == 0) {
            memcpy(out, "PONG", 4);
            out[4] = cmd[7], out[5] = cmd[6], out[6] = cmd[5], out[7] = cmd[4];
        } else if (memcmp(cmd, "GROW", 4) == 0) {
            apr_size_t size;
            if (pfz__shm_remap(shm) != APR_SUCCESS)
                return child_fail(CHILD_ESHM, "pfz__shm_remap failed", NULL);
            hdr = pfz__shm_base(shm);
            size = pfz__shm_size(shm);
            if (size != GROWN_SIZE || hdr->region_size != GROWN_SIZE)
                return child_fail(CHILD_ESHM, "size after remap differs", NULL);
            if (check((apr_byte_t *)hdr + size - MARK_LEN, MARK_LEN, 3) != MARK_LEN ||
                check(PFZ__SHM_VALUE(hdr), PAT_LEN, 1) != PAT_LEN)
                return child_fail(CHILD_ESHM, "data after remap differs", NULL);
            fill((apr_byte_t *)hdr + size - 2 * MARK_LEN, MARK_LEN, 4);
            memcpy(out, "GRWNGRWN", 8);
        } else {
            return child_fail(CHILD_EPIPE, "unknown command", NULL);
        }
        if (apr_file_write_full(replies, out, 8, NULL) != APR_SUCCESS)
            return child_fail(CHILD_EPIPE, "writing a reply failed", NULL);
    }
    pfz__shm_close(shm);
    pfz__shm_close(shm);
    if (pfz__shm_base(shm) != NULL)
        return child_fail(CHILD_ESHM, "base not NULL after close", NULL);
    return 0;
}

/* Set-up mistakes must be refused, not mapped or read. */
static int child_badfds(apr_pool_t *pool)
{
#ifndef _WIN32
    pfz__shm_t *shm;
    apr_file_t *c, *r;

    if (dup2(3, 5) != 5) /* a pipe where the region should be */
        return child_fail(CHILD_ECHECK, "dup2 failed", NULL);
    if (pfz__shm_attach_inherited(&shm, pool) == APR_SUCCESS)
        return child_fail(CHILD_ECHECK, "attach accepted a pipe as fd 5", NULL);
    close(5);
    if (pfz__shm_attach_inherited(&shm, pool) == APR_SUCCESS)
        return child_fail(CHILD_ECHECK, "attach accepted a closed fd 5", NULL);
    if (dup2(4, 3) != 3) /* the write end where the read end should be */
        return child_fail(CHILD_ECHECK, "dup2 failed", NULL);
    if (pfz__worker_channels(&c, &r, pool) == APR_SUCCESS)
        return child_fail(CHILD_ECHECK, "channels accepted a write end as fd 3", NULL);
    close(3);
    if (pfz__worker_channels(&c, &r, pool) == APR_SUCCESS)
        return child_fail(CHILD_ECHECK, "channels accepted a closed fd 3", NULL);
#else
    pfz__shm_t *shm;
    apr_file_t *c, *r;
    HANDLE h[3];
    char v[80];
    int i, rc;
    static const char *const malformed[] = {
        "", "1,2", "1,2,3,", "0x4,8,c", "4,8,c ", " 4,8,c", "4,,c", "4,8,0", "g,8,c",
        "11112222333344445,8,c",
    };

    if ((rc = child_env_handles(h)) != 0)
        return rc;
    /* A pipe where the region should be. */
    snprintf(v, sizeof(v), "%llx,%llx,%llx", (unsigned long long)(ULONG_PTR)h[0],
             (unsigned long long)(ULONG_PTR)h[1], (unsigned long long)(ULONG_PTR)h[0]);
    SetEnvironmentVariableA("PORTFUZZ_WORKER_HANDLES", v);
    if (pfz__shm_attach_inherited(&shm, pool) == APR_SUCCESS)
        return child_fail(CHILD_ECHECK, "attach accepted a pipe as the region", NULL);
    /* The region's file where the calls pipe should be. */
    snprintf(v, sizeof(v), "%llx,%llx,%llx", (unsigned long long)(ULONG_PTR)h[2],
             (unsigned long long)(ULONG_PTR)h[1], (unsigned long long)(ULONG_PTR)h[2]);
    SetEnvironmentVariableA("PORTFUZZ_WORKER_HANDLES", v);
    if (pfz__worker_channels(&c, &r, pool) == APR_SUCCESS)
        return child_fail(CHILD_ECHECK, "channels accepted a file as the calls pipe", NULL);
    /* Malformed values, each refused by both. */
    for (i = 0; i < (int)(sizeof(malformed) / sizeof(malformed[0])); i++) {
        SetEnvironmentVariableA("PORTFUZZ_WORKER_HANDLES", malformed[i]);
        if (!pfz__is_worker())
            return child_fail(CHILD_ECHECK, "a set but malformed variable is not worker mode",
                              malformed[i]);
        if (pfz__shm_attach_inherited(&shm, pool) == APR_SUCCESS ||
            pfz__worker_channels(&c, &r, pool) == APR_SUCCESS)
            return child_fail(CHILD_ECHECK, "a malformed PORTFUZZ_WORKER_HANDLES was accepted",
                              malformed[i]);
    }
    /* Missing. */
    SetEnvironmentVariableA("PORTFUZZ_WORKER_HANDLES", NULL);
    if (pfz__is_worker())
        return child_fail(CHILD_ECHECK, "pfz__is_worker() without the variable", NULL);
    if (pfz__worker_channels(&c, &r, pool) == APR_SUCCESS)
        return child_fail(CHILD_ECHECK, "channels accepted a missing variable", NULL);
#endif
    return 0;
}

#ifdef _WIN32
/* Arguments that CreateProcess's single command line must carry exactly. */
static const char *const tricky_args[] = {
    "plain", "two words", "", "quote\"inside", "trailing\\", "trail space\\",
    "back\\\\\"slashes", "\\\\server\\share", "tab\there", "\"", "a\\\\b c", "utf8 \xc3\xa9",
    NULL,
};

static int child_argv(void)
{
    int i, n = 0;
    wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &n);
    char got[200];

    if (wargv == NULL)
        return child_fail(CHILD_ECHECK, "CommandLineToArgvW failed", NULL);
    for (i = 0; tricky_args[i] != NULL; i++) {
        if (wargv[i + 1] == NULL ||
            WideCharToMultiByte(CP_UTF8, 0, wargv[i + 1], -1, got, sizeof(got), NULL, NULL) == 0)
            return child_fail(CHILD_ECHECK, "argument missing", tricky_args[i]);
        if (strcmp(got, tricky_args[i]) != 0) {
            char msg[300];
            snprintf(msg, sizeof(msg), "argument %d is [%s], expected [%s]", i + 1, got,
                     tricky_args[i]);
            return child_fail(CHILD_ECHECK, msg, NULL);
        }
    }
    if (wargv[i + 1] != NULL)
        return child_fail(CHILD_ECHECK, "extra arguments", NULL);
    return 0;
}

static volatile int sink, depth_limit = 1 << 30;

static int recurse(int n)
{
    volatile char pad[4096];
    pad[0] = (char)n;
    if (n >= depth_limit)
        return 0;
    return recurse(n + 1) + pad[0];
}

static DWORD WINAPI overflow_thread(LPVOID arg)
{
    (void)arg;
    sink = recurse(0);
    return 0;
}

/* Ends the process the way a crashing target does, after the worker set-up
 * (error dialogs off, the exception reporter on). */
static int child_crash(const char *how)
{
    pfz__worker_process_setup();
    if (strcmp(how, "crash-av") == 0) {
        volatile int *volatile nowhere = (int *)(ULONG_PTR)16;
        *nowhere = 1;
    } else if (strcmp(how, "crash-stack") == 0) {
        /* In a thread of its own: where the stack pointer stands when the
         * guard page runs out then depends on this code only, not on how
         * much stack the runner's main used. Under Wine that matters: it
         * needs about 6 KB above the stack's end to raise the exception,
         * and a thread left without them ends silently (the report never
         * comes and the process lingers). */
        HANDLE t = CreateThread(NULL, 1u << 20, overflow_thread, NULL, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
        if (t != NULL)
            WaitForSingleObject(t, 30000);
    } else if (strcmp(how, "crash-div") == 0) {
        volatile int zero = 0, seven = 7;
        sink = seven / zero;
    } else if (strcmp(how, "crash-abort") == 0) {
        abort();
    } else if (strcmp(how, "crash-break") == 0) {
        DebugBreak();
    }
    return child_fail(CHILD_ECHECK, "still alive after", how);
}
#endif

#ifdef _WIN32
/* A worker whose "target" starts a process of its own (this runner again, in
 * mode "linger", which sleeps for a minute): reports "RDY1" and the new
 * process's pid (4 bytes, little-endian) on the replies channel, then sleeps
 * (or, with exit_after, ends at once and leaves the descendant behind). */
static int child_spawner(apr_pool_t *pool, int exit_after)
{
    apr_file_t *calls, *replies;
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    char *cmd = apr_pstrcat(pool, "\"", pfz_test_self, "\"", NULL);
    unsigned char msg[8];
    int i;

    pfz__worker_process_setup();
    if (pfz__worker_channels(&calls, &replies, pool) != APR_SUCCESS)
        return child_fail(CHILD_EPIPE, "channels", NULL);
    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    if (!SetEnvironmentVariableA(ENV_MODE, "linger") ||
        !CreateProcessA(pfz_test_self, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si,
                        &pi))
        return child_fail(CHILD_ECHECK, "cannot start the descendant", NULL);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    memcpy(msg, "RDY1", 4);
    for (i = 0; i < 4; i++)
        msg[4 + i] = (unsigned char)(pi.dwProcessId >> (8 * i));
    if (apr_file_write_full(replies, msg, sizeof(msg), NULL) != APR_SUCCESS)
        return child_fail(CHILD_EPIPE, "write", NULL);
    if (exit_after)
        return 0;
    for (i = 0; i < 600; i++)
        apr_sleep(100000);
    return 5;
}
#endif

int pfz_test_child_shm(void)
{
    const char *mode = getenv(ENV_MODE);
    apr_file_t *calls, *replies;
    apr_pool_t *pool;

    if (mode == NULL)
        mode = "check";
    if (apr_pool_create(&pool, pfz_test_pool) != APR_SUCCESS)
        return 2;
    if (strcmp(mode, "check") == 0)
        return child_check(pool);
    if (strcmp(mode, "badfds") == 0)
        return child_badfds(pool);
#ifdef _WIN32
    if (strcmp(mode, "argv") == 0)
        return child_argv();
    if (strncmp(mode, "spawner", 7) == 0)
        return child_spawner(pool, strcmp(mode, "spawner-exit") == 0);
    if (strcmp(mode, "linger") == 0) {
        Sleep(60000); /* a descendant that would outlive its worker */
        return 0;
    }
    if (strncmp(mode, "crash-", 6) == 0)
        return child_crash(mode);
    if (strncmp(mode, "exitcode-", 9) == 0)
        ExitProcess((UINT)strtoul(mode + 9, NULL, 16));
#endif
    if (strcmp(mode, "interrupt") == 0) {
        /* For test-misc.c: here, so the runner itself never has its
         * interrupt flag set or Ctrl-C caught. */
#ifdef _WIN32
        /* Ctrl-C is a console event, not a signal: give this child a console
         * of its own (so the event reaches nobody else) and generate it. */
        int i;
        FreeConsole();
        if (!AllocConsole())
            return child_fail(CHILD_ECHECK, "AllocConsole failed", NULL);
#endif
        if (pfz__interrupted() != 0 || pfz__interrupt_install() != APR_SUCCESS)
            return child_fail(CHILD_ECHECK, "install failed", NULL);
#ifdef _WIN32
        if (!GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0))
            return child_fail(CHILD_ECHECK, "GenerateConsoleCtrlEvent(CTRL_C_EVENT) failed", NULL);
        for (i = 0; i < 500 && pfz__interrupted() == 0; i++)
            Sleep(10); /* the handler runs on a thread of its own */
        if (pfz__interrupted() != SIGINT)
            return child_fail(CHILD_ECHECK, "Ctrl-C not recorded as SIGINT", NULL);
        /* Wine cannot generate Ctrl-Break (the call fails there); Windows can. */
        if (GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, 0)) {
            for (i = 0; i < 500 && pfz__interrupted() == SIGINT; i++)
                Sleep(10);
            if (pfz__interrupted() != 21 /* SIGBREAK */)
                return child_fail(CHILD_ECHECK, "Ctrl-Break not recorded as SIGBREAK", NULL);
        }
#else
        raise(SIGINT);
        if (pfz__interrupted() != SIGINT)
            return child_fail(CHILD_ECHECK, "SIGINT not recorded", NULL);
        raise(SIGTERM);
        if (pfz__interrupted() != SIGTERM)
            return child_fail(CHILD_ECHECK, "SIGTERM not recorded", NULL);
#endif
        return 0;
    }
    if (strcmp(mode, "exit3") == 0) {
        static const char raw[] = "pfz-test-child: raw stderr marker\n";
        printf("pfz-test-child: stdout marker\n");
        fflush(stdout);
        fprintf(stderr, "pfz-test-child: stderr marker\n");
        fflush(stderr);
        pfz__raw_stderr(raw, sizeof(raw) - 1);
        exit(CHILD_EXIT3);
    }
    if (strcmp(mode, "sleep") == 0) {
        int i;
        pfz__worker_process_setup();
        if (pfz__worker_channels(&calls, &replies, pool) != APR_SUCCESS ||
            apr_file_write_full(replies, "RDY1", 4, NULL) != APR_SUCCESS)
            return child_fail(CHILD_EPIPE, "channels", NULL);
        for (i = 0; i < 600; i++)
            apr_sleep(100000);
        return 5;
    }
#ifndef _WIN32
    if (strcmp(mode, "segv") == 0) {
        struct rlimit rl = {0, 0};
        volatile int *volatile nowhere = NULL;
        setrlimit(RLIMIT_CORE, &rl); /* no core file for an intended crash */
        signal(SIGSEGV, SIG_DFL);    /* a sanitizer runtime would report instead */
        *nowhere = 1;
        return child_fail(CHILD_ECHECK, "still alive after a null store", NULL);
    }
#endif
    return child_fail(2, "unknown mode", mode);
}

/* ================================================================ parent */

typedef struct child {
    apr_pool_t *pool;
    pfz__shm_t *shm;
    pfz__proc_t *proc;
    apr_file_t *calls, *replies;
} child_t;

static apr_status_t start_child_argv(child_t *c, const char *mode, pfz__outcap_t *out,
                                     const char *const *args, apr_pool_t *pool);

/* `out`: captures the child's stdout and stderr; NULL: they are ours. */
static apr_status_t start_child(child_t *c, const char *mode, pfz__outcap_t *out,
                                apr_pool_t *pool)
{
    return start_child_argv(c, mode, out, NULL, pool);
}

/* `args`: NULL-terminated arguments after argv[0], or NULL. */
static apr_status_t start_child_argv(child_t *c, const char *mode, pfz__outcap_t *out,
                                     const char *const *args, apr_pool_t *pool)
{
    const char *argv[32];
    const char *env[4];
    pfz__spawn_t sp;
    pfz__shm_hdr_t *hdr;
    apr_status_t st;

    memset(c, 0, sizeof(*c));
    c->pool = pool;
    if ((st = pfz__shm_create(&c->shm, REGION_SIZE, pool)) != APR_SUCCESS)
        return st;
    hdr = pfz__shm_base(c->shm);
    hdr->magic = PFZ__SHM_MAGIC;
    hdr->version = PFZ__SHM_VERSION;
    hdr->region_size = REGION_SIZE;
    hdr->value_capacity = PAT_LEN;
    hdr->value_len = PAT_LEN;
    fill(PFZ__SHM_VALUE(hdr), PAT_LEN, 1);

    argv[0] = pfz_test_self;
    argv[1] = NULL;
    if (args != NULL) {
        int i;
        for (i = 0; args[i] != NULL && i < 30; i++)
            argv[i + 1] = args[i];
        argv[i + 1] = NULL;
    }
    env[0] = "PFZ_TEST_CHILD=shm";
    env[1] = apr_pstrcat(pool, ENV_MODE, "=", mode, NULL);
    env[2] = "PFZ_TEST_OVERRIDE=child";
    env[3] = NULL;
    memset(&sp, 0, sizeof(sp));
    sp.exe = pfz_test_self;
    sp.argv = argv;
    sp.env_extra = env;
    sp.shm = c->shm;
    sp.output = pfz__outcap_write_end(out);
    if ((st = pfz__proc_spawn_worker(&c->proc, &c->calls, &c->replies, &sp, pool)) != APR_SUCCESS)
        return st;
    /* A child that fails early closes its ends (EOF); a leaked write end
     * would hang the read instead: the timeout turns that into a failure. */
    if ((st = apr_file_pipe_timeout_set(c->replies, IO_TIMEOUT)) != APR_SUCCESS)
        return st;
    return apr_file_pipe_timeout_set(c->calls, IO_TIMEOUT);
}

static void stop_child(child_t *c)
{
    if (c->calls != NULL)
        apr_file_close(c->calls);
    if (c->replies != NULL)
        apr_file_close(c->replies);
    pfz__proc_destroy(c->proc);
    pfz__proc_destroy(c->proc);
    pfz__shm_close(c->shm);
    c->calls = c->replies = NULL;
}

#ifdef __linux__
/* Every descriptor this process holds for a region or a worker pipe must be
 * FD_CLOEXEC, or a concurrent spawn could hand it to another worker. */
static const char *check_parent_cloexec(const child_t *c)
{
    apr_os_file_t fd;
    DIR *d;
    struct dirent *e;
    char path[64], link[256];
    ssize_t n;
    const char *bad = NULL;

    apr_os_file_get(&fd, c->calls);
    if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
        return "our calls pipe end lacks FD_CLOEXEC";
    apr_os_file_get(&fd, c->replies);
    if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
        return "our replies pipe end lacks FD_CLOEXEC";
    if ((d = opendir("/proc/self/fd")) == NULL)
        return NULL;
    while (bad == NULL && (e = readdir(d)) != NULL) {
        int n_fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || n_fd == dirfd(d))
            continue;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", n_fd);
        n = readlink(path, link, sizeof(link) - 1);
        if (n <= 0)
            continue;
        link[n] = '\0';
        if (strstr(link, "portfuzz-shm-") != NULL && !(fcntl(n_fd, F_GETFD) & FD_CLOEXEC))
            bad = "a region's backing file lacks FD_CLOEXEC";
    }
    closedir(d);
    return bad;
}
#endif

/* The parent's half of the "check" protocol. Thread-safe: reports through
 * `err` (empty on success) instead of CUnit assertions. */
static void run_check_child(apr_pool_t *pool, char *err, apr_size_t errlen)
{
    child_t c;
    pfz__shm_hdr_t *hdr;
    pfz__exit_t how;
    char buf[8], ping[8];
    apr_size_t n;
    apr_status_t st;
    int i;
    const char *what = NULL;

    err[0] = '\0';
    for (i = 1; (st = start_child(&c, "check", NULL, pool)) != APR_SUCCESS; i++) {
        stop_child(&c);
        if (!pfz_test_spawn_refused(i, st)) {
            what = "start_child";
            goto done;
        }
    }
#ifdef __linux__
    if ((what = check_parent_cloexec(&c)) != NULL)
        goto done;
#endif
    if ((st = apr_file_read_full(c.replies, buf, 4, &n)) != APR_SUCCESS || memcmp(buf, "RDY1", 4)) {
        what = "reading RDY1 (see the child's message above)";
        goto done;
    }
    hdr = pfz__shm_base(c.shm);
    if (check(PFZ__SHM_VALUE(hdr) + PAT_LEN, PAT_LEN, 2) != PAT_LEN) {
        what = "the child's reply pattern is not in the region";
        goto done;
    }
    for (i = 0; i < 3; i++) {
        memcpy(ping, "PING", 4);
        ping[4] = (char)('a' + i), ping[5] = 'b', ping[6] = 'c', ping[7] = (char)('0' + i);
        if ((st = apr_file_write_full(c.calls, ping, 8, NULL)) != APR_SUCCESS ||
            (st = apr_file_read_full(c.replies, buf, 8, &n)) != APR_SUCCESS) {
            what = "PING/PONG I/O";
            goto done;
        }
        if (memcmp(buf, "PONG", 4) || buf[4] != ping[7] || buf[5] != ping[6] || buf[6] != ping[5] ||
            buf[7] != ping[4]) {
            what = "wrong PONG";
            goto done;
        }
    }
    /* Grow on our side; the child re-maps and must see size and data. */
    if ((st = pfz__shm_grow(c.shm, GROWN_SIZE)) != APR_SUCCESS) {
        what = "pfz__shm_grow";
        goto done;
    }
    hdr = pfz__shm_base(c.shm);
    if (hdr == NULL || pfz__shm_size(c.shm) != GROWN_SIZE ||
        check(PFZ__SHM_VALUE(hdr), PAT_LEN, 1) != PAT_LEN) {
        what = "grow lost the size or the contents";
        goto done;
    }
    hdr->region_size = GROWN_SIZE;
    fill((apr_byte_t *)hdr + GROWN_SIZE - MARK_LEN, MARK_LEN, 3);
    if ((st = apr_file_write_full(c.calls, "GROWGROW", 8, NULL)) != APR_SUCCESS ||
        (st = apr_file_read_full(c.replies, buf, 8, &n)) != APR_SUCCESS || memcmp(buf, "GRWN", 4)) {
        what = "GROW exchange (see the child's message above)";
        goto done;
    }
    if (check((apr_byte_t *)hdr + GROWN_SIZE - 2 * MARK_LEN, MARK_LEN, 4) != MARK_LEN) {
        what = "the child's write after remap is not visible";
        goto done;
    }
    /* Closing our write end must reach the child as EOF, and its exit must
     * reach us as EOF: both fail (time out) if any end leaked elsewhere. */
    apr_file_close(c.calls);
    c.calls = NULL;
    st = apr_file_read_full(c.replies, buf, 1, &n);
    if (!APR_STATUS_IS_EOF(st)) {
        what = "no EOF on the replies pipe after the child finished (leaked write end?)";
        goto done;
    }
    if ((st = pfz__proc_wait(c.proc, IO_TIMEOUT, &how)) != APR_SUCCESS) {
        what = "pfz__proc_wait";
        goto done;
    }
    if (how.kind != PFZ__EXIT_CODE || how.code != 0 || how.crash) {
        snprintf(err, errlen, "child ended with %s", how.desc);
        goto done;
    }
    st = APR_SUCCESS;
done:
    if (what != NULL) {
        char msg[120];
        if (st != APR_SUCCESS)
            snprintf(err, errlen, "%s (status %d: %s)", what, st, apr_strerror(st, msg, sizeof(msg)));
        else
            snprintf(err, errlen, "%s", what);
    }
    stop_child(&c);
}

#ifndef _WIN32
static int count_open_fds(void)
{
    int fd, n = 0;
    for (fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            n++;
    return n;
}
#endif

static void test_region_basics(void)
{
    apr_pool_t *pool;
    pfz__shm_t *shm;
    apr_byte_t *base;
    apr_size_t i;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT(pfz__shm_create(&shm, 0, pool) == APR_EINVAL);
    CU_ASSERT_FATAL(pfz__shm_create(&shm, 10000, pool) == APR_SUCCESS);
    base = pfz__shm_base(shm);
    CU_ASSERT_FATAL(base != NULL);
    CU_ASSERT(pfz__shm_size(shm) == 10000);
    for (i = 0; i < 10000 && base[i] == 0; i++)
        ;
    CU_ASSERT(i == 10000); /* zero-filled */
    fill(base, 10000, 7);
    CU_ASSERT(pfz__shm_remap(shm) == APR_SUCCESS); /* unchanged size: a no-op */
    CU_ASSERT(pfz__shm_base(shm) == base);
    CU_ASSERT(pfz__shm_grow(shm, 9999) == APR_EINVAL); /* no shrinking */
    CU_ASSERT(pfz__shm_grow(shm, 10000) == APR_SUCCESS);
    CU_ASSERT(pfz__shm_grow(shm, 3 * 1024 * 1024 + 1) == APR_SUCCESS);
    base = pfz__shm_base(shm);
    CU_ASSERT_FATAL(base != NULL);
    CU_ASSERT(pfz__shm_size(shm) == 3 * 1024 * 1024 + 1);
    CU_ASSERT(check(base, 10000, 7) == 10000);
    for (i = 10000; i < 3 * 1024 * 1024 + 1 && base[i] == 0; i++)
        ;
    CU_ASSERT(i == 3 * 1024 * 1024 + 1);
    base[3 * 1024 * 1024] = 0xAB; /* the last byte is mapped */
    pfz__shm_close(shm);
    CU_ASSERT(pfz__shm_base(shm) == NULL);
    CU_ASSERT(pfz__shm_size(shm) == 0);
    pfz__shm_close(shm); /* idempotent */
    CU_ASSERT(pfz__shm_base(shm) == NULL);
    CU_ASSERT(pfz__shm_grow(shm, 20000) != APR_SUCCESS);
    CU_ASSERT(pfz__shm_remap(shm) != APR_SUCCESS);
    /* A second region closed only by its pool's cleanup. */
    CU_ASSERT(pfz__shm_create(&shm, 4096, pool) == APR_SUCCESS);
    apr_pool_destroy(pool);
}

#ifndef _WIN32
/* The backing file has no name (a memfd on Linux, else unlinked at
 * creation): nothing named portfuzz-shm-* in the temp directory belongs to
 * this process. */
static void test_region_leaves_no_file(void)
{
    apr_pool_t *pool;
    pfz__shm_t *shm;
    char path[64], link[512];
    ssize_t n;
    int fd, found = 0;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(pfz__shm_create(&shm, 4096, pool) == APR_SUCCESS);
    for (fd = 0; fd < 1024; fd++) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n = readlink(path, link, sizeof(link) - 1);
        if (n <= 0)
            continue;
        link[n] = '\0';
        if (strstr(link, "portfuzz-shm") != NULL) {
            found++;
            CU_ASSERT(strstr(link, "(deleted)") != NULL);
            CU_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
#if defined(__linux__) && defined(F_SEAL_SHRINK)
            /* A sealed memfd: the target, which has it as fd 5, cannot
             * shrink it under the coordinator's mapping. */
            CU_ASSERT(strstr(link, "memfd:") != NULL);
            CU_ASSERT(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK);
            CU_ASSERT(ftruncate(fd, 0) != 0);
#endif
        }
    }
#ifdef __linux__
    CU_ASSERT(found == 1);
#endif
    apr_pool_destroy(pool);
}
#endif

static void test_spawn_inherit(void)
{
    apr_pool_t *pool;
    char err[400];
#ifndef _WIN32
    int before = count_open_fds();
#endif

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    /* The child checks that env_extra replaced this, not duplicated it. */
    apr_env_set("PFZ_TEST_OVERRIDE", "parent", pool);
    run_check_child(pool, err, sizeof(err));
    apr_env_delete("PFZ_TEST_OVERRIDE", pool);
    if (err[0] != '\0')
        fprintf(stderr, "\n  spawn/inherit: %s\n", err);
    CU_ASSERT(err[0] == '\0');
    apr_pool_destroy(pool);
#ifndef _WIN32
    CU_ASSERT(count_open_fds() == before); /* spawning leaks nothing here either */
#endif
}

#define N_THREADS 4
#define N_ROUNDS 3

typedef struct spawner {
    apr_pool_t *pool;
    char err[400];
} spawner_t;

static void *APR_THREAD_FUNC spawner_main(apr_thread_t *t, void *data)
{
    spawner_t *s = data;
    apr_pool_t *round;
    int i;

    for (i = 0; i < N_ROUNDS && s->err[0] == '\0'; i++) {
        if (apr_pool_create(&round, s->pool) != APR_SUCCESS) {
            snprintf(s->err, sizeof(s->err), "apr_pool_create");
            break;
        }
        run_check_child(round, s->err, sizeof(s->err));
        apr_pool_destroy(round);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* Several threads spawning at once: every child checks it has no stray fd
 * and both sides need EOF, so one leaked pipe end fails the test. */
static void test_spawn_concurrent(void)
{
    spawner_t s[N_THREADS];
    apr_thread_t *t[N_THREADS];
    apr_status_t st;
    int i;
#ifndef _WIN32
    int before = count_open_fds();
#endif

    /* These threads are engine code, as a coordinator's client threads are:
     * keep the sanitizer compare hooks (one global table, fed only by the
     * target's thread) out of them. */
    pfz__cov_set_running(0);
    for (i = 0; i < N_THREADS; i++) {
        s[i].err[0] = '\0';
        CU_ASSERT_FATAL(apr_pool_create(&s[i].pool, pfz_test_pool) == APR_SUCCESS);
    }
    for (i = 0; i < N_THREADS; i++)
        CU_ASSERT_FATAL(apr_thread_create(&t[i], NULL, spawner_main, &s[i], pfz_test_pool) ==
                        APR_SUCCESS);
    for (i = 0; i < N_THREADS; i++) {
        apr_thread_join(&st, t[i]);
        if (s[i].err[0] != '\0')
            fprintf(stderr, "\n  thread %d: %s\n", i, s[i].err);
        CU_ASSERT(s[i].err[0] == '\0');
        apr_pool_destroy(s[i].pool);
    }
    pfz__cov_set_running(0); /* the runner's setting: engine threads never record */
#ifndef _WIN32
    CU_ASSERT(count_open_fds() == before);
#endif
}

/* Runs a child in `mode` to its end; returns how it ended. */
static apr_status_t run_mode(const char *mode, pfz__outcap_t *out, pfz__exit_t *how,
                             apr_pool_t *pool)
{
    child_t c;
    apr_status_t st;

    memset(how, 0, sizeof(*how));
    if ((st = start_child(&c, mode, out, pool)) == APR_SUCCESS)
        st = pfz__proc_wait(c.proc, IO_TIMEOUT, how);
    stop_child(&c);
    return st;
}

/* For test-misc.c (declared there): exit status of a child in `mode`, or -1. */
int pfz_test_shm_run_mode(const char *mode);
int pfz_test_shm_run_mode(const char *mode)
{
    apr_pool_t *pool;
    pfz__exit_t how;
    int rc = -1;

    if (apr_pool_create(&pool, pfz_test_pool) != APR_SUCCESS)
        return -1;
    if (run_mode(mode, NULL, &how, pool) == APR_SUCCESS && how.kind == PFZ__EXIT_CODE)
        rc = (int)how.code;
    apr_pool_destroy(pool);
    return rc;
}

static void test_wait_kill_rss(void)
{
    apr_pool_t *pool;
    child_t c;
    pfz__exit_t how, again;
    apr_uint64_t t0, rss = 0;
    apr_size_t n;
    char buf[4];
    apr_status_t st;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(start_child(&c, "sleep", NULL, pool) == APR_SUCCESS);
    CU_ASSERT(pfz__proc_pid(c.proc) > 0);
    CU_ASSERT(apr_file_read_full(c.replies, buf, 4, &n) == APR_SUCCESS && !memcmp(buf, "RDY1", 4));
    t0 = pfz__now_us();
    st = pfz__proc_wait(c.proc, 50000, &how);
    CU_ASSERT(st == APR_TIMEUP);
    CU_ASSERT(pfz__now_us() - t0 >= 45000);
    CU_ASSERT(pfz__proc_wait(c.proc, 0, &how) == APR_TIMEUP);
    st = pfz__proc_rss(c.proc, &rss);
#if defined(__linux__) || defined(_WIN32)
    CU_ASSERT(st == APR_SUCCESS);
    CU_ASSERT(rss > 0);
#else
    CU_ASSERT(st == APR_SUCCESS || st == APR_ENOTIMPL);
#endif
    CU_ASSERT(pfz__proc_kill(c.proc) == APR_SUCCESS);
    CU_ASSERT_FATAL(pfz__proc_wait(c.proc, IO_TIMEOUT, &how) == APR_SUCCESS);
#ifndef _WIN32
    CU_ASSERT(how.kind == PFZ__EXIT_SIGNAL);
    CU_ASSERT(how.code == SIGKILL);
    CU_ASSERT(how.crash == 1);
    CU_ASSERT(strstr(how.desc, "SIGKILL") != NULL);
#else
    CU_ASSERT(how.kind == PFZ__EXIT_CODE);
    CU_ASSERT(how.crash == 1);
    CU_ASSERT(strstr(how.desc, "TerminateProcess") != NULL);
#endif
    /* Reaped: later waits repeat the result, kill is a no-op, rss refuses. */
    CU_ASSERT(pfz__proc_wait(c.proc, 0, &again) == APR_SUCCESS);
    CU_ASSERT(memcmp(&how, &again, sizeof(how)) == 0);
    CU_ASSERT(pfz__proc_kill(c.proc) == APR_SUCCESS);
    CU_ASSERT(pfz__proc_rss(c.proc, &rss) != APR_SUCCESS);
    stop_child(&c);
    apr_pool_destroy(pool);
}

/* pfz__proc_destroy on a live child kills and reaps it. */
static void test_destroy_live(void)
{
    apr_pool_t *pool;
    child_t c;
    pfz__exit_t how;
    apr_size_t n;
    char buf[4];

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(start_child(&c, "sleep", NULL, pool) == APR_SUCCESS);
    CU_ASSERT(apr_file_read_full(c.replies, buf, 4, &n) == APR_SUCCESS);
    pfz__proc_destroy(c.proc);
    CU_ASSERT(pfz__proc_wait(c.proc, 0, &how) == APR_SUCCESS);
    CU_ASSERT(how.kind != PFZ__EXIT_RUNNING);
    stop_child(&c);
    /* Also through the pool: a live child must not outlive its pool. */
    CU_ASSERT_FATAL(start_child(&c, "sleep", NULL, pool) == APR_SUCCESS);
    CU_ASSERT(apr_file_read_full(c.replies, buf, 4, &n) == APR_SUCCESS);
    apr_pool_destroy(pool);
}

#ifndef _WIN32
static void test_segv(void)
{
    apr_pool_t *pool;
    pfz__exit_t how;
    char want[64];

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(run_mode("segv", NULL, &how, pool) == APR_SUCCESS);
    CU_ASSERT(how.kind == PFZ__EXIT_SIGNAL);
    CU_ASSERT(how.code == SIGSEGV);
    CU_ASSERT(how.crash == 1);
    snprintf(want, sizeof(want), "signal %d (SIGSEGV)", SIGSEGV);
    CU_ASSERT_STRING_EQUAL(how.desc, want);
    apr_pool_destroy(pool);
}
#endif

/* What the children that wrote into `out` printed (since its last reset). */
static char *captured(pfz__outcap_t *out, apr_pool_t *pool)
{
    char *text;
    size_t len;

    pfz__outcap_snapshot(out, &text, &len, NULL, pool);
    return text;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    while (hay != NULL && (hay = strstr(hay, needle)) != NULL) {
        n++;
        hay += strlen(needle);
    }
    return n;
}

static void test_exit_code_and_log(void)
{
    apr_pool_t *pool;
    pfz__exit_t how;
    pfz__outcap_t *out;
    char *text;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(pfz__outcap_create(&out, 0, pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(run_mode("exit3", out, &how, pool) == APR_SUCCESS);
    CU_ASSERT(how.kind == PFZ__EXIT_CODE);
    CU_ASSERT(how.code == CHILD_EXIT3);
#ifndef _WIN32
    CU_ASSERT(how.crash == 0);
    CU_ASSERT_STRING_EQUAL(how.desc, "exit code 3");
#else
    /* On Windows exit code 3 is what abort() leaves: counted as a crash. */
    CU_ASSERT(how.crash == 1);
    CU_ASSERT_STRING_EQUAL(how.desc, "exit code 3 (abort)");
#endif
    text = captured(out, pool);
#ifdef _WIN32
#define NL "\r\n" /* the child's stdio is in text mode (it skipped the worker set-up) */
#else
#define NL "\n"
#endif
    CU_ASSERT(count_of(text, "pfz-test-child: stderr marker" NL) == 1);
    CU_ASSERT(count_of(text, "pfz-test-child: raw stderr marker\n") == 1);
    CU_ASSERT(count_of(text, "pfz-test-child: stdout marker" NL) == 1);
    /* A second process writes into the same capture... */
    CU_ASSERT_FATAL(run_mode("exit3", out, &how, pool) == APR_SUCCESS);
    text = captured(out, pool);
    CU_ASSERT(count_of(text, "pfz-test-child: stderr marker" NL) == 2);
    /* ...and after a reset the capture holds only the next one's output. */
    pfz__outcap_reset(out);
    CU_ASSERT_STRING_EQUAL(captured(out, pool), "");
    CU_ASSERT_FATAL(run_mode("exit3", out, &how, pool) == APR_SUCCESS);
    text = captured(out, pool);
    CU_ASSERT(count_of(text, "pfz-test-child: stderr marker" NL) == 1);
#undef NL
    pfz__outcap_destroy(out);
    apr_pool_destroy(pool);
}

static void test_bad_setup_refused(void)
{
    apr_pool_t *pool;
    pfz__exit_t how;
    pfz__proc_t *proc = (pfz__proc_t *)&how;
    apr_file_t *calls = (apr_file_t *)&how, *replies = (apr_file_t *)&how;
    pfz__shm_t *shm;
    pfz__spawn_t sp;
    const char *argv[] = {"/nonexistent/portfuzz-no-such-exe", NULL};
    pfz__outcap_t *out;
    char *text;
#ifndef _WIN32
    int before = count_open_fds();
#endif

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    /* The child refuses fds of the wrong kind (it exits 0 when it did), and
     * says which descriptor was wrong. */
    CU_ASSERT_FATAL(pfz__outcap_create(&out, 0, pool) == APR_SUCCESS);
    CU_ASSERT(run_mode("badfds", out, &how, pool) == APR_SUCCESS);
    CU_ASSERT(how.kind == PFZ__EXIT_CODE && how.code == 0);
#ifndef _WIN32
    text = captured(out, pool);
    CU_ASSERT(count_of(text, "fd 5 (shared memory) is not a regular file") == 1);
    CU_ASSERT(count_of(text, "fd 5 (shared memory) is not open") == 1);
    CU_ASSERT(count_of(text, "fd 3 (calls) is not the read end of a pipe") == 1);
    CU_ASSERT(count_of(text, "fd 3 (calls) is not open") == 1);
#else
    text = captured(out, pool);
    CU_ASSERT(count_of(text, "(shared memory) is not an open file") == 1);
    CU_ASSERT(count_of(text, "(calls) is not an open pipe") == 1);
    CU_ASSERT(count_of(text, "PORTFUZZ_WORKER_HANDLES is malformed") == 20);
    CU_ASSERT(count_of(text, "PORTFUZZ_WORKER_HANDLES is not set") == 1);
#endif
    pfz__outcap_destroy(out);
    /* A missing executable fails in the parent, with nothing left open. */
    CU_ASSERT_FATAL(pfz__shm_create(&shm, 4096, pool) == APR_SUCCESS);
    memset(&sp, 0, sizeof(sp));
    sp.exe = argv[0];
    sp.argv = argv;
    sp.shm = shm;
    CU_ASSERT(pfz__proc_spawn_worker(&proc, &calls, &replies, &sp, pool) != APR_SUCCESS);
    CU_ASSERT(proc == NULL && calls == NULL && replies == NULL);
#ifdef _WIN32
    CU_ASSERT(sp.failed_call != NULL && strcmp(sp.failed_call, "CreateProcessW") == 0);
#else
    CU_ASSERT(sp.failed_call != NULL && strcmp(sp.failed_call, "posix_spawn") == 0);
#endif
    pfz__shm_close(shm);
#ifndef _WIN32
    CU_ASSERT(count_open_fds() == before);
#endif
    apr_pool_destroy(pool);
}

#ifdef _WIN32
/* The command line carries every argument exactly (MSVC quoting rules). */
static void test_win32_argv(void)
{
    apr_pool_t *pool;
    child_t c;
    pfz__exit_t how;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(start_child_argv(&c, "argv", NULL, tricky_args, pool) == APR_SUCCESS);
    CU_ASSERT(pfz__proc_wait(c.proc, IO_TIMEOUT, &how) == APR_SUCCESS);
    CU_ASSERT(how.kind == PFZ__EXIT_CODE && how.code == 0);
    stop_child(&c);
    apr_pool_destroy(pool);
}

/* Crashes end with their exception code, named, and the worker's exception
 * reporter prints what and where (with a stack) before the process ends. */
static void test_win32_exceptions(void)
{
    static const struct {
        const char *mode;
        pfz__exit_kind_e kind;
        apr_uint32_t code;
        const char *desc, *report;
    } cases[] = {
        {"crash-av", PFZ__EXIT_EXCEPTION, 0xC0000005u, "exception 0xC0000005 (access violation)",
         "==portfuzz== exception 0xc0000005 (access violation) at 0x"},
        {"crash-stack", PFZ__EXIT_EXCEPTION, 0xC00000FDu, "exception 0xC00000FD (stack overflow)",
         "==portfuzz== exception 0xc00000fd (stack overflow) at 0x"},
        {"crash-div", PFZ__EXIT_EXCEPTION, 0xC0000094u,
         "exception 0xC0000094 (integer divide by zero)",
         "==portfuzz== exception 0xc0000094 (integer divide by zero) at 0x"},
        {"crash-break", PFZ__EXIT_EXCEPTION, 0x80000003u, "exception 0x80000003 (breakpoint)",
         "==portfuzz== exception 0x80000003 (breakpoint) at 0x"},
        {"crash-abort", PFZ__EXIT_CODE, 3u, "exit code 3 (abort)",
         "==portfuzz== abort() called (exit code 3)"},
    };
    apr_pool_t *pool;
    pfz__exit_t how;
    pfz__outcap_t *out;
    char *text;
    size_t i;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_FATAL(pfz__outcap_create(&out, 0, pool) == APR_SUCCESS);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int ok;
        pfz__outcap_reset(out);
        CU_ASSERT_FATAL(run_mode(cases[i].mode, out, &how, pool) == APR_SUCCESS);
        text = captured(out, pool);
        ok = how.kind == cases[i].kind && how.code == cases[i].code && how.crash == 1 &&
             strcmp(how.desc, cases[i].desc) == 0 && text != NULL &&
             strstr(text, cases[i].report) != NULL && strstr(text, "    #0 0x") != NULL &&
             strstr(text, "    #1 0x") != NULL && strstr(text, "still alive") == NULL;
        if (!ok)
            fprintf(stderr, "\n  %s: ended with [%s]; its output:\n%s\n", cases[i].mode, how.desc,
                    text != NULL ? text : "(none)");
        CU_ASSERT(ok);
    }
    pfz__outcap_destroy(out);
    apr_pool_destroy(pool);
}

/* Exit codes that are not in the table: NTSTATUS errors are exceptions,
 * the Ctrl-C exit and other values are plain codes (big ones in hex). */
static void test_win32_exit_codes(void)
{
    static const struct {
        const char *mode;
        pfz__exit_kind_e kind;
        apr_uint32_t code;
        int crash;
        const char *desc;
    } cases[] = {
        {"exitcode-C0000135", PFZ__EXIT_EXCEPTION, 0xC0000135u, 1, "exception 0xC0000135"},
        {"exitcode-C000013A", PFZ__EXIT_CODE, 0xC000013Au, 0, "exit code 0xC000013A"},
        {"exitcode-12345", PFZ__EXIT_CODE, 0x12345u, 0, "exit code 0x00012345"},
        {"exitcode-2A", PFZ__EXIT_CODE, 42u, 0, "exit code 42"},
        {"exitcode-C0000409", PFZ__EXIT_EXCEPTION, 0xC0000409u, 1,
         "exception 0xC0000409 (stack buffer overrun / fast fail)"},
    };
    apr_pool_t *pool;
    pfz__exit_t how;
    size_t i;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_FATAL(run_mode(cases[i].mode, NULL, &how, pool) == APR_SUCCESS);
        CU_ASSERT(how.kind == cases[i].kind);
        CU_ASSERT(how.code == cases[i].code);
        CU_ASSERT(how.crash == cases[i].crash);
        CU_ASSERT_STRING_EQUAL(how.desc, cases[i].desc);
    }
    apr_pool_destroy(pool);
}
#endif

#ifdef _WIN32
/* Starts a "spawner" child; returns a handle on its descendant (or NULL). */
static HANDLE start_spawner(child_t *c, const char *mode, apr_pool_t *pool)
{
    unsigned char buf[8];
    apr_size_t n = 0;
    DWORD pid = 0;
    HANDLE g;
    int i;

    if (start_child(c, mode, NULL, pool) != APR_SUCCESS ||
        apr_file_read_full(c->replies, buf, sizeof(buf), &n) != APR_SUCCESS ||
        memcmp(buf, "RDY1", 4) != 0)
        return NULL;
    for (i = 0; i < 4; i++)
        pid |= (DWORD)buf[4 + i] << (8 * i);
    g = OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE, FALSE, pid);
    if (g != NULL && WaitForSingleObject(g, 0) != WAIT_TIMEOUT) {
        CloseHandle(g); /* not alive: nothing to test */
        g = NULL;
    }
    return g;
}

/* Each worker has a job of its own: pfz__proc_kill ends the worker and every
 * process it started, also after the worker itself has ended; destroy (which
 * closes the job) ends them too. */
static void test_win32_kill_ends_descendants(void)
{
    apr_pool_t *pool;
    child_t c;
    pfz__exit_t how;
    HANDLE g;

    CU_ASSERT_FATAL(apr_pool_create(&pool, pfz_test_pool) == APR_SUCCESS);
    /* Killed while running. */
    g = start_spawner(&c, "spawner", pool);
    CU_ASSERT_FATAL(g != NULL);
    CU_ASSERT(pfz__proc_kill(c.proc) == APR_SUCCESS);
    CU_ASSERT(pfz__proc_wait(c.proc, IO_TIMEOUT, &how) == APR_SUCCESS);
    CU_ASSERT(strstr(how.desc, "TerminateProcess") != NULL);
    CU_ASSERT(WaitForSingleObject(g, 10000) == WAIT_OBJECT_0); /* the descendant is gone */
    TerminateProcess(g, 1);
    CloseHandle(g);
    stop_child(&c);
    /* The worker ended by itself and left its descendant: kill still ends it. */
    g = start_spawner(&c, "spawner-exit", pool);
    CU_ASSERT_FATAL(g != NULL);
    CU_ASSERT(pfz__proc_wait(c.proc, IO_TIMEOUT, &how) == APR_SUCCESS);
    CU_ASSERT(how.kind == PFZ__EXIT_CODE && how.code == 0);
    CU_ASSERT(WaitForSingleObject(g, 200) == WAIT_TIMEOUT); /* still there */
    CU_ASSERT(pfz__proc_kill(c.proc) == APR_SUCCESS);
    CU_ASSERT(WaitForSingleObject(g, 10000) == WAIT_OBJECT_0);
    TerminateProcess(g, 1);
    CloseHandle(g);
    stop_child(&c);
    /* And destroy alone (the pool's cleanup, or a coordinator ending). */
    g = start_spawner(&c, "spawner-exit", pool);
    CU_ASSERT_FATAL(g != NULL);
    CU_ASSERT(pfz__proc_wait(c.proc, IO_TIMEOUT, &how) == APR_SUCCESS);
    stop_child(&c);
    CU_ASSERT(WaitForSingleObject(g, 10000) == WAIT_OBJECT_0);
    TerminateProcess(g, 1);
    CloseHandle(g);
    apr_pool_destroy(pool);
}
#endif

void pfz_test_register_shm(void)
{
    CU_pSuite s = pfz_test_suite("shm");

    PFZ_TEST_ADD(s, test_region_basics);
#ifndef _WIN32
    PFZ_TEST_ADD(s, test_region_leaves_no_file);
#endif
    PFZ_TEST_ADD(s, test_spawn_inherit);
    PFZ_TEST_ADD(s, test_spawn_concurrent);
    PFZ_TEST_ADD(s, test_wait_kill_rss);
    PFZ_TEST_ADD(s, test_destroy_live);
#ifndef _WIN32
    PFZ_TEST_ADD(s, test_segv);
#endif
    PFZ_TEST_ADD(s, test_exit_code_and_log);
    PFZ_TEST_ADD(s, test_bad_setup_refused);
#ifdef _WIN32
    PFZ_TEST_ADD(s, test_win32_argv);
    PFZ_TEST_ADD(s, test_win32_exceptions);
    PFZ_TEST_ADD(s, test_win32_exit_codes);
    PFZ_TEST_ADD(s, test_win32_kill_ends_descendants);
#endif
}
