/* report.c -- libFuzzer's finding reports and the guards around the target's
 * calls (report.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "report.h"

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#define PFZ_RETURN_ADDRESS() _ReturnAddress()
#else
#define PFZ_RETURN_ADDRESS() __builtin_return_address(0)
#endif

#define OOM_HINT "   To change the out-of-memory limit use -rss_limit_mb=<N>\n\n"

void pfz__report(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    pfz__raw_stderr(buf, (apr_size_t)PFZ_MIN((size_t)n, sizeof buf - 1));
}

void pfz__report_timeout(long pid, int64_t seconds)
{
    pfz__report("==%ld== ERROR: libFuzzer: timeout after %" APR_INT64_T_FMT " seconds\n", pid,
                seconds);
}

void pfz__report_oom_rss(long pid, uint64_t used_mb, int64_t limit_mb)
{
    pfz__report("==%ld== ERROR: libFuzzer: out-of-memory (used: %" APR_UINT64_T_FMT
                "Mb; exceeds: %" APR_INT64_T_FMT "Mb)\n" OOM_HINT,
                pid, used_mb, limit_mb);
}

void pfz__report_oom_malloc(long pid, uint64_t size)
{
    pfz__report("==%ld== ERROR: libFuzzer: out-of-memory (malloc(%" APR_UINT64_T_FMT
                "))\n" OOM_HINT,
                pid, size);
}

void pfz__report_exited(long pid)
{
    pfz__report("==%ld== ERROR: libFuzzer: fuzz target exited\n", pid);
}

void pfz__report_const_input(long pid)
{
    pfz__report("==%ld== ERROR: libFuzzer: fuzz target overwrites its const input\n", pid);
}

void pfz__report_summary(const char *what)
{
    pfz__report("SUMMARY: libFuzzer: %s\n", what);
}

/* ------------------------------------------------------------- guards */

/* Set by the thread that calls the target, read by the malloc hook on any
 * thread (the reproduction watchdog's included): atomic. */
static volatile int in_target;
#if defined(__GNUC__) || defined(__clang__)
#define IN_TARGET() __atomic_load_n(&in_target, __ATOMIC_RELAXED)
#define SET_IN_TARGET(v) __atomic_store_n(&in_target, (v), __ATOMIC_RELAXED)
#else
#define IN_TARGET() in_target
#define SET_IN_TARGET(v) (in_target = (v))
#endif
static int error_code = 77, oom_code = 71;
static uint64_t malloc_limit; /* bytes; 0: none */

static void on_exit_during_target(void)
{
    if (!IN_TARGET())
        return; /* the engine's own exit */
    SET_IN_TARGET(0);
    pfz__report_exited(pfz__self_pid());
    pfz__print_stack_here(1); /* from exit()'s frames (this one is ours) */
    pfz__report_summary("fuzz target exited");
    _Exit(error_code);
}

static void on_malloc(const volatile void *p, apr_size_t size)
{
    (void)p;
    if (!IN_TARGET() || malloc_limit == 0 || (uint64_t)size < malloc_limit)
        return;
    SET_IN_TARGET(0);
    pfz__report_oom_malloc(pfz__self_pid(), (uint64_t)size);
    pfz__print_stack_here(1); /* from the allocator's frames (this one is ours) */
    pfz__report_summary("out-of-memory");
    _Exit(oom_code);
}

static void on_free(const volatile void *p)
{
    (void)p;
}

void pfz__guards_init(int error_exitcode, int oom_exitcode, int64_t malloc_limit_mb)
{
    static int done;

    error_code = error_exitcode;
    oom_code = oom_exitcode;
    malloc_limit = malloc_limit_mb > 0 ? (uint64_t)malloc_limit_mb << 20 : 0;
    if (done)
        return;
    done = 1;
    atexit(on_exit_during_target);
    /* Without a sanitizer's hooks there is no malloc limit; -rss_limit_mb
     * still holds. */
    if (malloc_limit != 0)
        (void)pfz__malloc_hooks_install(on_malloc, on_free);
}

PFZ_NOINLINE int pfz__call_target(pfz_target_fn fn, const uint8_t *data, size_t size)
{
    int rc;

    pfz__stack_set_bottom(PFZ_RETURN_ADDRESS());
    SET_IN_TARGET(1);
    rc = fn(data, size);
    SET_IN_TARGET(0); /* also keeps the call from becoming a tail call */
    return rc;
}

int pfz__input_overwritten(const uint8_t *orig, const uint8_t *copy, size_t size)
{
    if (size <= 64)
        return memcmp(orig, copy, size) != 0;
    return memcmp(orig, copy, 32) != 0 || memcmp(orig + size - 32, copy + size - 32, 32) != 0;
}

void pfz__report_overwritten_and_exit(void)
{
    /* No stack: the target has returned, every frame would be the engine's
     * (ClusterFuzz names this finding by the fuzz target alone). */
    pfz__report_const_input(pfz__self_pid());
    pfz__report_summary("overwrites-const-input");
    _Exit(error_code);
}
