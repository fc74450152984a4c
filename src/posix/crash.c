/* crash.c -- what a POSIX worker prints when it dies of a deadly signal, and
 * the stack of the fuzz target's thread on the coordinator's request (before
 * it kills the worker for -timeout or -rss_limit_mb).
 *
 * Without these, a crash without a sanitizer report (abort(), a SIGSEGV in
 * an uninstrumented build) and every timeout leave no frames in the worker's
 * output, and the coordinator's de-duplication (signature.c) cannot tell two
 * such bugs apart.
 *
 * Everything that runs in a handler writes with write(2) only: no stdio, no
 * malloc. What may allocate or take locks on first use (glibc's backtrace
 * loads libgcc_s) is called once at set-up. dladdr is not async-signal-safe
 * in theory (it takes the loader's lock); the process is dying anyway, and
 * a handler that deadlocks there is still ended by the coordinator's
 * watchdog.
 */
#ifdef _WIN32
#error "src/posix is the POSIX layer; the build picked the wrong platform"
#endif

#include "config.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* dladdr, dladdr1, REG_RIP */
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_DLFCN_H
#include <dlfcn.h>
#endif
#if defined(HAVE_EXECINFO_H) && defined(HAVE_BACKTRACE)
#include <execinfo.h>
#define PFZ_HAVE_BACKTRACE 1
#endif
#if defined(HAVE_DLADDR1) && defined(HAVE_LINK_H)
#include <link.h> /* ElfW(Sym) */
#endif
#ifdef HAVE_UCONTEXT_H
#include <ucontext.h>
#endif

#include "platform.h"
#include "posix.h"
#include "rawline.h"

#define MAX_FRAMES 64
#define ALT_STACK_SIZE (128 * 1024)
/* How long a worker that printed a requested stack waits for the kill that
 * follows; then it lets the target go on (the coordinator decides). */
#define REQUEST_HOLD_US (10u * 1000000u)

/* A sanitizer runtime, when linked, prints (and symbolizes) better than we
 * can; weak, so NULL in uninstrumented builds. */
void __sanitizer_print_stack_trace(void) __attribute__((weak));
void __sanitizer_symbolize_pc(void *pc, const char *fmt, char *out, size_t out_size)
    __attribute__((weak));

static const int deadly[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
static pthread_t target_thread;
static volatile sig_atomic_t forwarded; /* a request passed on to target_thread */
static volatile sig_atomic_t self_request; /* pfz__print_target_stack: its reason */
static volatile sig_atomic_t self_printed; /* ... and its stack is out */
static int requests_on;                    /* pfz__on_stack_request is installed */
static long report_test_delay_ms;          /* PFZ_TEST_SYMBOL_DELAY_MS: a slow symbolizer, for tests */
static volatile sig_atomic_t dying;     /* a deadly signal is being reported */
static const void *volatile stack_cut;  /* see pfz__stack_set_bottom */
static int crash_exit_code;             /* reproduction: exit with this after a report */

/* ------------------------------------------------------------- stacks */

/* The interrupted instruction, where the platform tells it: the frames above
 * it are ours (the handler and the kernel's signal trampoline). */
static void *interrupted_pc(void *uctx)
{
#if defined(HAVE_UCONTEXT_H) && defined(__linux__) && defined(__x86_64__) && defined(REG_RIP)
    return uctx != NULL ? (void *)((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RIP] : NULL;
#elif defined(HAVE_UCONTEXT_H) && defined(__linux__) && defined(__i386__) && defined(REG_EIP)
    return uctx != NULL ? (void *)((ucontext_t *)uctx)->uc_mcontext.gregs[REG_EIP] : NULL;
#elif defined(HAVE_UCONTEXT_H) && defined(__linux__) && defined(__aarch64__)
    return uctx != NULL ? (void *)((ucontext_t *)uctx)->uc_mcontext.pc : NULL;
#else
    (void)uctx;
    return NULL;
#endif
}

#ifdef PFZ_HAVE_BACKTRACE
/* "in SYMBOL (MODULE+0xOFF)", "(MODULE+0xOFF)" or "(<unknown module>)". A
 * return address points after its call, which may be the next function's
 * first byte (a call of abort() ends a function): look up the call itself. */
static void put_location(pfz__rawline_t *b, void *pc, int is_return_address)
{
#ifdef HAVE_DLADDR
    Dl_info info;
    void *look = (char *)pc - (is_return_address ? 1 : 0);
    int ok;
#if defined(HAVE_DLADDR1) && defined(HAVE_LINK_H)
    const ElfW(Sym) *sym = NULL;

    ok = dladdr1(look, &info, (void **)&sym, RTLD_DL_SYMENT) != 0;
    /* dladdr names the nearest exported symbol below the address, even when
     * the address is in a static function after it: check the size. */
    if (ok && info.dli_sname != NULL && sym != NULL && sym->st_size != 0 &&
        (apr_uint64_t)((char *)look - (char *)info.dli_saddr) >= (apr_uint64_t)sym->st_size)
        info.dli_sname = NULL;
#else
    ok = dladdr(look, &info) != 0;
#endif
    if (ok && info.dli_sname != NULL && info.dli_sname[0] != '\0') {
        pfz__rl_str(b, "in ");
        pfz__rl_str(b, info.dli_sname);
        pfz__rl_str(b, " ");
    } else {
        pfz__rl_str(b, " ");
    }
    if (ok && info.dli_fname != NULL && info.dli_fname[0] != '\0') {
        pfz__rl_str(b, "(");
        pfz__rl_str(b, info.dli_fname);
        pfz__rl_str(b, "+");
        pfz__rl_hex(b, (apr_uint64_t)((char *)pc - (char *)info.dli_fbase), 1);
        pfz__rl_str(b, ")");
        return;
    }
#else
    (void)pc;
    (void)is_return_address;
    pfz__rl_str(b, " ");
#endif
    pfz__rl_str(b, "(<unknown module>)");
}
#endif

/* The stack of the calling thread from the interrupted instruction down, in
 * the sanitizers' format ("    #N 0xADDR in SYMBOL (MODULE+0xOFF)"), which
 * is what signature.c and ClusterFuzz read. It ends at the fuzz target's
 * entry: the frames below it (the engine's loop, main) are not the bug's,
 * and libFuzzer's own frames there are ones ClusterFuzz ignores by name, so
 * printing ours would change the crash state of the same bug. With a
 * sanitizer runtime linked, its symbolizer names the frames. `skip` frames
 * above the interrupted instruction (or, without one, above the caller's
 * caller) are ours and left out too. */
__attribute__((noinline)) static void print_stack(void *uctx, int skip)
{
#ifdef PFZ_HAVE_BACKTRACE
    void *frames[MAX_FRAMES];
    void *pc = interrupted_pc(uctx);
    const void *cut = stack_cut;
    char line[1024];
    pfz__rawline_t b;
    int n, i, first = -1, shown = 0, last;

    n = backtrace(frames, MAX_FRAMES);
    for (i = 0; pc != NULL && i < n; i++)
        if (frames[i] == pc) {
            first = i;
            break;
        }
    pfz__rl_init(&b, line, sizeof line);
    if (first < 0) {
        /* Not found (or no PC): print the interrupted instruction, then what
         * follows the kernel's trampoline, which is frame 2 when backtrace is
         * called here, from the handler (frame 0), frame 1 being the
         * trampoline. */
        first = n > skip ? skip : n;
        if (pc != NULL) {
            pfz__rl_str(&b, "    #0 ");
            pfz__rl_hex(&b, (apr_uint64_t)(apr_uintptr_t)pc, 1);
            pfz__rl_str(&b, " ");
            put_location(&b, pc, 0);
            pfz__rl_flush(&b);
            shown = 1;
        }
    }
    /* The frame whose return address is `cut` is the engine's caller of the
     * target's trampoline (pfz__call_target), which is the frame above. */
    last = n;
    for (i = first; cut != NULL && i < n; i++)
        if (frames[i] == cut) {
            last = i - 1 > first ? i - 1 : i;
            break;
        }
    for (i = first; i < last; i++) {
        /* Below the interrupted instruction, every frame is a return address. */
        int ret = i > first || shown;
        pfz__rl_str(&b, "    #");
        pfz__rl_dec(&b, (apr_uint64_t)(i - first + shown));
        pfz__rl_str(&b, " ");
        if (__sanitizer_symbolize_pc != NULL) {
            char sym[512];
            sym[0] = '\0';
            __sanitizer_symbolize_pc((char *)frames[i] - (ret ? 1 : 0), "%p %F %L", sym, sizeof sym);
            if (sym[0] != '\0') {
                pfz__rl_str(&b, sym);
                pfz__rl_flush(&b);
                continue;
            }
        }
        pfz__rl_hex(&b, (apr_uint64_t)(apr_uintptr_t)frames[i], 1);
        pfz__rl_str(&b, " ");
        put_location(&b, frames[i], ret);
        pfz__rl_flush(&b);
    }
#else
    (void)uctx;
    (void)skip;
    if (__sanitizer_print_stack_trace != NULL)
        __sanitizer_print_stack_trace();
#endif
}

void pfz__stack_set_bottom(const void *caller_pc)
{
    stack_cut = caller_pc;
}

void pfz__print_stack_here(int skip)
{
    /* Frame 0 is print_stack, 1 this function: the caller is frame 2. */
    print_stack(NULL, 2 + (skip > 0 ? skip : 0));
}

/* --------------------------------------------------------- deadly signals */

/* Named pfz__ (though static) so that signature.c skips its frame in a
 * sanitizer's symbolized stack. */
static void pfz__on_deadly_signal(int signo, siginfo_t *si, void *uctx)
{
    struct sigaction dfl;
    char line[1024];
    pfz__rawline_t b;

    (void)si;
    /* Another deadly signal while reporting (a fault in the report itself,
     * or in another thread): die of it at once. */
    if (!dying) {
        dying = 1;
        pfz__rl_init(&b, line, sizeof line);
        pfz__rl_pid_banner(&b);
        pfz__rl_str(&b, "ERROR: libFuzzer: deadly signal");
        pfz__rl_flush(&b);
        if (report_test_delay_ms > 0) {
            struct timespec ts;
            ts.tv_sec = report_test_delay_ms / 1000;
            ts.tv_nsec = (report_test_delay_ms % 1000) * 1000000L;
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        }
        print_stack(uctx, 2);
        pfz__rl_str(&b, "SUMMARY: libFuzzer: deadly signal");
        pfz__rl_flush(&b);
        /* Reproduction ends as libFuzzer does, with -error_exitcode; a
         * worker dies of the signal, which the coordinator classifies. */
        if (crash_exit_code != 0)
            _exit(crash_exit_code);
    }
    /* Die of the same signal: the coordinator classifies the death from it.
     * The signal is blocked while we run, so raise() leaves it pending and it
     * is delivered, with the default action, as soon as we return (a fault
     * that the return would re-execute is then never reached). */
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(signo, &dfl, NULL);
    raise(signo);
}

/* ---------------------------------------------------- requested stacks */

static void hold_for_kill(void)
{
    struct timespec ts;
    unsigned waited = 0;

    /* The coordinator kills us right after this report (see watchdog.c);
     * until then the target must not run on, or the input it hangs on would
     * no longer be the one in the shared region. Bounded all the same. */
    while (waited < REQUEST_HOLD_US) {
        ts.tv_sec = 0;
        ts.tv_nsec = 100 * 1000 * 1000;
        nanosleep(&ts, NULL);
        waited += 100000;
    }
}

static void pfz__on_stack_request(int signo, siginfo_t *si, void *uctx)
{
    int saved_errno = errno;
    const char *why = "";
    char line[1024];
    pfz__rawline_t b;

    if (si == NULL)
        goto done;
    if (si->si_pid == getpid() && self_request != 0 && pthread_equal(pthread_self(), target_thread)) {
        why = self_request == PFZ__STACK_TIMEOUT ? ": timeout" : ": out of memory";
        goto print; /* pfz__print_target_stack, from the reproduction's watchdog */
    } else if (si->si_pid == getpid() && forwarded) {
        forwarded = 0; /* passed on to us by another thread of ours, below */
    } else if ((si->si_code == SI_USER || si->si_code == SI_QUEUE) && si->si_pid == getppid()) {
        if (!pthread_equal(pthread_self(), target_thread)) {
            /* A process-directed signal goes to any thread that does not
             * block it: hand it to the thread that runs the target. */
            forwarded = 1;
            if (pthread_kill(target_thread, signo) != 0)
                forwarded = 0;
            goto done;
        }
    } else {
        goto done; /* not from our coordinator: the target's own signal */
    }
#ifdef HAVE_SIGQUEUE
    if (si->si_code == SI_QUEUE)
        why = si->si_value.sival_int == PFZ__STACK_TIMEOUT ? ": timeout"
            : si->si_value.sival_int == PFZ__STACK_OOM     ? ": out of memory"
                                                           : "";
#endif
print:
    pfz__rl_init(&b, line, sizeof line);
    pfz__rl_pid_banner(&b);
    pfz__rl_str(&b, self_request != 0 ? "INFO: stack of the fuzz target's thread ("
                                      : "INFO: stack of the fuzz target's thread (requested by the coordinator");
    pfz__rl_str(&b, self_request != 0 ? why + 2 : why);
    pfz__rl_str(&b, "):");
    pfz__rl_flush(&b);
    print_stack(uctx, 2);
    if (self_request != 0)
        self_printed = 1;
    hold_for_kill();
done:
    errno = saved_errno;
}

/* ------------------------------------------------------------- set-up */

static int is_default(int signo)
{
    struct sigaction old;

    return sigaction(signo, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
           old.sa_handler == SIG_DFL;
}

void pfz__crash_reports_install(void)
{
    struct sigaction sa;
    size_t i;
#ifdef PFZ_HAVE_BACKTRACE
    void *warm[2];

    /* The first call loads the unwinder (dlopen, malloc): not in a handler. */
    (void)backtrace(warm, 2);
#endif
    target_thread = pthread_self();
    if (getenv("PFZ_TEST_SYMBOL_DELAY_MS") != NULL)
        report_test_delay_ms = atol(getenv("PFZ_TEST_SYMBOL_DELAY_MS"));
#ifdef HAVE_SIGALTSTACK
    {
        /* A stack overflow leaves no stack to run a handler on. Kept for
         * the process's life; only this thread (the target's) gets it. */
        stack_t ss;

        memset(&ss, 0, sizeof ss);
        ss.ss_sp = malloc(ALT_STACK_SIZE);
        ss.ss_size = ALT_STACK_SIZE;
        if (ss.ss_sp != NULL && sigaltstack(&ss, NULL) != 0)
            free(ss.ss_sp);
    }
#endif
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = pfz__on_deadly_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    /* A stack request must not interrupt a crash report (it would print the
     * report's own stack and hold the thread until the kill): it waits. */
    sigaddset(&sa.sa_mask, PFZ__STACK_SIGNAL);
    for (i = 0; i < sizeof(deadly) / sizeof(deadly[0]); i++)
        /* A sanitizer (or the embedder) that owns a signal keeps it: its
         * report is better than ours, and must stay exactly as it is. */
        if (is_default(deadly[i]))
            sigaction(deadly[i], &sa, NULL);

    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = pfz__on_stack_request;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    if (is_default(PFZ__STACK_SIGNAL))
        requests_on = sigaction(PFZ__STACK_SIGNAL, &sa, NULL) == 0;
}

void pfz__stack_skip_range(uintptr_t lo, uintptr_t hi)
{
    (void)lo;
    (void)hi;
}

void pfz__print_target_stack(pfz__stack_reason_e why)
{
    struct timespec ts = {0, 10 * 1000 * 1000};
    int i;

    if (!requests_on || pthread_equal(pthread_self(), target_thread))
        return;
    self_request = (sig_atomic_t)why;
    if (pthread_kill(target_thread, PFZ__STACK_SIGNAL) != 0)
        return;
    for (i = 0; i < 200 && !self_printed; i++) /* the target may block the signal */
        nanosleep(&ts, NULL);
}

void pfz__reproduce_process_setup(int exit_code)
{
    crash_exit_code = exit_code;
    pfz__crash_reports_install();
}

long pfz__self_pid(void)
{
    return (long)getpid();
}

apr_status_t pfz__crash_request_stack(long pid, int why)
{
    int rc;
#ifdef HAVE_SIGQUEUE
    union sigval v;

    v.sival_int = why;
    rc = sigqueue((pid_t)pid, PFZ__STACK_SIGNAL, v);
#else
    (void)why;
    rc = kill((pid_t)pid, PFZ__STACK_SIGNAL);
#endif
    return rc == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
}
