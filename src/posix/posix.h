/* posix.h -- what the files of src/posix share with each other (POSIX only).
 *
 * Never included from src/common: everything the common layer may use is in
 * platform.h. This header only exposes what proc.c needs from shm.c (the
 * backing file's descriptor, to hand it to a worker as fd 5) and the
 * environment variable the spawner and the worker agree on for the
 * parent-death check.
 */
#ifndef PFZ_POSIX_H
#define PFZ_POSIX_H

#ifdef _WIN32
#error "src/posix is the POSIX layer; the build picked the wrong platform"
#endif

#include <spawn.h>
#include <sys/types.h>

#include "platform.h"

/* The system calls that tests can make fail (syscall.c, pfz__syscall_set).
 * Call them through this table, never directly. */
typedef struct pfz__posix_sys {
    int (*posix_spawn)(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                       const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
    int (*pipe)(int fds[2]); /* both ends O_CLOEXEC */
    int (*ftruncate)(int fd, off_t size);
    int (*posix_fallocate)(int fd, off_t off, off_t len);
    void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off);
} pfz__posix_sys_t;

extern pfz__posix_sys_t pfz__posix_sys;

/* The coordinator's pid, in decimal. A worker compares it with getppid()
 * right after asking for PR_SET_PDEATHSIG: if they differ, the coordinator
 * died before the request took effect and the signal would never come. */
#define PFZ__ENV_PARENT_PID "PORTFUZZ_PARENT_PID"

/* A number that names one spawn of a worker (decimal, > 0), inherited by
 * everything the worker starts: the orphan sweep (proc.c) tells by it
 * whether a process of ours belongs to a worker that is still alive. */
#define PFZ__ENV_SPAWN_ID "PORTFUZZ_SPAWN_ID"

/** The region's backing file descriptor (O_CLOEXEC), or -1 after close. */
int pfz__shm_fd(const pfz__shm_t *shm);

/* The signal a coordinator sends a worker to ask for the stack of the fuzz
 * target's thread (pfz__proc_request_stack). SIGURG because a fuzz target
 * practically never uses it (only sockets with F_SETOWN and out-of-band data
 * raise it), it is ignored by default (a worker that has no handler, or whose
 * target reset it, is not killed by the request), and it is none of those
 * that libFuzzer-style harnesses and the sanitizers use: SIGALRM (libFuzzer's
 * own -timeout), SIGUSR1/SIGUSR2 (its graceful exits), SIGPROF (profilers),
 * the real-time signals (glibc and threading libraries). Go's runtime chose
 * it for its preemption requests for the same reasons. */
#define PFZ__STACK_SIGNAL SIGURG

/** Worker: installs the reporters of deadly signals (SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE, SIGABRT; only those still at SIG_DFL, so a sanitizer's stay its
 * own) and of the coordinator's stack requests, on an alternate stack. Must
 * run on the thread that runs the target, before any target code. */
void pfz__crash_reports_install(void);

/** Coordinator: sends worker `pid` a stack request (PFZ__STACK_SIGNAL, with
 * `why` as its value where sigqueue exists). The caller guarantees that the
 * pid is still its unreaped child. */
apr_status_t pfz__crash_request_stack(long pid, int why);

#endif /* PFZ_POSIX_H */
