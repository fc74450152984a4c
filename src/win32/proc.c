/* proc.c -- worker processes, Win32: CreateProcessW with an explicit handle
 * list, one kill-on-close job object per worker, waiting with a timeout,
 * TerminateJobObject,
 * exit-code classification, RSS, and the worker's side of the contract
 * (wire.h): PORTFUZZ_WORKER_HANDLES, no error dialogs, and an
 * unhandled-exception reporter.
 *
 * Handle hygiene: workers are spawned from several coordinator threads at
 * once, and a pipe end that leaks into the wrong worker hides EOF forever.
 * Every handle we create is non-inheritable; for one spawn, the child's ends
 * are made inheritable (pipes: SetHandleInformation on the ends we close right
 * after CreateProcess; the shared-memory file: an inheritable duplicate) and
 * listed in PROC_THREAD_ATTRIBUTE_HANDLE_LIST, so the child gets exactly
 * those, whatever other threads have made inheritable at the same moment.
 * No lock is needed for that: the list, not the inherit flag, decides.
 */
#ifndef _WIN32
#error "src/win32 is the Win32 layer; the build picked the wrong platform"
#endif

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "win32.h"

#include "rawline.h"

#include <psapi.h>

#include <crtdbg.h>
#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "wire.h"

/* The exit code TerminateProcess gives a worker we kill: recognisable, and
 * neither a plausible exit() status nor an NTSTATUS. */
#define KILLED_EXIT_CODE 0xDEADu

/* The longest command line CreateProcessW accepts, in characters. */
#define MAX_CMDLINE 32767

struct pfz__proc {
    /* Guards everything below: the process handle is closed (by
     * pfz__proc_destroy) only under it, so kill and rss never use a closed
     * (and possibly recycled) handle value. */
    apr_thread_mutex_t *lock;
    HANDLE process;        /* NULL once released */
    HANDLE job;            /* the worker's own job (NULL: none could be made); NULL once released */
    DWORD pid;
    int ended;             /* its exit code was read (how is valid) */
    apr_status_t wait_err; /* when waiting itself failed: what later waits return */
    int killed;            /* pfz__proc_kill ended it (TerminateJobObject / TerminateProcess) */
    int released;          /* pfz__proc_destroy ran */
    pfz__exit_t how;
};

/* ------------------------------------------------------- classification */

static const struct {
    DWORD code;
    const char *name;
} exception_names[] = {
    {0xC0000005u, "access violation"},
    {0xC00000FDu, "stack overflow"},
    {0xC0000409u, "stack buffer overrun / fast fail"},
    {0xC000001Du, "illegal instruction"},
    {0xC0000094u, "integer divide by zero"},
    {0x80000003u, "breakpoint"},
    {0xC0000374u, "heap corruption"},
    {0xC0000006u, "in-page error"},
    {0xC0000095u, "integer overflow"},
    {0xC0000096u, "privileged instruction"},
    {0xC000008Cu, "array bounds exceeded"},
    {0xC000008Eu, "float divide by zero"},
    {0xC0000090u, "float invalid operation"},
    {0xC0000025u, "noncontinuable exception"},
    {0xC0000026u, "invalid disposition"},
    {0x80000002u, "datatype misalignment"},
    {0xC0000420u, "assertion failure"},
    {0xE06D7363u, "unhandled C++ exception"},
};

static const char *exception_name(DWORD code)
{
    size_t i;

    for (i = 0; i < sizeof(exception_names) / sizeof(exception_names[0]); i++)
        if (exception_names[i].code == code)
            return exception_names[i].name;
    return NULL;
}

/* How a process that ended with `code` ended. An NTSTATUS of error severity
 * (0xC...) or a known warning-level exception means an exception ended it;
 * 3 is what the CRT's abort() exits with. */
static void classify(pfz__exit_t *how, DWORD code, int killed)
{
    const char *name = exception_name(code);

    memset(how, 0, sizeof(*how));
    how->code = code;
    if (killed && code == KILLED_EXIT_CODE) {
        /* Like SIGKILL on POSIX: it did not end by itself. */
        how->kind = PFZ__EXIT_CODE;
        how->crash = 1;
        how->killed = 1;
        snprintf(how->desc, sizeof(how->desc), "killed (TerminateProcess, exit code 0x%lX)",
                 (unsigned long)code);
    } else if (name != NULL ||
               ((code & 0xF0000000u) == 0xC0000000u && code != 0xC000013Au /* Ctrl-C exit */)) {
        how->kind = PFZ__EXIT_EXCEPTION;
        how->crash = 1;
        if (name != NULL)
            snprintf(how->desc, sizeof(how->desc), "exception 0x%08lX (%s)", (unsigned long)code,
                     name);
        else
            snprintf(how->desc, sizeof(how->desc), "exception 0x%08lX", (unsigned long)code);
    } else if (code == 3) {
        how->kind = PFZ__EXIT_CODE;
        how->crash = 1;
        snprintf(how->desc, sizeof(how->desc), "exit code 3 (abort)");
    } else {
        how->kind = PFZ__EXIT_CODE;
        how->crash = 0; /* the common layer decides what a code means */
        if (code < 0x10000u)
            snprintf(how->desc, sizeof(how->desc), "exit code %lu", (unsigned long)code);
        else
            snprintf(how->desc, sizeof(how->desc), "exit code 0x%08lX", (unsigned long)code);
    }
}

/* ------------------------------------------------------------ the job */

/* One job object per worker. Killing the worker ends the job: the worker and
 * every process the target started (a descendant that holds the worker's
 * output, or lingers, cannot outlive it). Kill-on-close: the coordinator holds
 * the only handle, so when it ends (even killed) the system closes it and the
 * worker's whole tree ends. A coordinator that is itself in a job (a CI
 * runner, a test harness) gets these nested under its own (Windows 8 and
 * later), so the outer job still reaches the workers. */
static HANDLE create_worker_job(void)
{
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION info;
    HANDLE j = CreateJobObjectW(NULL, NULL);

    if (j == NULL)
        return NULL;
    memset(&info, 0, sizeof(info));
    /* DIE_ON_UNHANDLED_EXCEPTION: no error-reporting dialog even before the
     * worker's own SetErrorMode runs. */
    info.BasicLimitInformation.LimitFlags =
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
    if (!SetInformationJobObject(j, JobObjectExtendedLimitInformation, &info, sizeof(info))) {
        DWORD err = GetLastError();
        CloseHandle(j);
        SetLastError(err);
        return NULL;
    }
    return j;
}

/* ------------------------------------------------------- command line */

/* Appends `arg` to `out` quoted so that CommandLineToArgvW and the MSVC CRT
 * give back exactly `arg`: inside quotes, backslashes are literal except
 * before a quote, where 2n backslashes mean n and 2n+1 mean n plus a literal
 * quote. (argv[0] has no escapes at all, but a path holds no quote.) */
static char *quote_arg(char *out, const char *arg)
{
    const char *p;
    size_t bs;

    if (*arg != '\0' && strpbrk(arg, " \t\n\v\"") == NULL) {
        size_t n = strlen(arg);
        memcpy(out, arg, n);
        return out + n;
    }
    *out++ = '"';
    for (p = arg;; p++) {
        bs = 0;
        while (*p == '\\') {
            bs++;
            p++;
        }
        if (*p == '\0') {
            /* Before the closing quote: double them. */
            while (bs--) {
                *out++ = '\\';
                *out++ = '\\';
            }
            break;
        }
        if (*p == '"') {
            while (bs--) {
                *out++ = '\\';
                *out++ = '\\';
            }
            *out++ = '\\';
            *out++ = '"';
        } else {
            while (bs--)
                *out++ = '\\';
            *out++ = *p;
        }
    }
    *out++ = '"';
    return out;
}

static apr_status_t build_cmdline(wchar_t **wcmd, const char *const *argv, apr_pool_t *pool)
{
    size_t need = 1, i;
    char *cmd, *q;

    for (i = 0; argv[i] != NULL; i++)
        need += 2 * strlen(argv[i]) + 3; /* worst case: every char escaped, quotes, space */
    q = cmd = apr_palloc(pool, need);
    for (i = 0; argv[i] != NULL; i++) {
        if (i > 0)
            *q++ = ' ';
        q = quote_arg(q, argv[i]);
    }
    *q = '\0';
    if ((*wcmd = pfz__win32_wide(cmd, pool)) == NULL)
        return APR_EINVAL; /* not UTF-8 */
    if (wcslen(*wcmd) >= MAX_CMDLINE)
        return APR_FROM_OS_ERROR(ERROR_FILENAME_EXCED_RANGE);
    return APR_SUCCESS;
}

/* ------------------------------------------------------- environment */

/* Length of the name of a "NAME=value" entry. Names of the hidden
 * per-drive entries begin with '=' ("=C:=C:\\dir"), so the search starts at 1. */
static size_t wenv_name_len(const wchar_t *e)
{
    const wchar_t *eq = e[0] != L'\0' ? wcschr(e + 1, L'=') : NULL;

    return eq != NULL ? (size_t)(eq - e) : wcslen(e);
}

/* Environment names are case-insensitive on Windows. */
static int wenv_names_equal(const wchar_t *a, size_t alen, const wchar_t *b, size_t blen)
{
    return alen == blen && CompareStringOrdinal(a, (int)alen, b, (int)blen, TRUE) == CSTR_EQUAL;
}

static int wenv_cmp(const void *pa, const void *pb)
{
    const wchar_t *a = *(const wchar_t *const *)pa, *b = *(const wchar_t *const *)pb;
    int r = CompareStringOrdinal(a, (int)wenv_name_len(a), b, (int)wenv_name_len(b), TRUE);

    return r == CSTR_LESS_THAN ? -1 : r == CSTR_GREATER_THAN ? 1 : 0;
}

/* Our environment, minus PORTFUZZ_WORKER_HANDLES and the names env_extra
 * sets, plus `handles_entry`, plus env_extra (a name there replaces ours,
 * as on POSIX); sorted by name as CreateProcess documents; as one
 * double-NUL-terminated UTF-16 block. */
static apr_status_t build_env(wchar_t **block, const char *const *extra,
                              const wchar_t *handles_entry, apr_pool_t *pool)
{
    static const wchar_t handles_name[] = L"" PFZ__ENV_HANDLES;
    wchar_t *envw = GetEnvironmentStringsW(), *e, **entries, **wextra = NULL, *out;
    size_t n_env = 0, n_extra = 0, n = 0, total = 1, i, j, len;
    apr_status_t st = APR_SUCCESS;

    *block = NULL;
    if (envw == NULL)
        return APR_FROM_OS_ERROR(GetLastError());
    for (e = envw; *e != L'\0'; e += wcslen(e) + 1)
        n_env++;
    for (i = 0; extra != NULL && extra[i] != NULL; i++)
        n_extra++;
    entries = apr_palloc(pool, (n_env + n_extra + 1) * sizeof(*entries));
    if (n_extra > 0)
        wextra = apr_palloc(pool, n_extra * sizeof(*wextra));
    for (i = 0; i < n_extra; i++) {
        if (extra[i][0] == '=' || strchr(extra[i], '=') == NULL ||
            (wextra[i] = pfz__win32_wide(extra[i], pool)) == NULL) {
            st = APR_EINVAL; /* not "NAME=value" in UTF-8 */
            goto done;
        }
    }
    for (e = envw; *e != L'\0'; e += wcslen(e) + 1) {
        size_t nl = wenv_name_len(e);
        int skip = wenv_names_equal(e, nl, handles_name, wcslen(handles_name));

        for (j = 0; !skip && j < n_extra; j++)
            skip = wenv_names_equal(e, nl, wextra[j], wenv_name_len(wextra[j]));
        if (!skip)
            entries[n++] = apr_pmemdup(pool, e, (wcslen(e) + 1) * sizeof(wchar_t));
    }
    for (j = 0; j < n_extra; j++)
        if (wenv_names_equal(wextra[j], wenv_name_len(wextra[j]), handles_name,
                             wcslen(handles_name)))
            break;
    if (j == n_extra)
        entries[n++] = (wchar_t *)handles_entry;
    for (j = 0; j < n_extra; j++)
        entries[n++] = wextra[j];
    qsort(entries, n, sizeof(*entries), wenv_cmp);
    for (i = 0; i < n; i++)
        total += wcslen(entries[i]) + 1;
    out = apr_palloc(pool, (total + 1) * sizeof(wchar_t));
    *block = out;
    for (i = 0; i < n; i++) {
        len = wcslen(entries[i]) + 1;
        memcpy(out, entries[i], len * sizeof(wchar_t));
        out += len;
    }
    *out++ = L'\0';
    if (n == 0)
        *out = L'\0'; /* an empty block still needs two NULs */
done:
    FreeEnvironmentStringsW(envw);
    return st;
}

/* ------------------------------------------------------------ spawning */

static apr_status_t proc_cleanup(void *data)
{
    pfz__proc_destroy(data);
    return APR_SUCCESS;
}

static void close_handle(HANDLE *h)
{
    if (*h != NULL && *h != INVALID_HANDLE_VALUE)
        CloseHandle(*h);
    *h = NULL;
}

/* An inheritable duplicate of `h` (which stays as it is). */
static apr_status_t dup_inheritable(HANDLE *out, HANDLE h)
{
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), out, 0, TRUE,
                         DUPLICATE_SAME_ACCESS)) {
        *out = NULL;
        return APR_FROM_OS_ERROR(GetLastError());
    }
    return APR_SUCCESS;
}

static int usable_handle(HANDLE h)
{
    return h != NULL && h != INVALID_HANDLE_VALUE && GetFileType(h) != FILE_TYPE_UNKNOWN;
}

/* The status of a failed Win32 call made by the spawn: GetLastError as an APR
 * status, and the call's name in *failed_api, so that the failure can say
 * which call it was (an OS error alone, such as Wine's "Internal error."
 * from CreateProcessW, does not). */
static apr_status_t spawn_error(const char **failed_api, const char *api)
{
    DWORD err = GetLastError();

    *failed_api = api;
    /* A failed call that set no error must not read as success. */
    return err != ERROR_SUCCESS ? APR_FROM_OS_ERROR(err) : APR_EGENERAL;
}

apr_status_t pfz__proc_spawn_worker(pfz__proc_t **proc, apr_file_t **calls,
                                    apr_file_t **replies, pfz__spawn_t *args,
                                    apr_pool_t *pool)
{
    /* The worker reads calls_r and writes replies_w (the native handles of
     * calls_rf and replies_wf); we keep calls_wf and replies_rf. The child's
     * ends, shm_dup, std_in/std_out/std_err are inheritable and closed at the
     * end whatever happens. */
    apr_file_t *calls_rf = NULL, *calls_wf = NULL, *replies_rf = NULL, *replies_wf = NULL;
    HANDLE calls_r = NULL, replies_w = NULL;
    HANDLE shm_dup = NULL, std_in = NULL, std_out = NULL, std_err = NULL;
    HANDLE list[6], job = NULL;
    SECURITY_ATTRIBUTES sa_inherit;
    STARTUPINFOEXW si;
    PROCESS_INFORMATION pi;
    LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
    SIZE_T attrs_size = 0;
    DWORD n_list = 0, flags;
    wchar_t *wexe, *wcmd, *wenv, handles_entry[sizeof(PFZ__ENV_HANDLES) + 3 * 17];
    apr_pool_t *tmp = NULL;
    pfz__proc_t *p;
    apr_status_t st;
    const char *failed_api = NULL; /* the Win32 call that failed, if one did */
    int have_attrs = 0;

    *proc = NULL;
    *calls = NULL;
    *replies = NULL;
    if (args != NULL)
        args->failed_call = NULL;
    if (args == NULL || args->exe == NULL || args->argv == NULL || args->argv[0] == NULL ||
        pfz__shm_file_handle(args->shm) == NULL)
        return APR_EINVAL;
    /* Allocated before the child exists: after CreateProcess nothing may fail
     * and leave a process nobody can wait for. */
    p = apr_pcalloc(pool, sizeof(*p));
    if ((st = apr_thread_mutex_create(&p->lock, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS)
        return st;
    /* Strings and the environment block go in a scratch pool: a long-lived
     * pool must not grow with every worker restart. */
    if ((st = apr_pool_create(&tmp, pool)) != APR_SUCCESS)
        return st;
    if ((wexe = pfz__win32_wide(args->exe, tmp)) == NULL) {
        st = APR_EINVAL;
        goto done;
    }
    if ((st = build_cmdline(&wcmd, args->argv, tmp)) != APR_SUCCESS)
        goto done;

    /* APR's pipes rather than CreatePipe: our ends are overlapped, which is
     * what apr_file_pipe_timeout_set needs on Windows; the worker's ends are
     * plain blocking handles. The worker's ends live in `tmp` (closed below),
     * ours in `pool`. None is inheritable. */
    if ((st = apr_file_pipe_create_pools(&calls_rf, &calls_wf, APR_READ_BLOCK, tmp, pool)) !=
            APR_SUCCESS ||
        (st = apr_file_pipe_create_pools(&replies_rf, &replies_wf, APR_WRITE_BLOCK, pool, tmp)) !=
            APR_SUCCESS) {
        failed_api = "apr_file_pipe_create_pools (CreateNamedPipe/CreateFile/CreateEvent)";
        goto done;
    }
    /* APR makes the overlapped ends non-blocking (timeout 0). Ours block,
     * but for the reply end's slice (a timed-out overlapped read reports
     * what it got; a timed-out write does not, so the call end has none). */
    apr_file_pipe_timeout_set(calls_wf, -1);
    apr_file_pipe_timeout_set(replies_rf, args->io_slice_us > 0 ? args->io_slice_us : -1);
    apr_os_file_get(&calls_r, calls_rf);
    apr_os_file_get(&replies_w, replies_wf);
    if (!SetHandleInformation(calls_r, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT) ||
        !SetHandleInformation(replies_w, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)) {
        st = spawn_error(&failed_api, "SetHandleInformation (pipe)");
        goto done;
    }
    if ((st = dup_inheritable(&shm_dup, pfz__shm_file_handle(args->shm))) != APR_SUCCESS) {
        failed_api = "DuplicateHandle (shared memory)";
        goto done;
    }

    /* Standard handles: stdin is NUL (a worker never reads the terminal);
     * stdout and stderr go to the output pipe, or are inheritable copies of
     * ours. They must be on the handle list like the channels. */
    sa_inherit.nLength = sizeof(sa_inherit);
    sa_inherit.lpSecurityDescriptor = NULL;
    sa_inherit.bInheritHandle = TRUE;
    std_in = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa_inherit,
                         OPEN_EXISTING, 0, NULL);
    if (std_in == INVALID_HANDLE_VALUE) {
        std_in = NULL;
        st = spawn_error(&failed_api, "CreateFileW (NUL)");
        goto done;
    }
    if (args->output != NULL) {
        /* The write end of the output pipe (pfz__output_pipe_create): an
         * inheritable duplicate serves as both stdout and stderr, so the two
         * arrive interleaved as written. */
        HANDLE o = NULL;

        if (apr_os_file_get(&o, args->output) != APR_SUCCESS || !usable_handle(o)) {
            st = APR_EBADF;
            goto done;
        }
        if ((st = dup_inheritable(&std_out, o)) != APR_SUCCESS) {
            failed_api = "DuplicateHandle (output pipe)";
            goto done;
        }
    } else {
        HANDLE o = GetStdHandle(STD_OUTPUT_HANDLE), e = GetStdHandle(STD_ERROR_HANDLE);

        if (usable_handle(o) && (st = dup_inheritable(&std_out, o)) != APR_SUCCESS) {
            failed_api = "DuplicateHandle (stdout)";
            goto done;
        }
        if (usable_handle(e) && (st = dup_inheritable(&std_err, e)) != APR_SUCCESS) {
            failed_api = "DuplicateHandle (stderr)";
            goto done;
        }
    }
    list[n_list++] = calls_r;
    list[n_list++] = replies_w;
    list[n_list++] = shm_dup;
    list[n_list++] = std_in;
    if (std_out != NULL)
        list[n_list++] = std_out;
    if (std_err != NULL)
        list[n_list++] = std_err;

    /* "%p" is not portable between CRTs; the handle values fit in 64 bits. */
    _snwprintf(handles_entry, sizeof(handles_entry) / sizeof(handles_entry[0]),
               L"" PFZ__ENV_HANDLES L"=%llx,%llx,%llx", (unsigned long long)(ULONG_PTR)calls_r,
               (unsigned long long)(ULONG_PTR)replies_w, (unsigned long long)(ULONG_PTR)shm_dup);
    handles_entry[sizeof(handles_entry) / sizeof(handles_entry[0]) - 1] = L'\0';
    if ((st = build_env(&wenv, args->env_extra, handles_entry, tmp)) != APR_SUCCESS)
        goto done;

    InitializeProcThreadAttributeList(NULL, 1, 0, &attrs_size);
    attrs = apr_palloc(tmp, attrs_size);
    if (!InitializeProcThreadAttributeList(attrs, 1, 0, &attrs_size)) {
        st = spawn_error(&failed_api, "InitializeProcThreadAttributeList");
        goto done;
    }
    have_attrs = 1;
    if (!UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list,
                                   n_list * sizeof(HANDLE), NULL, NULL)) {
        st = spawn_error(&failed_api, "UpdateProcThreadAttribute");
        goto done;
    }
    memset(&si, 0, sizeof(si));
    si.StartupInfo.cb = sizeof(si);
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = std_in;
    si.StartupInfo.hStdOutput = std_out != NULL ? std_out : std_in;
    si.StartupInfo.hStdError =
        args->output != NULL ? std_out : std_err != NULL ? std_err : si.StartupInfo.hStdOutput;
    si.lpAttributeList = attrs;

    /* Suspended until it is in the job: it must never run unguarded. With its
     * output captured the worker needs no console at all (then Ctrl-C in the
     * coordinator's console reaches the coordinator only). */
    flags = EXTENDED_STARTUPINFO_PRESENT | CREATE_UNICODE_ENVIRONMENT | CREATE_SUSPENDED;
    if (args->output != NULL)
        flags |= CREATE_NO_WINDOW;
    if (!pfz__win32_sys.CreateProcessW(wexe, wcmd, NULL, NULL, TRUE, flags, wenv, NULL, &si.StartupInfo,
                                       &pi)) {
        st = spawn_error(&failed_api, "CreateProcessW");
        goto done;
    }
    job = create_worker_job();
    if (job == NULL || !AssignProcessToJobObject(job, pi.hProcess)) {
        static volatile LONG warned;
        DWORD err = GetLastError();

        /* Rare (Windows 7 inside a job that forbids nesting): run anyway;
         * the worker still ends at EOF on its calls pipe, and a kill ends
         * the worker process alone. */
        if (InterlockedExchange(&warned, 1) == 0) {
            char line[300];

            snprintf(line, sizeof(line),
                     "WARNING: cannot put workers in a job object (%s, Win32 error %lu); a "
                     "worker busy in the target outlives a coordinator that is killed, and "
                     "processes the target starts outlive the worker",
                     job == NULL ? "CreateJobObjectW/SetInformationJobObject"
                                 : "AssignProcessToJobObject",
                     (unsigned long)err);
            pfz__complain(line);
        }
        close_handle(&job);
    }
    if (ResumeThread(pi.hThread) == (DWORD)-1) {
        /* A worker left suspended would never answer: end it and fail the
         * spawn (the caller retries) rather than hand back a dead end. */
        st = spawn_error(&failed_api, "ResumeThread");
        TerminateProcess(pi.hProcess, KILLED_EXIT_CODE);
        WaitForSingleObject(pi.hProcess, 10000);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
        close_handle(&job);
        goto done;
    }
    CloseHandle(pi.hThread);

    p->process = pi.hProcess;
    p->job = job;
    p->pid = pi.dwProcessId;
    apr_pool_cleanup_register(pool, p, proc_cleanup, apr_pool_cleanup_null);
    /* Closed by `pool`'s cleanup, or by the caller. */
    *calls = calls_wf;
    *replies = replies_rf;
    calls_wf = NULL;
    replies_rf = NULL;
    *proc = p;
    st = APR_SUCCESS;

done:
    /* Wine's "Internal error." (1359) alone would puzzle: say what it means. */
    if (st != APR_SUCCESS && failed_api != NULL && strcmp(failed_api, "CreateProcessW") == 0 &&
        APR_TO_OS_ERROR(st) == ERROR_INTERNAL_ERROR)
        failed_api = "CreateProcessW (under Wine, error 1359 means the new process died while "
                     "starting)";
    args->failed_call = st != APR_SUCCESS ? failed_api : NULL;
    if (have_attrs)
        DeleteProcThreadAttributeList(attrs);
    /* The child has its own copies now. */
    if (calls_rf != NULL)
        apr_file_close(calls_rf);
    if (replies_wf != NULL)
        apr_file_close(replies_wf);
    close_handle(&shm_dup);
    close_handle(&std_in);
    close_handle(&std_out);
    close_handle(&std_err);
    /* Ours, unless handed to the caller. */
    if (calls_wf != NULL)
        apr_file_close(calls_wf);
    if (replies_rf != NULL)
        apr_file_close(replies_rf);
    if (tmp != NULL)
        apr_pool_destroy(tmp);
    return st;
}

apr_status_t pfz__output_pipe_create(apr_file_t **rd, apr_file_t **wr, apr_pool_t *pool)
{
    apr_status_t st;

    /* APR_WRITE_BLOCK: our read end is overlapped, which is what
     * apr_file_pipe_timeout_set needs; the write end is a plain blocking
     * handle, as a worker's stdout must be. Neither is inheritable: the spawn
     * hands the worker a duplicate. */
    *rd = *wr = NULL;
    if ((st = apr_file_pipe_create_pools(rd, wr, APR_WRITE_BLOCK, pool, pool)) != APR_SUCCESS)
        return st;
    apr_file_pipe_timeout_set(*wr, -1);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------ waiting */

/* (lock held) Reads the exit code of a process that has ended. */
static void record_end_locked(pfz__proc_t *proc)
{
    DWORD code;

    if (proc->ended)
        return;
    if (!GetExitCodeProcess(proc->process, &code)) {
        proc->wait_err = APR_FROM_OS_ERROR(GetLastError());
    } else {
        classify(&proc->how, code, proc->killed);
        proc->wait_err = APR_SUCCESS;
    }
    proc->ended = 1;
}

apr_status_t pfz__proc_wait(pfz__proc_t *proc, apr_interval_time_t timeout, pfz__exit_t *how)
{
    HANDLE h = NULL;
    DWORD ms, r;
    apr_status_t st;

    if (proc == NULL)
        return APR_EINVAL;
    apr_thread_mutex_lock(proc->lock);
    if (!proc->ended && proc->process != NULL &&
        !DuplicateHandle(GetCurrentProcess(), proc->process, GetCurrentProcess(), &h, SYNCHRONIZE,
                         FALSE, 0)) {
        /* Wait on our own duplicate so that a concurrent destroy closing the
         * original cannot pull the handle from under WaitForSingleObject. */
        proc->wait_err = APR_FROM_OS_ERROR(GetLastError());
        proc->ended = 1;
    }
    apr_thread_mutex_unlock(proc->lock);

    if (h != NULL) {
        if (timeout < 0)
            ms = INFINITE;
        else if (timeout / 1000 >= (apr_interval_time_t)INFINITE - 1)
            ms = INFINITE - 1;
        else
            ms = (DWORD)((timeout + 999) / 1000); /* never return early */
        r = WaitForSingleObject(h, ms);
        CloseHandle(h);
        if (r == WAIT_TIMEOUT) {
            if (how != NULL) {
                memset(how, 0, sizeof(*how));
                how->kind = PFZ__EXIT_RUNNING;
                snprintf(how->desc, sizeof(how->desc), "running");
            }
            return APR_TIMEUP;
        }
        if (r != WAIT_OBJECT_0)
            st = APR_FROM_OS_ERROR(GetLastError());
        else
            st = APR_SUCCESS;
        apr_thread_mutex_lock(proc->lock);
        if (st != APR_SUCCESS && !proc->ended) {
            proc->wait_err = st;
            proc->ended = 1;
        }
        if (proc->process != NULL)
            record_end_locked(proc);
        apr_thread_mutex_unlock(proc->lock);
    }
    apr_thread_mutex_lock(proc->lock);
    st = proc->ended ? proc->wait_err : APR_EGENERAL;
    if (st == APR_SUCCESS && how != NULL)
        *how = proc->how;
    apr_thread_mutex_unlock(proc->lock);
    return st;
}

apr_status_t pfz__proc_kill(pfz__proc_t *proc)
{
    apr_status_t st = APR_SUCCESS;
    DWORD err;

    if (proc == NULL)
        return APR_EINVAL;
    apr_thread_mutex_lock(proc->lock);
    if (proc->job != NULL) {
        /* The whole job, also after the worker itself has ended: what it
         * started may still run. */
        if (!proc->ended)
            proc->killed = 1;
        if (!TerminateJobObject(proc->job, KILLED_EXIT_CODE))
            st = APR_FROM_OS_ERROR(GetLastError());
    } else if (proc->process != NULL && !proc->ended) {
        proc->killed = 1;
        if (!TerminateProcess(proc->process, KILLED_EXIT_CODE)) {
            err = GetLastError();
            /* Access denied is what an already-ended process gives. */
            if (!(err == ERROR_ACCESS_DENIED &&
                  WaitForSingleObject(proc->process, 0) == WAIT_OBJECT_0))
                st = APR_FROM_OS_ERROR(err);
        }
    }
    apr_thread_mutex_unlock(proc->lock);
    return st;
}

/* The named event a worker waits on for stack requests of one reason. Local
 * (this session) and named by the worker's pid, so a coordinator can reach
 * exactly its worker without a handle of its own in the worker; any process
 * of the same user could too, which can do worse to it anyway. */
static void stack_event_name(wchar_t *buf, size_t cap, DWORD pid, int why)
{
    _snwprintf(buf, cap, L"Local\\portfuzz-stack-%lu-%d", (unsigned long)pid, why);
    buf[cap - 1] = L'\0';
}

apr_status_t pfz__proc_request_stack(pfz__proc_t *proc, pfz__stack_reason_e why)
{
    apr_status_t st = APR_SUCCESS;
    wchar_t name[64];
    HANDLE ev;

    if (proc == NULL)
        return APR_EINVAL;
    apr_thread_mutex_lock(proc->lock);
    if (proc->process != NULL && !proc->ended) {
        stack_event_name(name, sizeof(name) / sizeof(name[0]), proc->pid, (int)why);
        /* No event (a worker still starting, or an older build): the caller
         * kills at once. */
        ev = OpenEventW(EVENT_MODIFY_STATE, FALSE, name);
        if (ev == NULL) {
            st = APR_FROM_OS_ERROR(GetLastError());
        } else {
            if (!SetEvent(ev))
                st = APR_FROM_OS_ERROR(GetLastError());
            CloseHandle(ev);
        }
    }
    apr_thread_mutex_unlock(proc->lock);
    return st;
}

apr_status_t pfz__proc_rss(pfz__proc_t *proc, apr_uint64_t *rss_bytes)
{
    PROCESS_MEMORY_COUNTERS pmc;
    apr_status_t st = APR_SUCCESS;

    *rss_bytes = 0;
    if (proc == NULL)
        return APR_EINVAL;
    apr_thread_mutex_lock(proc->lock);
    memset(&pmc, 0, sizeof(pmc));
    if (proc->process == NULL || proc->ended)
        st = APR_FROM_OS_ERROR(ERROR_INVALID_HANDLE);
    else if (!GetProcessMemoryInfo(proc->process, &pmc, sizeof(pmc)))
        st = APR_FROM_OS_ERROR(GetLastError());
    apr_thread_mutex_unlock(proc->lock);
    if (st == APR_SUCCESS)
        *rss_bytes = (apr_uint64_t)pmc.WorkingSetSize;
    return st;
}

long pfz__proc_pid(const pfz__proc_t *proc)
{
    return proc != NULL ? (long)proc->pid : -1;
}

void pfz__proc_destroy(pfz__proc_t *proc)
{
    int done;

    if (proc == NULL)
        return;
    apr_thread_mutex_lock(proc->lock);
    done = proc->released;
    proc->released = 1;
    apr_thread_mutex_unlock(proc->lock);
    if (done)
        return;
    pfz__proc_kill(proc);
    /* TerminateProcess cannot be refused: this returns once it is gone. */
    pfz__proc_wait(proc, -1, NULL);
    apr_thread_mutex_lock(proc->lock);
    close_handle(&proc->process);
    /* Kill-on-close: whatever is left in the job ends with this. */
    close_handle(&proc->job);
    if (!proc->ended) {
        proc->wait_err = APR_EGENERAL;
        proc->ended = 1;
    }
    apr_thread_mutex_unlock(proc->lock);
}

/* ------------------------------------------------------- worker side */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

apr_status_t pfz__win32_parse_handles(const char *value, HANDLE h[3])
{
    const char *s = value;
    int i, d, digits;
    apr_uint64_t v;

    for (i = 0; i < 3; i++) {
        h[i] = NULL;
    }
    if (value == NULL)
        return APR_EINVAL;
    for (i = 0; i < 3; i++) {
        v = 0;
        for (digits = 0; (d = hex_digit(*s)) >= 0; s++, digits++) {
            if (digits == 16)
                return APR_EINVAL; /* longer than a 64-bit value */
            v = v << 4 | (apr_uint64_t)d;
        }
        if (digits == 0 || v == 0 || v > (apr_uint64_t)(ULONG_PTR)-1)
            return APR_EINVAL;
        if (*s != (i < 2 ? ',' : '\0'))
            return APR_EINVAL;
        if (i < 2)
            s++;
        h[i] = (HANDLE)(ULONG_PTR)v;
    }
    return APR_SUCCESS;
}

/* The variable's value (ASCII by contract) in `buf`; 0 when it is absent. */
static int get_handles_var(char *buf, DWORD cap)
{
    DWORD n;

    SetLastError(ERROR_SUCCESS);
    n = GetEnvironmentVariableA(PFZ__ENV_HANDLES, buf, cap);
    if (n == 0)
        return GetLastError() != ERROR_ENVVAR_NOT_FOUND; /* present but empty */
    if (n >= cap)
        buf[0] = '\0'; /* too long to be valid: the parser rejects it */
    return 1;
}

apr_status_t pfz__win32_worker_handles(HANDLE h[3])
{
    char buf[3 * 17 + 8];

    if (!get_handles_var(buf, sizeof(buf))) {
        pfz__complain(PFZ__ENV_HANDLES " is not set; workers are started by the "
                            "coordinator");
        return APR_EINVAL;
    }
    if (pfz__win32_parse_handles(buf, h) != APR_SUCCESS) {
        pfz__complain(PFZ__ENV_HANDLES " is malformed (expected three hexadecimal handle "
                            "values, \"<calls>,<replies>,<mem>\"); workers are started by the "
                            "coordinator, do not set it by hand");
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

int pfz__is_worker(void)
{
    char buf[3 * 17 + 8];

    return get_handles_var(buf, sizeof(buf));
}

apr_status_t pfz__worker_channels(apr_file_t **calls, apr_file_t **replies, apr_pool_t *pool)
{
    HANDLE h[3];
    apr_os_file_t fh;
    apr_status_t st;
    int i;

    *calls = NULL;
    *replies = NULL;
    if ((st = pfz__win32_worker_handles(h)) != APR_SUCCESS)
        return st;
    for (i = 0; i < 2; i++) {
        if (GetFileType(h[i]) != FILE_TYPE_PIPE) {
            pfz__complain(i == 0 ? "the first handle of " PFZ__ENV_HANDLES " (calls) is "
                                         "not an open pipe; workers are started by the "
                                         "coordinator, do not set it by hand"
                                       : "the second handle of " PFZ__ENV_HANDLES " (replies) "
                                         "is not an open pipe; workers are started by the "
                                         "coordinator, do not set it by hand");
            return APR_EINVAL;
        }
    }
    /* They came inheritable. A process the target starts must not get them:
     * a grandchild holding the replies pipe would hide this worker's death
     * from the coordinator. */
    for (i = 0; i < 2; i++)
        if (!SetHandleInformation(h[i], HANDLE_FLAG_INHERIT, 0))
            return APR_FROM_OS_ERROR(GetLastError());
    fh = h[PFZ__WIN32_H_CALLS];
    apr_os_pipe_put_ex(calls, &fh, 1, pool);
    fh = h[PFZ__WIN32_H_REPLIES];
    apr_os_pipe_put_ex(replies, &fh, 1, pool);
    return APR_SUCCESS;
}

/* ------------------------------------------- the crash reporter (worker) */

/* Lines are built with rawline.h: the reporter must not allocate (the heap
 * may be what is corrupt) nor depend on the CRT's stdio. */

/* dbghelp, loaded at set-up time if present (symbols are optional: MSVC
 * builds have PDBs, mingw builds DWARF that Wine's dbghelp reads). */
typedef BOOL(WINAPI *sym_initialize_fn)(HANDLE, PCSTR, BOOL);
typedef DWORD(WINAPI *sym_set_options_fn)(DWORD);
typedef BOOL(WINAPI *sym_from_addr_fn)(HANDLE, DWORD64, PDWORD64, void *);

/* The parts of dbghelp's SYMBOL_INFO we use (its layout is fixed ABI). */
typedef struct sym_info {
    ULONG SizeOfStruct;
    ULONG TypeIndex;
    ULONG64 Reserved[2];
    ULONG Index;
    ULONG Size;
    ULONG64 ModBase;
    ULONG Flags;
    ULONG64 Value;
    ULONG64 Address;
    ULONG Register;
    ULONG Scope;
    ULONG Tag;
    ULONG NameLen;
    ULONG MaxNameLen;
    CHAR Name[256];
} sym_info_t;

#define SYMOPT_UNDNAME_ 0x00000002
#define SYMOPT_DEFERRED_LOADS_ 0x00000004
#define SYMOPT_FAIL_CRITICAL_ERRORS_ 0x00000200
#define SYMOPT_NO_PROMPTS_ 0x00080000

static sym_initialize_fn sym_initialize;
static sym_set_options_fn sym_set_options;
static sym_from_addr_fn sym_from_addr;
static LPTOP_LEVEL_EXCEPTION_FILTER previous_filter;

/* "module+0xoffset" of an address (no allocation). */
static void put_module(pfz__rawline_t *b, apr_uint64_t addr)
{
    HMODULE mod = NULL;
    wchar_t wname[MAX_PATH];
    DWORD n, i, base = 0;

    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)(ULONG_PTR)addr, &mod) ||
        (n = GetModuleFileNameW(mod, wname, MAX_PATH)) == 0 || n >= MAX_PATH) {
        pfz__rl_str(b, "<unknown module>");
        return;
    }
    for (i = 0; i < n; i++)
        if (wname[i] == L'\\' || wname[i] == L'/')
            base = i + 1;
    for (i = base; i < n; i++) /* ASCII, else '?' */
        pfz__rl_char(b, wname[i] < 128 ? (char)wname[i] : '?');
    pfz__rl_str(b, "+");
    pfz__rl_hex(b, addr - (apr_uint64_t)(ULONG_PTR)mod, 1);
}

/* One frame: "    #N 0xADDR in symbol module+0xoff" (the " in <function>"
 * form is what the coordinator's crash signature reads). */
static void print_frame(unsigned idx, apr_uint64_t pc, int is_return_address, int symbols)
{
    char line[512];
    pfz__rawline_t b;
    sym_info_t si;
    DWORD64 disp = 0;

    pfz__rl_init(&b, line, sizeof line);
    pfz__rl_str(&b, "    #");
    pfz__rl_dec(&b, idx);
    pfz__rl_str(&b, " ");
    pfz__rl_hex(&b, pc, 16);
    pfz__rl_str(&b, " in ");
    memset(&si, 0, sizeof(si));
    si.SizeOfStruct = (ULONG)offsetof(sym_info_t, Name) + 1; /* sizeof(SYMBOL_INFO) */
    si.MaxNameLen = sizeof(si.Name) - 1;
    /* A return address points after the call: look up the call itself. */
    if (symbols && sym_from_addr(GetCurrentProcess(), pc - (is_return_address ? 1 : 0), &disp,
                                 &si)) {
        si.Name[sizeof(si.Name) - 1] = '\0';
        pfz__rl_str(&b, si.Name);
        pfz__rl_str(&b, " ");
    }
    put_module(&b, pc);
    pfz__rl_flush(&b);
}

static uintptr_t skip_lo, skip_hi;  /* pfz__stack_skip_range (set at start-up) */

void pfz__stack_skip_range(uintptr_t lo, uintptr_t hi)
{
    skip_lo = lo;
    skip_hi = hi;
}

static int in_skip_range(const CONTEXT *ctx)
{
#if defined(__x86_64__) || defined(_M_X64)
    return ctx->Rip >= skip_lo && ctx->Rip < skip_hi;
#elif defined(_M_ARM64) || defined(__aarch64__)
    return ctx->Pc >= skip_lo && ctx->Pc < skip_hi;
#else
    (void)ctx;
    return 0;
#endif
}

#define MAX_FRAMES 48

/* Walks the stack described by `start` (a copy) and prints it. A sampled
 * stack (sampled = 1: a stack request) that was taken inside the engine's
 * coverage callbacks starts at their caller: a spinning target is mostly in
 * them, and its frames carry no names here, so two samples of one hang would
 * otherwise differ by that extra frame (see pfz__stack_skip_range). */
static void print_stack(const CONTEXT *start, ULONG_PTR stack_low, ULONG_PTR stack_high,
                        int symbols, int sampled)
{
#if defined(__x86_64__) || defined(_M_X64)
    CONTEXT ctx = *start;
    unsigned i, n = 0;

    /* Unwind with the image's unwind tables (.pdata), as the system's own
     * exception dispatcher does, starting at the faulting instruction. */
    for (i = 0; i < MAX_FRAMES && ctx.Rip != 0; i++) {
        DWORD64 image_base = 0, establisher = 0;
        PRUNTIME_FUNCTION fe;
        PVOID handler_data = NULL;

        if (!(sampled && n == 0 && in_skip_range(&ctx)))
            print_frame(n++, ctx.Rip, i > 0, symbols);
        fe = RtlLookupFunctionEntry(ctx.Rip, &image_base, NULL);
        if (fe == NULL) {
            /* A leaf function: the return address is at the stack pointer. */
            if (ctx.Rsp < stack_low || ctx.Rsp + 8 > stack_high)
                break;
            ctx.Rip = *(DWORD64 *)(ULONG_PTR)ctx.Rsp;
            ctx.Rsp += 8;
        } else {
            RtlVirtualUnwind(UNW_FLAG_NHANDLER, image_base, ctx.Rip, fe, &ctx, &handler_data,
                             &establisher, NULL);
        }
        if (ctx.Rsp < stack_low || ctx.Rsp >= stack_high)
            break;
    }
#else
    /* Other architectures: the frames of whoever calls us (the reporter
     * thread's caller chain is not the crash's, so print the PC only). */
    (void)stack_low;
    (void)stack_high;
    (void)sampled;
#if defined(_M_ARM64) || defined(__aarch64__)
    print_frame(0, start->Pc, 0, symbols);
#else
    print_frame(0, (apr_uint64_t)start->Eip, 0, symbols);
#endif
#endif
}

typedef struct crash_report {
    const EXCEPTION_RECORD *rec;
    const CONTEXT *ctx;
    ULONG_PTR stack_low, stack_high;
    const char *what; /* NULL: describe rec */
    int terminate;    /* the reporter ends the process with rec's code afterwards */
} crash_report_t;

/* dbghelp's start-up, bounded (SYM_BUDGET_MS): under Wine it can take
 * seconds, and a crashed worker that is still loading symbols when its
 * execution passes -timeout would be killed and saved as a timeout. It runs
 * in a thread of its own; when the budget runs out the stack is printed by
 * module offset (what the signature needs) and the thread is left to die
 * with the process. Here rather than at start-up: it costs a lot and is
 * needed only once, when the process is going to die anyway. */
#define SYM_BUDGET_MS 300

static volatile LONG symbols_loaded;
/* Tests only (PFZ_TEST_SYMBOL_DELAY_MS): a dbghelp as slow as Wine's can be
 * on a loaded machine, to show that the budget holds. */
static DWORD sym_test_delay_ms;

static DWORD WINAPI sym_loader_main(LPVOID arg)
{
    (void)arg;
    if (sym_test_delay_ms != 0)
        Sleep(sym_test_delay_ms);
    if (sym_set_options != NULL)
        sym_set_options(SYMOPT_UNDNAME_ | SYMOPT_DEFERRED_LOADS_ | SYMOPT_FAIL_CRITICAL_ERRORS_ |
                        SYMOPT_NO_PROMPTS_);
    if (sym_initialize(GetCurrentProcess(), NULL, TRUE))
        InterlockedExchange(&symbols_loaded, 1);
    return 0;
}

/* 1 when dbghelp is ready within the budget, else 0 (print without names). */
static int load_symbols(void)
{
    HANDLE t;
    DWORD w;

    if (sym_initialize == NULL || sym_from_addr == NULL)
        return 0;
    t = CreateThread(NULL, 1024 * 1024, sym_loader_main, NULL, 0, NULL);
    if (t == NULL)
        return 0;
    w = WaitForSingleObject(t, SYM_BUDGET_MS);
    CloseHandle(t);
    /* Not ready in time: dbghelp must not be used while it is still being
     * set up (its state is not thread-safe). */
    return w == WAIT_OBJECT_0 && symbols_loaded ? 1 : 0;
}

static void report(const crash_report_t *r)
{
    static const char banner[] = "==portfuzz== ";
    char line[512];
    pfz__rawline_t b;
    int symbols = 0;

    pfz__rl_init(&b, line, sizeof line);
    pfz__rl_str(&b, banner);
    if (r->what != NULL) {
        pfz__rl_str(&b, r->what);
    } else {
        DWORD code = r->rec->ExceptionCode;
        const char *name = exception_name(code);

        pfz__rl_str(&b, "exception ");
        pfz__rl_hex(&b, code, 8);
        if (name != NULL) {
            pfz__rl_str(&b, " (");
            pfz__rl_str(&b, name);
            pfz__rl_str(&b, ")");
        }
        pfz__rl_str(&b, " at ");
        pfz__rl_hex(&b, (apr_uint64_t)(ULONG_PTR)r->rec->ExceptionAddress, 16);
        pfz__rl_str(&b, " (");
        put_module(&b, (apr_uint64_t)(ULONG_PTR)r->rec->ExceptionAddress);
        pfz__rl_str(&b, ")");
        if (code == 0xC0000005u && r->rec->NumberParameters >= 2) {
            ULONG_PTR op = r->rec->ExceptionInformation[0];

            pfz__rl_str(&b, op == 0 ? ": read of " : op == 1 ? ": write to " : ": execution of ");
            pfz__rl_hex(&b, (apr_uint64_t)r->rec->ExceptionInformation[1], 1);
        }
    }
    pfz__rl_flush(&b);
    symbols = load_symbols();
    print_stack(r->ctx, r->stack_low, r->stack_high, symbols, 0);
}

/* The reporter thread, started by pfz__worker_process_setup: after a stack
 * overflow the faulting thread has only the few pages of the stack
 * guarantee left, too few for dbghelp (or, under Wine, even for
 * CreateThread), so the filter only hands the report over and waits. */
static HANDLE report_request, report_done;
static crash_report_t *volatile report_pending;
/* Reproduction (pfz__reproduce_process_setup): a crash ends the process with
 * this status (-error_exitcode, libFuzzer's 77), not the exception code a
 * worker ends with for its coordinator. 0: a worker. */
static volatile UINT crash_status;

static UINT end_status(DWORD code)
{
    return crash_status != 0 ? crash_status : (UINT)code;
}

static DWORD WINAPI reporter_main(LPVOID arg)
{
    (void)arg;
    WaitForSingleObject(report_request, INFINITE);
    report(report_pending);
    if (report_pending->terminate)
        TerminateProcess(GetCurrentProcess(), end_status(report_pending->rec->ExceptionCode));
    SetEvent(report_done);
    return 0;
}

static void start_reporter(void)
{
    HANDLE t;

    report_request = CreateEventW(NULL, TRUE, FALSE, NULL);
    report_done = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (report_request != NULL && report_done != NULL &&
        (t = CreateThread(NULL, 1024 * 1024, reporter_main, NULL, 0, NULL)) != NULL) {
        CloseHandle(t);
        return;
    }
    report_request = NULL; /* report on the faulting thread instead */
}

/* Bounded: a corrupt heap may hang dbghelp, and the process must still end. */
static void report_elsewhere(crash_report_t *r)
{
    if (report_request == NULL) {
        report(r);
        return;
    }
    report_pending = r;
    SetEvent(report_request);
    WaitForSingleObject(report_done, 10000);
}

static void current_stack_bounds(ULONG_PTR *low, ULONG_PTR *high)
{
    GetCurrentThreadStackLimits(low, high);
}

static LONG WINAPI on_unhandled_exception(EXCEPTION_POINTERS *ep)
{
    static volatile LONG entered;
    DWORD code = ep->ExceptionRecord->ExceptionCode;
    crash_report_t r;
    LONG verdict;

    /* A second exception (another thread, or inside the report) must not
     * print over the first: end with its code at once. */
    if (InterlockedExchange(&entered, 1) != 0)
        TerminateProcess(GetCurrentProcess(), end_status(code));
    r.rec = ep->ExceptionRecord;
    r.ctx = ep->ContextRecord;
    r.what = NULL;
    r.terminate = 0;
    current_stack_bounds(&r.stack_low, &r.stack_high);
    if (code == 0xC00000FDu && report_request != NULL) {
        /* After a stack overflow even a wait may overflow again (Wine gives
         * the filter about 2 KB and ignores SetThreadStackGuarantee): hand
         * everything, ending the process included, to the reporter, and
         * spin without touching the stack. */
        r.terminate = 1;
        report_pending = &r;
        SetEvent(report_request);
        for (;;)
            YieldProcessor();
    }
    report_elsewhere(&r);
    /* An earlier filter (the C runtime's, a sanitizer's) may still want it;
     * not after a stack overflow, when there is no stack left to run it. */
    if (previous_filter != NULL && code != 0xC00000FDu) {
        verdict = previous_filter(ep);
        if (verdict != EXCEPTION_CONTINUE_SEARCH)
            return verdict;
    }
    /* End now with the exception code: that is what the coordinator reads,
     * and it skips Windows Error Reporting (slow, even without a dialog). */
    TerminateProcess(GetCurrentProcess(), end_status(code));
    return EXCEPTION_CONTINUE_SEARCH;
}

/* abort() ends the process with exit code 3 and no exception: report where
 * it came from, or every abort would look the same. Named pfz__ (though
 * static) because its frame tops the stack it prints, and the signature
 * (signature.c) skips the engine's frames by that prefix. */
static void pfz__on_sigabrt(int sig)
{
    CONTEXT ctx;
    crash_report_t r;

    (void)sig;
    RtlCaptureContext(&ctx);
    r.rec = NULL;
    r.ctx = &ctx;
    r.what = "abort() called (exit code 3)";
    r.terminate = 0;
    current_stack_bounds(&r.stack_low, &r.stack_high);
    report_elsewhere(&r);
    if (crash_status != 0)
        TerminateProcess(GetCurrentProcess(), crash_status);
    /* Returning lets the C runtime finish abort(): _exit(3). */
}

/* Stack requests (pfz__proc_request_stack): a thread waits on two named
 * events (timeout, out of memory); on one, it suspends the thread that runs
 * the target, prints that thread's stack and leaves it suspended, so the
 * input in the region stays the one it hangs on until the coordinator's kill.
 * Without symbols: dbghelp's start-up can take longer than the coordinator's
 * grace under Wine, and module offsets are what the signature needs. */
static HANDLE stack_events[2], target_thread_handle;
static ULONG_PTR target_stack_low, target_stack_high;

static volatile LONG stack_printed; /* stack_request_main printed its stack */
static volatile int self_request;   /* the request is pfz__print_target_stack's */

static DWORD WINAPI stack_request_main(LPVOID arg)
{
    CONTEXT ctx;
    char line[512];
    pfz__rawline_t b;
    DWORD w;
    BOOL have_ctx;

    (void)arg;
    w = WaitForMultipleObjects(2, stack_events, FALSE, INFINITE);
    if (w != WAIT_OBJECT_0 && w != WAIT_OBJECT_0 + 1)
        return 0;
    if (SuspendThread(target_thread_handle) == (DWORD)-1)
        return 0;
    memset(&ctx, 0, sizeof(ctx));
    ctx.ContextFlags = CONTEXT_FULL;
    have_ctx = GetThreadContext(target_thread_handle, &ctx);
    pfz__rl_init(&b, line, sizeof line);
    pfz__rl_str(&b, "==");
    pfz__rl_dec(&b, (unsigned)GetCurrentProcessId());
    pfz__rl_str(&b, self_request ? "== INFO: stack of the fuzz target's thread ("
                                 : "== INFO: stack of the fuzz target's thread (requested by the "
                                   "coordinator: ");
    pfz__rl_str(&b, w == WAIT_OBJECT_0 ? "timeout" : "out of memory");
    pfz__rl_str(&b, "):");
    pfz__rl_flush(&b);
    if (have_ctx)
        print_stack(&ctx, target_stack_low, target_stack_high, 0, 1);
    InterlockedExchange(&stack_printed, 1);
    return 0; /* the target's thread stays suspended: the kill follows */
}

void pfz__print_target_stack(pfz__stack_reason_e why)
{
    HANDLE ev = stack_events[why == PFZ__STACK_OOM ? 1 : 0];
    int i;

    if (ev == NULL)
        return;
    self_request = 1;
    SetEvent(ev);
    for (i = 0; i < 200 && InterlockedCompareExchange(&stack_printed, 0, 0) == 0; i++)
        Sleep(10);
}

static void start_stack_requests(void)
{
    static const int whys[2] = {PFZ__STACK_TIMEOUT, PFZ__STACK_OOM};
    wchar_t name[64];
    HANDLE t;
    int i;

    if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                         &target_thread_handle,
                         THREAD_SUSPEND_RESUME | THREAD_GET_CONTEXT | THREAD_QUERY_INFORMATION,
                         FALSE, 0))
        return;
    GetCurrentThreadStackLimits(&target_stack_low, &target_stack_high);
    for (i = 0; i < 2; i++) {
        stack_event_name(name, sizeof(name) / sizeof(name[0]), GetCurrentProcessId(), whys[i]);
        stack_events[i] = CreateEventW(NULL, FALSE, FALSE, name);
        if (stack_events[i] == NULL)
            return; /* no requests: the coordinator kills at once */
    }
    t = CreateThread(NULL, 256 * 1024, stack_request_main, NULL, 0, NULL);
    if (t != NULL)
        CloseHandle(t);
}

/* Workers ignore Ctrl-C and Ctrl-Break: the coordinator decides. */
static BOOL WINAPI ignore_console_event(DWORD event)
{
    return event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT;
}

void pfz__worker_process_setup(void)
{
    HMODULE dbghelp;
    ULONG guarantee = 64 * 1024;
    char delay[16];

    if (GetEnvironmentVariableA("PFZ_TEST_SYMBOL_DELAY_MS", delay, sizeof delay) - 1u <
        sizeof delay - 1u)
        sym_test_delay_ms = (DWORD)strtoul(delay, NULL, 10);

    /* No "program has stopped working" box, no "insert a disk" box. */
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
    /* No abort() message box or WER report; assert() and CRT errors to
     * stderr (the debug CRT's report hooks exist only in _DEBUG builds). */
#if defined(_MSC_VER) || defined(_UCRT)
    /* (msvcrt.dll, mingw's default runtime, has no such switch: it writes
     * the message to stderr, and shows no box in a console program.) */
    _set_abort_behavior(0, _WRITE_ABORT_MSG | _CALL_REPORTFAULT);
#endif
    _set_error_mode(_OUT_TO_STDERR);
    (void)_CrtSetReportMode(_CRT_WARN, _CRTDBG_MODE_FILE);
    (void)_CrtSetReportFile(_CRT_WARN, _CRTDBG_FILE_STDERR);
    (void)_CrtSetReportMode(_CRT_ERROR, _CRTDBG_MODE_FILE);
    (void)_CrtSetReportFile(_CRT_ERROR, _CRTDBG_FILE_STDERR);
    (void)_CrtSetReportMode(_CRT_ASSERT, _CRTDBG_MODE_FILE);
    (void)_CrtSetReportFile(_CRT_ASSERT, _CRTDBG_FILE_STDERR);

    /* The output goes to the coordinator's output pipe, which it parses and
     * shows: plain "\n" line ends, as on POSIX. */
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);

    /* Ctrl-C reaches every process on the console; Ctrl-Break cannot be
     * ignored with a NULL handler, hence the function too. */
    SetConsoleCtrlHandler(NULL, TRUE);
    SetConsoleCtrlHandler(ignore_console_event, TRUE);

    /* Room for the exception filter to run after a stack overflow. */
    SetThreadStackGuarantee(&guarantee);
    dbghelp = LoadLibraryW(L"dbghelp.dll");
    if (dbghelp != NULL) {
        sym_initialize = (sym_initialize_fn)(void (*)(void))GetProcAddress(dbghelp, "SymInitialize");
        sym_set_options = (sym_set_options_fn)(void (*)(void))GetProcAddress(dbghelp, "SymSetOptions");
        sym_from_addr = (sym_from_addr_fn)(void (*)(void))GetProcAddress(dbghelp, "SymFromAddr");
    }
    start_reporter();
    start_stack_requests();
    previous_filter = SetUnhandledExceptionFilter(on_unhandled_exception);
    signal(SIGABRT, pfz__on_sigabrt);
}

/* Reproduction on Windows: the worker's set-up (exception reporter, no error
 * dialogs), but a crash ends the process with -error_exitcode as on POSIX,
 * and Ctrl-C/Ctrl-Break end it (a worker ignores them: its coordinator
 * decides). */
void pfz__reproduce_process_setup(int crash_exit_code)
{
    pfz__worker_process_setup();
    crash_status = crash_exit_code > 0 ? (UINT)crash_exit_code : 0;
    SetConsoleCtrlHandler(ignore_console_event, FALSE);
    SetConsoleCtrlHandler(NULL, FALSE);
}

void pfz__print_stack_here(int skip)
{
    CONTEXT ctx;
    ULONG_PTR low, high;

    (void)skip; /* the printer starts at the caller of RtlCaptureContext */
    RtlCaptureContext(&ctx);
    current_stack_bounds(&low, &high);
    print_stack(&ctx, low, high, 0, 0);
}

/* The Win32 stack printer shows every frame (it has no cut yet). */
void pfz__stack_set_bottom(const void *caller_pc)
{
    (void)caller_pc;
}

apr_status_t pfz__self_rss(apr_uint64_t *rss_bytes)
{
    PROCESS_MEMORY_COUNTERS pmc;

    *rss_bytes = 0;
    memset(&pmc, 0, sizeof(pmc));
    if (!GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof(pmc)))
        return APR_FROM_OS_ERROR(GetLastError());
    *rss_bytes = (apr_uint64_t)pmc.WorkingSetSize;
    return APR_SUCCESS;
}

long pfz__self_pid(void)
{
    return (long)GetCurrentProcessId();
}
