/* syscall.c -- the system calls of the POSIX layer that can fail in ways a
 * test must be able to provoke (spawn refused, no descriptors left, a full
 * disk, no address space), routed through one table as SQLite's os_unix.c
 * routes them through aSyscall[]. Production code never changes the table;
 * tests swap entries with pfz__syscall_set. */
#ifdef _WIN32
#error "src/posix is the POSIX layer; the build picked the wrong platform"
#endif

#include "config.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* pipe2 */
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "platform.h"
#include "posix.h"

/* pipe2(O_CLOEXEC) where the C library has it, else pipe + FD_CLOEXEC. */
static int default_pipe(int fds[2])
{
#ifdef HAVE_PIPE2
    return pipe2(fds, O_CLOEXEC);
#else
    /* Not atomic: a concurrent spawn in another thread may catch these
     * without FD_CLOEXEC. Only systems without pipe2 take this path. */
    if (pipe(fds) != 0)
        return -1;
    if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        errno = e;
        return -1;
    }
    return 0;
#endif
}

static const pfz__posix_sys_t real_sys = {posix_spawn, default_pipe, ftruncate, posix_fallocate, mmap};

pfz__posix_sys_t pfz__posix_sys = {posix_spawn, default_pipe, ftruncate, posix_fallocate, mmap};

apr_status_t pfz__syscall_set(const char *name, pfz__syscall_fn fn)
{
#define PFZ_SYS_ENTRY(field)                                                                   \
    if (strcmp(name, #field) == 0) {                                                           \
        pfz__posix_sys.field = fn != NULL ? (__typeof__(pfz__posix_sys.field))fn : real_sys.field; \
        return APR_SUCCESS;                                                                    \
    }
    PFZ_SYS_ENTRY(posix_spawn)
    PFZ_SYS_ENTRY(pipe)
    PFZ_SYS_ENTRY(ftruncate)
    PFZ_SYS_ENTRY(posix_fallocate)
    PFZ_SYS_ENTRY(mmap)
#undef PFZ_SYS_ENTRY
    return APR_NOTFOUND;
}
