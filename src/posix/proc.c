/* proc.c -- worker processes, POSIX: posix_spawn with fds 3/4/5, waiting with
 * a timeout, killing without ever signalling a recycled pid, RSS (/proc on
 * Linux), and the worker's side of the contract (wire.h).
 *
 * Descriptor hygiene: workers are spawned from several coordinator threads at
 * once, and a pipe end that leaks into the wrong worker hides EOF forever. So
 * every descriptor we create is O_CLOEXEC from birth (pipe2, mkostemp,
 * F_DUPFD_CLOEXEC, open(O_CLOEXEC)); the child's dup2 onto 3/4/5 (and 1/2 for
 * the output pipe) is what clears the flag, for those descriptors only. Where the
 * C library can (glibc >= 2.34: closefrom; macOS: POSIX_SPAWN_CLOEXEC_DEFAULT),
 * the child also closes every descriptor >= 6 before exec, so even a descriptor we inherited without FD_CLOEXEC (a make
 * jobserver pipe, an embedder's file) never reaches a worker.
 */
#ifdef _WIN32
#error "src/posix is the POSIX layer; the build picked the wrong platform"
#endif

#include "config.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* pipe2, posix_spawn_file_actions_addclosefrom_np */
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <apr_portable.h>
#include <apr_thread_mutex.h>

#include "platform.h"
#include "posix.h"
#include "rawline.h"
#include "wire.h"

#ifndef HAVE_POSIX_SPAWN
#error "src/posix needs posix_spawn (POSIX.1-2001)"
#endif

extern char **environ;

/* The child closes every descriptor from here up (after its dup2s). */
#define FIRST_STRAY_FD 6
/* dup2 sources are moved at or above this, clear of every dup2 target. */
#define HIGH_FD 10

/* Polling back-off of pfz__proc_wait, microseconds. */
#define WAIT_PAUSE_MIN 200
#define WAIT_PAUSE_MAX 10000

/* A worker whose coordinator is already gone leaves with this status
 * (PFZ_EXIT_INTERRUPTED); nobody is left to read it. */
#define ORPHAN_EXIT_CODE 72

struct pfz__proc {
    /* Guards everything below. waitpid runs only under it, so kill (also
     * under it) can never signal a pid that was reaped and possibly reused. */
    apr_thread_mutex_t *lock;
    pid_t pid;
    int reaped;            /* waitpid returned it (or it can no longer be waited for) */
    apr_status_t wait_err; /* when waitpid itself failed: what later waits return */
    int released;          /* pfz__proc_destroy ran */
    pfz__exit_t how;       /* valid once reaped and wait_err == APR_SUCCESS */
    int sweep;             /* just reaped: the next wait sweeps its orphans */
};

/* ---------------------------------------------------- orphan sweeping */

/* A process the target starts inside a worker dies with the worker's process
 * group -- unless it left the group (setsid, as daemons do). On Linux the
 * coordinator is a child subreaper: a process whose parent is gone becomes
 * the coordinator's child instead of init's. Each time a worker is reaped,
 * the sweep looks at every child of ours that is not a live worker:
 *  - in the process group of a worker (live or recently dead) and already a
 *    zombie: reaped (the group kill's victims; their environment can no
 *    longer be read);
 *  - in the group of a dead worker: killed and reaped;
 *  - carrying the environment of one of our workers (PFZ__ENV_PARENT_PID
 *    naming us) whose spawn (PFZ__ENV_SPAWN_ID) is no longer alive: killed and
 *    reaped -- a daemon of a live worker is left alone.
 * Other children of ours (the embedding program's own) are never touched.
 * `reg_mu` guards the registry of live workers (pid and spawn id), the ring
 * of dead workers' groups and `pending` (killed orphans not reaped yet); a
 * spawn holds it, so the sweep never sees a new worker before it is
 * registered. Left out: a daemon that left the group and exited on its own
 * before a sweep stays a zombie until the coordinator exits. */
#if defined(__linux__) && defined(HAVE_PRCTL) && defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
#define PFZ_SWEEP 1
#define PENDING_MAX 64
#define DEAD_MAX 256
typedef struct live_worker {
    pid_t pid;
    unsigned long spawn_id;
} live_worker_t;
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static live_worker_t *live;
static size_t nlive, live_cap;
static pid_t dead[DEAD_MAX]; /* ring: the groups (pids) of the last workers reaped */
static size_t ndead;
static pid_t pending[PENDING_MAX];
static size_t npending;
static int subreaper; /* PR_SET_CHILD_SUBREAPER is on */

/* (reg_mu held) Returns 0 when out of memory. */
static int live_add(pid_t pid, unsigned long spawn_id)
{
    if (nlive == live_cap) {
        size_t cap = live_cap ? live_cap * 2 : 16;
        live_worker_t *n = realloc(live, cap * sizeof *n);
        if (n == NULL)
            return 0;
        live = n;
        live_cap = cap;
    }
    live[nlive].pid = pid;
    live[nlive++].spawn_id = spawn_id;
    return 1;
}

/* (reg_mu held) */
static int live_has(pid_t pid)
{
    size_t i;

    for (i = 0; i < nlive; i++)
        if (live[i].pid == pid)
            return 1;
    return 0;
}

/* (reg_mu held) */
static int live_has_spawn(unsigned long spawn_id)
{
    size_t i;

    for (i = 0; i < nlive; i++)
        if (live[i].spawn_id == spawn_id)
            return 1;
    return 0;
}

/* (reg_mu held) 1 if pgrp is the group of a worker reaped lately. */
static int dead_has(pid_t pgrp)
{
    size_t i;

    for (i = 0; i < ndead && i < DEAD_MAX; i++)
        if (dead[i] == pgrp)
            return 1;
    return 0;
}

/* The worker `pid` was reaped: it leaves the registry; its group is
 * remembered for the sweeps. */
static void live_remove(pid_t pid)
{
    size_t i;

    pthread_mutex_lock(&reg_mu);
    for (i = 0; i < nlive; i++)
        if (live[i].pid == pid) {
            live[i] = live[--nlive];
            break;
        }
    dead[ndead++ % DEAD_MAX] = pid;
    pthread_mutex_unlock(&reg_mu);
}

/* A child's state letter ('Z': zombie) and process group, from
 * /proc/<pid>/stat; 0 when it cannot be read. */
static int task_state(pid_t pid, pid_t *pgrp)
{
    char path[64], buf[512], *p, state;
    ssize_t n;
    long ppid, grp;
    int fd;

    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses. */
    if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %c %ld %ld", &state, &ppid, &grp) != 3)
        return 0;
    *pgrp = (pid_t)grp;
    return state;
}

/* If pid's initial environment holds "<PARENT_PID>=<our pid>" (it comes
 * from one of our workers): the "<SPAWN_ID>" it holds, or ULONG_MAX when it
 * has none; 0 when it is not from our workers. */
static unsigned long from_our_worker(pid_t pid)
{
    char path[64], want[sizeof(PFZ__ENV_PARENT_PID) + 24], buf[8192];
    static const char id_name[] = PFZ__ENV_SPAWN_ID "=";
    size_t wlen, have = 0;
    ssize_t n;
    int fd, found = 0;
    unsigned long id = ULONG_MAX;

    snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
    wlen = (size_t)snprintf(want, sizeof want, "%s=%ld", PFZ__ENV_PARENT_PID, (long)getpid()) + 1;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    /* Entries are NUL-terminated; the tail of one read is kept so that an
     * entry across two reads is still seen. */
    while ((n = read(fd, buf + have, sizeof buf - have)) > 0) {
        size_t len = have + (size_t)n, start = 0, i;
        for (i = 0; i < len; i++)
            if (buf[i] == '\0') {
                if (i - start + 1 == wlen && memcmp(buf + start, want, wlen) == 0)
                    found = 1;
                else if (i - start > sizeof id_name - 1 &&
                         memcmp(buf + start, id_name, sizeof id_name - 1) == 0)
                    id = strtoul(buf + start + sizeof id_name - 1, NULL, 10);
                start = i + 1;
            }
        have = len - start;
        if (have == sizeof buf) /* one entry longer than the buffer: skip it */
            have = 0;
        memmove(buf, buf + start, have);
    }
    close(fd);
    return found ? (id != 0 ? id : ULONG_MAX) : 0;
}

/* (reg_mu held) Kills (or only reaps) the orphans among the pids listed in
 * one task's "children" file. */
static void sweep_task(const char *tid)
{
    char path[96], buf[4096], *p, *end;
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/proc/self/task/%s/children", tid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    for (p = buf;; p = end) {
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        pid_t pgrp = 0;
        unsigned long id;
        int state;

        if (v <= 0 || live_has((pid_t)v))
            continue;
        state = task_state((pid_t)v, &pgrp);
        if (state == 'Z' && (live_has(pgrp) || dead_has(pgrp))) {
            /* killed with its worker's group: only to be reaped */
        } else if (state != 0 && dead_has(pgrp) && !live_has(pgrp)) { /* (a pid may be reused) */
            kill((pid_t)v, SIGKILL);
        } else if ((id = from_our_worker((pid_t)v)) != 0 && !live_has_spawn(id)) {
            kill((pid_t)v, SIGKILL);
        } else {
            continue;
        }
        if (npending < PENDING_MAX)
            pending[npending++] = (pid_t)v;
    }
}

/* Kills and reaps the orphans of our workers that are our children now. */
static void sweep_orphans(void)
{
    DIR *d;
    struct dirent *e;
    size_t i, k;
    int round;

    if (!subreaper)
        return;
    pthread_mutex_lock(&reg_mu);
    if ((d = opendir("/proc/self/task")) != NULL) {
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                sweep_task(e->d_name);
        closedir(d);
    }
    /* SIGKILL takes effect at once; a process in uninterruptible sleep stays
     * pending for the next sweep. Bounded: 20 x 5 ms. */
    for (round = 0; round < 20 && npending > 0; round++) {
        for (i = k = 0; i < npending; i++) {
            pid_t r;
            do {
                r = waitpid(pending[i], NULL, WNOHANG);
            } while (r < 0 && errno == EINTR);
            if (r == 0)
                pending[k++] = pending[i];
        }
        npending = k;
        if (npending > 0) {
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
        }
    }
    pthread_mutex_unlock(&reg_mu);
}

static void subreaper_init(void)
{
    subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
}
static pthread_once_t subreaper_once = PTHREAD_ONCE_INIT;
#endif

/* ------------------------------------------------------------ signals */

/* Our own table rather than strsignal(): stable text for artifacts and tests,
 * independent of the C library and the locale. */
static const struct {
    int signo;
    const char *name;
} signal_names[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},     {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"},     {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"}, {SIGCHLD, "SIGCHLD"},
    {SIGCONT, "SIGCONT"}, {SIGSTOP, "SIGSTOP"},     {SIGTSTP, "SIGTSTP"}, {SIGTTIN, "SIGTTIN"},
    {SIGTTOU, "SIGTTOU"}, {SIGURG, "SIGURG"},       {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
    {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGSYS, "SIGSYS"},
#ifdef SIGWINCH
    {SIGWINCH, "SIGWINCH"},
#endif
#ifdef SIGIO
    {SIGIO, "SIGIO"},
#endif
#ifdef SIGPWR
    {SIGPWR, "SIGPWR"},
#endif
#ifdef SIGSTKFLT
    {SIGSTKFLT, "SIGSTKFLT"},
#endif
#ifdef SIGEMT
    {SIGEMT, "SIGEMT"},
#endif
};

static const char *signal_name(int signo)
{
    size_t i;

    for (i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
        if (signal_names[i].signo == signo)
            return signal_names[i].name;
    return NULL;
}

static void classify(pfz__exit_t *how, int status)
{
    const char *name;

    memset(how, 0, sizeof(*how));
    if (WIFSIGNALED(status)) {
        how->kind = PFZ__EXIT_SIGNAL;
        how->code = (apr_uint32_t)WTERMSIG(status);
        how->crash = 1;
        name = signal_name(WTERMSIG(status));
        if (name != NULL)
            snprintf(how->desc, sizeof(how->desc), "signal %d (%s)", WTERMSIG(status), name);
        else
            snprintf(how->desc, sizeof(how->desc), "signal %d", WTERMSIG(status));
    } else {
        /* WIFEXITED; stopped/continued are never reported (no WUNTRACED). */
        how->kind = PFZ__EXIT_CODE;
        how->code = (apr_uint32_t)WEXITSTATUS(status);
        how->crash = 0; /* the common layer decides what a code means */
        snprintf(how->desc, sizeof(how->desc), "exit code %d", WEXITSTATUS(status));
    }
}

/* ------------------------------------------------------------ spawning */

/* A coordinator writes calls into pipes whose reader may die at any moment;
 * that must be EPIPE, not a SIGPIPE that kills the coordinator. We only touch
 * the default disposition: an embedder's own handler is left alone. */
static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;

static void ignore_sigpipe(void)
{
    struct sigaction old, sa;

    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO)) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGPIPE, &sa, NULL);
    }
}

static int make_pipe(int fds[2])
{
    return pfz__posix_sys.pipe(fds);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Length of the name of a "NAME=value" entry. */
static size_t env_name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');

    return eq != NULL ? (size_t)(eq - entry) : strlen(entry);
}

static int env_names_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

static int env_in_extra(const char *const *extra, const char *name, size_t len)
{
    size_t j;

    for (j = 0; extra != NULL && extra[j] != NULL; j++)
        if (env_names_equal(extra[j], env_name_len(extra[j]), name, len))
            return 1;
    return 0;
}

/* Our environment without the worker variables, then PORTFUZZ_WORKER=1, the
 * parent pid and the spawn id, then env_extra; a name in env_extra replaces
 * ours. The array (malloc'd, so a long-lived pool does not grow with every
 * restart) points into environ and the arguments. */
static apr_status_t build_env(char ***envp_out, const char *const *extra, char *parent_pid_entry,
                              char *spawn_id_entry)
{
    static char worker_entry[] = PFZ__ENV_WORKER "=1";
    const size_t worker_len = sizeof(PFZ__ENV_WORKER) - 1;
    const size_t parent_len = sizeof(PFZ__ENV_PARENT_PID) - 1;
    const size_t spawn_len = sizeof(PFZ__ENV_SPAWN_ID) - 1;
    size_t n_env = 0, n_extra = 0, i, k = 0;
    char **envp;

    *envp_out = NULL;
    for (i = 0; environ != NULL && environ[i] != NULL; i++)
        n_env++;
    for (i = 0; extra != NULL && extra[i] != NULL; i++) {
        if (extra[i][0] == '=' || strchr(extra[i], '=') == NULL)
            return APR_EINVAL; /* not "NAME=value" */
        n_extra++;
    }
    envp = malloc((n_env + n_extra + 4) * sizeof(*envp));
    if (envp == NULL)
        return APR_ENOMEM;
    for (i = 0; i < n_env; i++) {
        const char *e = environ[i];
        size_t len = env_name_len(e);

        if (env_names_equal(e, len, PFZ__ENV_WORKER, worker_len) ||
            env_names_equal(e, len, PFZ__ENV_PARENT_PID, parent_len) ||
            env_names_equal(e, len, PFZ__ENV_SPAWN_ID, spawn_len) || env_in_extra(extra, e, len))
            continue;
        envp[k++] = environ[i];
    }
    if (!env_in_extra(extra, PFZ__ENV_WORKER, worker_len))
        envp[k++] = worker_entry;
    if (!env_in_extra(extra, PFZ__ENV_PARENT_PID, parent_len))
        envp[k++] = parent_pid_entry;
    if (!env_in_extra(extra, PFZ__ENV_SPAWN_ID, spawn_len))
        envp[k++] = spawn_id_entry;
    for (i = 0; i < n_extra; i++)
        envp[k++] = (char *)extra[i];
    envp[k] = NULL;
    *envp_out = envp;
    return APR_SUCCESS;
}

static apr_status_t proc_cleanup(void *data)
{
    pfz__proc_destroy(data);
    return APR_SUCCESS;
}

apr_status_t pfz__proc_spawn_worker(pfz__proc_t **proc, apr_file_t **calls,
                                    apr_file_t **replies, pfz__spawn_t *args,
                                    apr_pool_t *pool)
{
    /* [0] is the read end, [1] the write end. The worker reads calls_p[0]
     * and writes replies_p[1]; we keep calls_p[1] and replies_p[0]. */
    int calls_p[2] = {-1, -1}, replies_p[2] = {-1, -1};
    /* dup2 sources, all >= HIGH_FD: calls in, replies out, shm, output. */
    int src_in = -1, src_out = -1, src_shm = -1, src_log = -1;
    apr_os_file_t log_fd = -1; /* the output pipe's write end: the caller's, never closed here */
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int have_fa = 0, have_attr = 0;
    sigset_t mask;
    char parent_entry[sizeof(PFZ__ENV_PARENT_PID) + 24], spawn_entry[sizeof(PFZ__ENV_SPAWN_ID) + 24];
    static unsigned long spawns; /* spawn ids, from 1 (atomic) */
    unsigned long spawn_id;
    char **envp = NULL;
    pfz__proc_t *p;
    pid_t pid;
    apr_status_t st;
    int rc, flags;

    *proc = NULL;
    *calls = NULL;
    *replies = NULL;
    if (args != NULL)
        args->failed_call = NULL;
    if (args == NULL || args->exe == NULL || args->argv == NULL || args->argv[0] == NULL ||
        pfz__shm_fd(args->shm) < 0)
        return APR_EINVAL;
    pthread_once(&sigpipe_once, ignore_sigpipe);

    /* Allocated before the child exists: after posix_spawn nothing may fail
     * and leave a process nobody can wait for. */
    p = apr_pcalloc(pool, sizeof(*p));
    if ((st = apr_thread_mutex_create(&p->lock, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS)
        return st;
    snprintf(parent_entry, sizeof(parent_entry), "%s=%ld", PFZ__ENV_PARENT_PID, (long)getpid());
    spawn_id = __atomic_add_fetch(&spawns, 1, __ATOMIC_RELAXED);
    snprintf(spawn_entry, sizeof(spawn_entry), "%s=%lu", PFZ__ENV_SPAWN_ID, spawn_id);
    if ((st = build_env(&envp, args->env_extra, parent_entry, spawn_entry)) != APR_SUCCESS)
        return st;

    if (make_pipe(calls_p) != 0 || make_pipe(replies_p) != 0) {
        st = APR_FROM_OS_ERROR(errno);
        args->failed_call = "pipe";
        goto done;
    }
    if (args->output != NULL && (apr_os_file_get(&log_fd, args->output) != APR_SUCCESS || log_fd < 0)) {
        st = APR_EBADF;
        goto done;
    }
    /* Copies clear of 0..9, so no dup2 onto 1/2/3/4/5 can overwrite a source
     * that a later dup2 still needs (our descriptors may be anywhere, even
     * 3/4/5 themselves when the coordinator was started with them closed). */
    if ((src_in = fcntl(calls_p[0], F_DUPFD_CLOEXEC, HIGH_FD)) < 0 ||
        (src_out = fcntl(replies_p[1], F_DUPFD_CLOEXEC, HIGH_FD)) < 0 ||
        (src_shm = fcntl(pfz__shm_fd(args->shm), F_DUPFD_CLOEXEC, HIGH_FD)) < 0 ||
        (log_fd >= 0 && (src_log = fcntl(log_fd, F_DUPFD_CLOEXEC, HIGH_FD)) < 0)) {
        st = APR_FROM_OS_ERROR(errno);
        args->failed_call = "fcntl(F_DUPFD_CLOEXEC)";
        goto done;
    }

    args->failed_call = "posix_spawn_file_actions";
    if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
        st = APR_FROM_OS_ERROR(rc);
        goto done;
    }
    have_fa = 1;
    /* stdin is /dev/null: a target that reads it must not block on (or eat
     * the input of) the coordinator's terminal. */
    if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
        (rc = posix_spawn_file_actions_adddup2(&fa, src_in, PFZ__FD_CALLS)) != 0 ||
        (rc = posix_spawn_file_actions_adddup2(&fa, src_out, PFZ__FD_REPLIES)) != 0 ||
        (rc = posix_spawn_file_actions_adddup2(&fa, src_shm, PFZ__FD_SHM)) != 0 ||
        (src_log >= 0 && ((rc = posix_spawn_file_actions_adddup2(&fa, src_log, 1)) != 0 ||
                          (rc = posix_spawn_file_actions_adddup2(&fa, src_log, 2)) != 0))) {
        st = APR_FROM_OS_ERROR(rc);
        goto done;
    }
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 34)
    if ((rc = posix_spawn_file_actions_addclosefrom_np(&fa, FIRST_STRAY_FD)) != 0) {
        st = APR_FROM_OS_ERROR(rc);
        goto done;
    }
#endif
#endif

    args->failed_call = "posix_spawnattr";
    if ((rc = posix_spawnattr_init(&attr)) != 0) {
        st = APR_FROM_OS_ERROR(rc);
        goto done;
    }
    have_attr = 1;
    /* The worker starts with no blocked signals whatever the spawning thread
     * blocks, and with default SIGPIPE/SIGCHLD whatever the coordinator
     * ignores (an ignored disposition would survive exec). */
    sigemptyset(&mask);
    if ((rc = posix_spawnattr_setsigmask(&attr, &mask)) != 0) {
        st = APR_FROM_OS_ERROR(rc);
        goto done;
    }
    sigaddset(&mask, SIGPIPE);
    sigaddset(&mask, SIGCHLD);
    /* Each worker leads a process group of its own, so that a kill reaches
     * every process the target started (and Ctrl-C at the terminal reaches
     * only the coordinator, which decides). */
    if ((rc = posix_spawnattr_setpgroup(&attr, 0)) != 0) {
        st = APR_FROM_OS_ERROR(rc);
        goto done;
    }
    flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP;
#ifdef POSIX_SPAWN_CLOEXEC_DEFAULT
    /* macOS: only the descriptors named by the file actions survive exec,
     * the equivalent of closefrom above. */
    flags |= POSIX_SPAWN_CLOEXEC_DEFAULT;
#endif
    if ((rc = posix_spawnattr_setsigdefault(&attr, &mask)) != 0 ||
        (rc = posix_spawnattr_setflags(&attr, (short)flags)) != 0) {
        st = APR_FROM_OS_ERROR(rc);
        goto done;
    }

#ifdef PFZ_SWEEP
    pthread_once(&subreaper_once, subreaper_init);
    pthread_mutex_lock(&reg_mu);
#endif
    rc = pfz__posix_sys.posix_spawn(&pid, args->exe, &fa, &attr, (char *const *)args->argv, envp);
#ifdef PFZ_SWEEP
    if (rc == 0 && !live_add(pid, spawn_id))
        subreaper = 0; /* unregistered, the sweep would kill this worker: no more sweeps */
    pthread_mutex_unlock(&reg_mu);
#endif
    if (rc != 0) {
        st = APR_FROM_OS_ERROR(rc);
        args->failed_call = "posix_spawn";
        goto done;
    }
    args->failed_call = NULL;

    p->pid = pid;
    apr_pool_cleanup_register(pool, p, proc_cleanup, apr_pool_cleanup_null);
    /* apr_os_pipe_put_ex (not apr_os_file_put) so apr_file_pipe_timeout_set
     * works on them, with a cleanup so destroying the pool closes them. */
    apr_os_pipe_put_ex(calls, &calls_p[1], 1, pool);
    apr_os_pipe_put_ex(replies, &replies_p[0], 1, pool);
    if (args->io_slice_us > 0) { /* non-blocking + poll: partial writes are reported */
        apr_file_pipe_timeout_set(*calls, args->io_slice_us);
        apr_file_pipe_timeout_set(*replies, args->io_slice_us);
    }
    calls_p[1] = -1;
    replies_p[0] = -1;
    *proc = p;
    st = APR_SUCCESS;

done:
    if (have_fa)
        posix_spawn_file_actions_destroy(&fa);
    if (have_attr)
        posix_spawnattr_destroy(&attr);
    free(envp);
    /* The child's ends and the high copies: the child has its own now. */
    close_fd(&src_in);
    close_fd(&src_out);
    close_fd(&src_shm);
    close_fd(&src_log);
    close_fd(&calls_p[0]);
    close_fd(&replies_p[1]);
    /* Ours, unless handed to the caller. */
    close_fd(&calls_p[1]);
    close_fd(&replies_p[0]);
    return st;
}

apr_status_t pfz__output_pipe_create(apr_file_t **rd, apr_file_t **wr, apr_pool_t *pool)
{
    int fds[2];

    *rd = *wr = NULL;
    /* Not apr_file_pipe_create: its descriptors are inheritable, and one that
     * leaked into another worker would keep this pipe open behind our back. */
    if (make_pipe(fds) != 0)
        return APR_FROM_OS_ERROR(errno);
    apr_os_pipe_put_ex(rd, &fds[0], 1, pool);
    apr_os_pipe_put_ex(wr, &fds[1], 1, pool);
    /* The write end blocks (a worker is slowed, never fails, when we read
     * late); the read end gets its timeout from the reader. */
    apr_file_pipe_timeout_set(*wr, -1);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------ waiting */

/* (lock held) Kills the worker's whole process group. Only while the
 * worker itself is not reaped: until then its pid, which is the group's id,
 * cannot belong to anyone else. A descendant that left the group (setsid)
 * is out of reach here; on Linux the sweep after the reap gets it (see
 * "orphan sweeping"). The coordinator watches the worker, not the pipes, so
 * such a descendant cannot stall it either way. */
static void kill_group_locked(pfz__proc_t *proc)
{
    if (!proc->reaped) {
        kill(-proc->pid, SIGKILL);
        kill(proc->pid, SIGKILL); /* in case it left its group */
    }
}

/* One non-blocking wait under the lock. APR_SUCCESS: ended (proc->how set);
 * APR_TIMEUP: still running; anything else: waiting failed. A worker that
 * has ended is first only looked at (WNOWAIT), so that the rest of its group
 * is killed while its pid still names that group, then reaped. */
static apr_status_t poll_locked(pfz__proc_t *proc)
{
    int status = 0;
    pid_t r;

    if (proc->reaped)
        return proc->wait_err;
#ifdef WNOWAIT
    {
        siginfo_t si;
        int rc;

        memset(&si, 0, sizeof(si));
        do {
            rc = waitid(P_PID, (id_t)proc->pid, &si, WEXITED | WNOHANG | WNOWAIT);
        } while (rc < 0 && errno == EINTR);
        if (rc == 0 && si.si_pid == 0)
            return APR_TIMEUP;
        if (rc == 0)
            kill(-proc->pid, SIGKILL); /* descendants left in its group */
    }
#endif
    do {
        r = waitpid(proc->pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0)
        return APR_TIMEUP;
    if (r < 0) {
        /* ECHILD: someone else reaped it (or SIGCHLD is ignored). The pid is
         * no longer ours to signal. */
        proc->wait_err = APR_FROM_OS_ERROR(errno);
        proc->reaped = 1;
        proc->sweep = 1;
        return proc->wait_err;
    }
    classify(&proc->how, status);
    proc->wait_err = APR_SUCCESS;
    proc->reaped = 1;
    proc->sweep = 1;
    return APR_SUCCESS;
}

static void sleep_us(apr_uint64_t us)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(us / 1000000u);
    ts.tv_nsec = (long)(us % 1000000u) * 1000;
    nanosleep(&ts, NULL); /* an early return (EINTR) only means an early poll */
}

apr_status_t pfz__proc_wait(pfz__proc_t *proc, apr_interval_time_t timeout, pfz__exit_t *how)
{
    apr_uint64_t deadline = 0, now, pause = WAIT_PAUSE_MIN, nap;
    apr_status_t st;

    if (proc == NULL)
        return APR_EINVAL;
    if (timeout >= 0)
        deadline = pfz__now_us() + (apr_uint64_t)timeout;
    /* Polling rather than a blocking waitpid: reaping must happen under the
     * lock (see pfz__proc_kill), and the lock must not be held while we
     * wait, or a kill from another thread would wait behind us. */
    for (;;) {
        int sweep;
        apr_thread_mutex_lock(proc->lock);
        st = poll_locked(proc);
        if (st == APR_SUCCESS && how != NULL)
            *how = proc->how;
        sweep = proc->sweep;
        proc->sweep = 0;
        apr_thread_mutex_unlock(proc->lock);
        if (sweep) {
#ifdef PFZ_SWEEP
            /* Once per worker, outside its lock: its pid leaves the
             * registry, then what it left behind goes. */
            live_remove(proc->pid);
            sweep_orphans();
#endif
        }
        if (st != APR_TIMEUP)
            return st;
        nap = pause;
        if (timeout >= 0) {
            now = pfz__now_us();
            if (now >= deadline)
                break;
            if (nap > deadline - now)
                nap = deadline - now;
        }
        sleep_us(nap);
        pause = pause * 2 > WAIT_PAUSE_MAX ? WAIT_PAUSE_MAX : pause * 2;
    }
    if (how != NULL) {
        memset(how, 0, sizeof(*how));
        how->kind = PFZ__EXIT_RUNNING;
        snprintf(how->desc, sizeof(how->desc), "running");
    }
    return APR_TIMEUP;
}

apr_status_t pfz__proc_kill(pfz__proc_t *proc)
{
    apr_status_t st = APR_SUCCESS;

    if (proc == NULL)
        return APR_EINVAL;
    apr_thread_mutex_lock(proc->lock);
    /* Unreaped means the pid is still ours (perhaps a zombie, which ignores
     * the signal); once reaped it may belong to a stranger. */
    if (!proc->reaped && kill(proc->pid, SIGKILL) != 0 && errno != ESRCH)
        st = APR_FROM_OS_ERROR(errno);
    kill_group_locked(proc);
    apr_thread_mutex_unlock(proc->lock);
    return st;
}

apr_status_t pfz__proc_request_stack(pfz__proc_t *proc, pfz__stack_reason_e why)
{
    apr_status_t st = APR_SUCCESS;

    if (proc == NULL)
        return APR_EINVAL;
    /* Under the lock, as for kill: an unreaped pid is still our child. */
    apr_thread_mutex_lock(proc->lock);
    if (!proc->reaped)
        st = pfz__crash_request_stack((long)proc->pid, (int)why);
    apr_thread_mutex_unlock(proc->lock);
    return st == APR_FROM_OS_ERROR(ESRCH) ? APR_SUCCESS : st; /* ended meanwhile */
}

apr_status_t pfz__proc_rss(pfz__proc_t *proc, apr_uint64_t *rss_bytes)
{
#ifdef __linux__
    char path[64], buf[128];
    unsigned long long pages = 0;
    apr_status_t st = APR_SUCCESS;
    ssize_t n = -1;
    char *p, *end;
    long page;
    int fd;

    *rss_bytes = 0;
    if (proc == NULL)
        return APR_EINVAL;
    snprintf(path, sizeof(path), "/proc/%ld/statm", (long)proc->pid);
    /* Under the lock, so the pid cannot be reaped and reused while we read. */
    apr_thread_mutex_lock(proc->lock);
    if (proc->reaped) {
        st = APR_FROM_OS_ERROR(ESRCH);
    } else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        st = APR_FROM_OS_ERROR(errno);
    } else {
        do {
            n = read(fd, buf, sizeof(buf) - 1);
        } while (n < 0 && errno == EINTR);
        if (n < 0)
            st = APR_FROM_OS_ERROR(errno);
        close(fd);
    }
    apr_thread_mutex_unlock(proc->lock);
    if (st != APR_SUCCESS)
        return st;
    /* "size resident shared text lib data dt", in pages. */
    buf[n] = '\0';
    p = buf;
    strtoull(p, &end, 10);
    if (end == p)
        return APR_EGENERAL;
    p = end;
    pages = strtoull(p, &end, 10);
    if (end == p)
        return APR_EGENERAL;
    page = sysconf(_SC_PAGESIZE);
    *rss_bytes = (apr_uint64_t)pages * (apr_uint64_t)(page > 0 ? page : 4096);
    return APR_SUCCESS;
#else
    (void)proc;
    *rss_bytes = 0;
    return APR_ENOTIMPL;
#endif
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
    /* SIGKILL cannot be caught: this returns as soon as the kernel is done. */
    pfz__proc_wait(proc, -1, NULL);
}

/* ------------------------------------------------------- worker side */

int pfz__is_worker(void)
{
    const char *v = getenv(PFZ__ENV_WORKER);

    return v != NULL && strcmp(v, "1") == 0;
}

apr_status_t pfz__worker_channels(apr_file_t **calls, apr_file_t **replies, apr_pool_t *pool)
{
    static const struct {
        int fd;
        int mode; /* O_RDONLY / O_WRONLY */
        const char *missing, *not_pipe;
    } ch[2] = {
        {PFZ__FD_CALLS, O_RDONLY,
         "worker fd 3 (calls) is not open; workers are started by the coordinator, "
         "do not set PORTFUZZ_WORKER=1 by hand",
         "worker fd 3 (calls) is not the read end of a pipe; workers are started by the "
         "coordinator, do not set PORTFUZZ_WORKER=1 by hand"},
        {PFZ__FD_REPLIES, O_WRONLY,
         "worker fd 4 (replies) is not open; workers are started by the coordinator, "
         "do not set PORTFUZZ_WORKER=1 by hand",
         "worker fd 4 (replies) is not the write end of a pipe; workers are started by the "
         "coordinator, do not set PORTFUZZ_WORKER=1 by hand"},
    };
    struct stat sb;
    apr_os_file_t fd;
    apr_status_t st;
    int i, fl;

    *calls = NULL;
    *replies = NULL;
    for (i = 0; i < 2; i++) {
        if (fstat(ch[i].fd, &sb) != 0) {
            st = APR_FROM_OS_ERROR(errno);
            pfz__complain(ch[i].missing);
            return st;
        }
        fl = fcntl(ch[i].fd, F_GETFL);
        if (!S_ISFIFO(sb.st_mode) || fl < 0 || (fl & O_ACCMODE) != ch[i].mode) {
            pfz__complain(ch[i].not_pipe);
            return APR_EINVAL;
        }
    }
    /* They came without FD_CLOEXEC (dup2 cleared it). A process the target
     * starts must not inherit them: a grandchild holding fd 4 would hide
     * this worker's death from the coordinator. */
    for (i = 0; i < 2; i++)
        if (fcntl(ch[i].fd, F_SETFD, FD_CLOEXEC) != 0)
            return APR_FROM_OS_ERROR(errno);
    fd = PFZ__FD_CALLS;
    apr_os_pipe_put_ex(calls, &fd, 1, pool);
    fd = PFZ__FD_REPLIES;
    apr_os_pipe_put_ex(replies, &fd, 1, pool);
    return APR_SUCCESS;
}

#if !(defined(HAVE_PRCTL) && defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_PDEATHSIG))
static pid_t orphan_watch_parent;

static void *orphan_watch_main(void *arg)
{
    (void)arg;
    for (;;) {
        if (getppid() != orphan_watch_parent)
            _exit(ORPHAN_EXIT_CODE);
        sleep_us(200000);
    }
    return NULL;
}

static void start_orphan_watch(void)
{
    pthread_attr_t at;
    pthread_t t;
    sigset_t all, old;

    orphan_watch_parent = getppid();
    if (pthread_attr_init(&at) != 0)
        return;
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    /* The watch takes no signal: those belong to the target's thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_create(&t, &at, orphan_watch_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&at);
}
#endif

void pfz__worker_process_setup(void)
{
    static const int ignored[] = {SIGINT, SIGTERM, SIGPIPE};
    struct sigaction sa;
    const char *parent;
    size_t i;

    /* Ctrl-C reaches the whole foreground process group; the coordinator
     * decides when workers stop. A dead coordinator shows up as EOF on fd 3
     * and a write to fd 4 must fail with EPIPE, not kill us. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        sigaction(ignored[i], &sa, NULL);
    /* Stacks for deadly signals and for the coordinator's requests. */
    pfz__crash_reports_install();

#if defined(HAVE_PRCTL) && defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_PDEATHSIG)
    /* Die with the coordinator even while the target is busy (EOF on fd 3 is
     * only seen between calls). Linux caveat: the signal fires when the
     * *thread* that spawned us exits, so coordinator threads must outlive
     * the workers they spawn. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#else
    /* No parent-death signal (macOS, the BSDs): a thread notices the
     * re-parenting that the coordinator's death causes. */
    start_orphan_watch();
#endif
    /* If the coordinator died before the line above took effect, the signal
     * will never come: we have been re-parented already. */
    parent = getenv(PFZ__ENV_PARENT_PID);
    if (parent != NULL && *parent != '\0') {
        char *end;
        long ppid = strtol(parent, &end, 10);

        if (*end == '\0' && ppid > 0 && (long)getppid() != ppid)
            _exit(ORPHAN_EXIT_CODE);
    }
}
