/* misc.c -- clock, executable path, Ctrl-C / Ctrl-Break handling, CPU count,
 * temp dir, raw stderr output and UTF-8 <-> UTF-16 conversion; Win32.
 *
 * Paths cross the platform interface as UTF-8; every Windows call here uses
 * the wide ("W") API so that no path depends on the ANSI code page.
 */
#ifndef _WIN32
#error "src/win32 is the Win32 layer; the build picked the wrong platform"
#endif

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "win32.h"

#include <signal.h>
#include <string.h>

#include <apr_strings.h>

#ifndef SIGBREAK
#define SIGBREAK 21 /* the CRT's number for Ctrl-Break */
#endif

/* ------------------------------------------------------------ clock */

apr_uint64_t pfz__now_us(void)
{
    /* The frequency is fixed at boot, so racing first calls store the same
     * value. QueryPerformanceCounter is system-wide (the same in every
     * process), which the watchdog needs: it compares a worker's heartbeat
     * with its own clock. Neither call fails on XP or later. */
    static volatile LONGLONG freq;
    LARGE_INTEGER c, f;
    apr_uint64_t q, n;

    if (freq == 0) {
        QueryPerformanceFrequency(&f);
        freq = f.QuadPart > 0 ? f.QuadPart : 1;
    }
    QueryPerformanceCounter(&c);
    q = (apr_uint64_t)freq;
    n = (apr_uint64_t)c.QuadPart;
    /* Split to avoid overflowing n * 1e6 (10 MHz counter: after ~21 days). */
    return n / q * 1000000u + n % q * 1000000u / q;
}

/* ------------------------------------------------------------ strings */

wchar_t *pfz__win32_wide(const char *utf8, apr_pool_t *pool)
{
    wchar_t *w;
    int n;

    if (utf8 == NULL)
        return NULL;
    n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
    if (n <= 0)
        return NULL;
    w = apr_palloc(pool, (apr_size_t)n * sizeof(wchar_t));
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n) != n)
        return NULL;
    return w;
}

char *pfz__win32_utf8(const wchar_t *wide, apr_pool_t *pool)
{
    char *s;
    int n;

    if (wide == NULL)
        return NULL;
    n = WideCharToMultiByte(CP_UTF8, 0, wide, -1, NULL, 0, NULL, NULL);
    if (n <= 0)
        return NULL;
    s = apr_palloc(pool, (apr_size_t)n);
    if (WideCharToMultiByte(CP_UTF8, 0, wide, -1, s, n, NULL, NULL) != n)
        return NULL;
    return s;
}

/* ------------------------------------------------------------ paths */

apr_status_t pfz__self_exe(char **path, apr_pool_t *pool)
{
    DWORD cap = 260, n;
    wchar_t *buf;
    char *utf8;
    apr_pool_t *tmp;
    apr_status_t st = APR_SUCCESS;

    *path = NULL;
    if ((st = apr_pool_create(&tmp, pool)) != APR_SUCCESS)
        return st;
    /* GetModuleFileNameW truncates silently (returning the buffer size) when
     * the path is longer than the buffer: grow until it fits. */
    for (;;) {
        buf = apr_palloc(tmp, cap * sizeof(wchar_t));
        n = GetModuleFileNameW(NULL, buf, cap);
        if (n == 0) {
            st = APR_FROM_OS_ERROR(GetLastError());
            goto done;
        }
        if (n < cap)
            break;
        if (cap >= 32768) { /* the longest path Windows has */
            st = APR_FROM_OS_ERROR(ERROR_INSUFFICIENT_BUFFER);
            goto done;
        }
        cap *= 4;
    }
    if ((utf8 = pfz__win32_utf8(buf, pool)) == NULL) {
        st = APR_FROM_OS_ERROR(GetLastError());
        goto done;
    }
    *path = utf8;
done:
    apr_pool_destroy(tmp);
    return st;
}

const char *pfz__temp_dir(apr_pool_t *pool)
{
    wchar_t buf[MAX_PATH + 2];
    DWORD n = GetTempPathW((DWORD)(sizeof(buf) / sizeof(buf[0])), buf);
    char *dir;
    apr_size_t len;

    /* GetTempPath consults TMP, TEMP, USERPROFILE, then the Windows
     * directory; it ends with a backslash, which we drop like POSIX drops
     * TMPDIR's trailing slash. */
    if (n == 0 || n >= (DWORD)(sizeof(buf) / sizeof(buf[0])) || (dir = pfz__win32_utf8(buf, pool)) == NULL)
        return "C:\\Windows\\Temp";
    len = strlen(dir);
    while (len > 3 && (dir[len - 1] == '\\' || dir[len - 1] == '/'))
        dir[--len] = '\0';
    return dir;
}

/* ------------------------------------------------------------ interrupts */

/* The handler runs on a thread the system creates; it only records which
 * event came, and the main loop polls pfz__interrupted(). */
static volatile LONG interrupt_signo;

static BOOL WINAPI on_console_event(DWORD event)
{
    switch (event) {
    case CTRL_C_EVENT:
        InterlockedExchange(&interrupt_signo, SIGINT);
        return TRUE;
    case CTRL_BREAK_EVENT:
        InterlockedExchange(&interrupt_signo, SIGBREAK);
        return TRUE;
    default:
        /* Close, logoff, shutdown: the system ends us anyway. */
        return FALSE;
    }
}

apr_status_t pfz__interrupt_install(void)
{
    /* A process started with CREATE_NEW_PROCESS_GROUP has Ctrl-C turned off
     * (the "ignore" flag is inherited); the coordinator wants it back. */
    SetConsoleCtrlHandler(NULL, FALSE);
    if (!SetConsoleCtrlHandler(on_console_event, TRUE))
        return APR_FROM_OS_ERROR(GetLastError());
    return APR_SUCCESS;
}

int pfz__interrupted(void)
{
    return (int)InterlockedCompareExchange(&interrupt_signo, 0, 0);
}

/* ------------------------------------------------------------ misc */

int pfz__cpu_count(void)
{
    DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);

    if (n < 1) {
        SYSTEM_INFO si;

        GetSystemInfo(&si);
        n = si.dwNumberOfProcessors;
    }
    if (n < 1)
        return 1;
    return n > 4096 ? 4096 : (int)n;
}

void pfz__raw_stderr(const char *msg, apr_size_t len)
{
    /* Called from the unhandled-exception filter: no CRT, no allocation, and
     * GetLastError is preserved like POSIX preserves errno. */
    DWORD saved = GetLastError();
    HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
    DWORD n;

    if (h != NULL && h != INVALID_HANDLE_VALUE) {
        while (len > 0) {
            DWORD chunk = len > 0x10000000u ? 0x10000000u : (DWORD)len;

            if (!WriteFile(h, msg, chunk, &n, NULL) || n == 0)
                break; /* nowhere left to report it */
            msg += n;
            len -= n;
        }
    }
    SetLastError(saved);
}

/* ------------------------------------------------- leak detection (LSan) */

/* No LeakSanitizer on Windows (MSVC's ASan has none): leak detection is off. */
int pfz__malloc_hooks_install(pfz__malloc_hook_fn m, pfz__free_hook_fn f)
{
    (void)m;
    (void)f;
    return 0;
}

int pfz__leak_hooks_install(pfz__malloc_hook_fn m, pfz__free_hook_fn f)
{
    (void)m;
    (void)f;
    return 0;
}

int pfz__leak_check(void)
{
    return 0;
}

/* ------------------------------------------- libc compare interception */

/* PE/COFF binds each import to one named DLL: there is no symbol
 * interposition to catch memcmp/strcmp in uninstrumented code. The operands
 * reach the engine when a sanitizer (MSVC's /fsanitize=address) or the
 * compiler's own trace-cmp reports them. */
const int pfz__intercept_linked = 0;
