/* misc.c -- clock, executable path, interrupt handling, CPU count, temp dir and
 * raw stderr output; POSIX (Linux's /proc where a portable call does not exist).
 */
#ifdef _WIN32
#error "src/posix is the POSIX layer; the build picked the wrong platform"
#endif

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <apr_strings.h>

#include "platform.h"
#include "posix.h"

apr_uint64_t pfz__now_us(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC is system-wide, so a worker's heartbeat and the
     * coordinator's watchdog read the same clock. It cannot fail with a
     * valid clock id and pointer. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_uint64_t)ts.tv_sec * 1000000u + (apr_uint64_t)ts.tv_nsec / 1000u;
}

apr_status_t pfz__self_exe(char **path, apr_pool_t *pool)
{
    apr_size_t cap = 256;
    char *buf;
    ssize_t n;

    *path = NULL;
    /* /proc/self/exe is Linux's (and some BSDs' with linprocfs); elsewhere
     * readlink fails and the caller falls back to argv[0]. */
    for (;;) {
        buf = apr_palloc(pool, cap);
        n = readlink("/proc/self/exe", buf, cap);
        if (n < 0)
            return APR_FROM_OS_ERROR(errno);
        if ((apr_size_t)n < cap)
            break;
        if (cap >= 65536)
            return APR_FROM_OS_ERROR(ENAMETOOLONG);
        cap *= 4; /* possibly truncated: try again with more room */
    }
    buf[n] = '\0';
    if (buf[0] != '/')
        return APR_EINVAL;
    *path = buf;
    return APR_SUCCESS;
}

/* The handler only records which signal came; everything else happens in
 * the threads that poll pfz__interrupted() (the main loop, the watchdog).
 * Atomic rather than just sig_atomic_t: it is read from other threads. A
 * lock-free atomic store is async-signal-safe. */
static volatile sig_atomic_t interrupt_signo;

static void on_interrupt(int signo)
{
    __atomic_store_n(&interrupt_signo, signo, __ATOMIC_SEQ_CST);
}

apr_status_t pfz__interrupt_install(void)
{
    static const int signals[] = {SIGINT, SIGTERM};
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocking read or sleep in the main thread returns with
     * EINTR, so the coordinator notices the interrupt promptly. */
    sa.sa_flags = 0;
    for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
        if (sigaction(signals[i], &sa, NULL) != 0)
            return APR_FROM_OS_ERROR(errno);
    return APR_SUCCESS;
}

int pfz__interrupted(void)
{
    return (int)__atomic_load_n(&interrupt_signo, __ATOMIC_SEQ_CST);
}

int pfz__cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        return 1;
    return n > 4096 ? 4096 : (int)n;
}

const char *pfz__temp_dir(apr_pool_t *pool)
{
    const char *dir = getenv("TMPDIR");
    apr_size_t len;

    if (dir == NULL || dir[0] == '\0')
        return "/tmp";
    /* "TMPDIR=/var/tmp/" would give "//" in paths: harmless but ugly. */
    len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    return apr_pstrndup(pool, dir, len);
}

void pfz__raw_stderr(const char *msg, apr_size_t len)
{
    int saved_errno = errno; /* a signal handler must not change it */
    ssize_t n;

    while (len > 0) {
        n = write(2, msg, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break; /* nowhere left to report it */
        }
        msg += n;
        len -= (apr_size_t)n;
    }
    errno = saved_errno;
}

/* ------------------------------------------------- leak detection (LSan) */

/* The sanitizer runtimes define these when the target is linked with ASan or
 * LSan; weak references are NULL otherwise. */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                              void (*f)(const volatile void *))
    __attribute__((weak));
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

int pfz__leak_hooks_install(pfz__malloc_hook_fn m, pfz__free_hook_fn f)
{
    if (__sanitizer_install_malloc_and_free_hooks == NULL || __lsan_do_recoverable_leak_check == NULL)
        return 0;
    return __sanitizer_install_malloc_and_free_hooks(m, f) != 0;
}

int pfz__malloc_hooks_install(pfz__malloc_hook_fn m, pfz__free_hook_fn f)
{
    return __sanitizer_install_malloc_and_free_hooks != NULL &&
           __sanitizer_install_malloc_and_free_hooks(m, f) != 0;
}

int pfz__leak_check(void)
{
    return __lsan_do_recoverable_leak_check != NULL && __lsan_do_recoverable_leak_check() != 0;
}

apr_status_t pfz__self_rss(apr_uint64_t *rss_bytes)
{
    /* /proc/self/statm where it exists (the current size, as the watchdog
     * samples a worker); else the peak, which only grows: enough to see a
     * limit passed. */
    char buf[128];
    unsigned long long size = 0, pages = 0;
    long page = sysconf(_SC_PAGESIZE);
    FILE *f = fopen("/proc/self/statm", "r");

    *rss_bytes = 0;
    if (f != NULL) {
        int ok = fgets(buf, sizeof buf, f) != NULL && sscanf(buf, "%llu %llu", &size, &pages) == 2;
        fclose(f);
        if (ok) {
            *rss_bytes = (apr_uint64_t)pages * (apr_uint64_t)(page > 0 ? page : 4096);
            return APR_SUCCESS;
        }
    }
    {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) != 0)
            return APR_FROM_OS_ERROR(errno);
        /* Kilobytes (bytes on macOS, where this over-reports: safe). */
        *rss_bytes = (apr_uint64_t)ru.ru_maxrss * 1024u;
    }
    return APR_SUCCESS;
}
