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

#include "platform.h"

/* The coordinator's pid, in decimal. A worker compares it with getppid()
 * right after asking for PR_SET_PDEATHSIG: if they differ, the coordinator
 * died before the request took effect and the signal would never come. */
#define PFZ__ENV_PARENT_PID "PORTFUZZ_PARENT_PID"

/** The region's backing file descriptor (O_CLOEXEC), or -1 after close. */
int pfz__shm_fd(const pfz__shm_t *shm);

/** Writes "portfuzz: <what>\n" to fd 2 without allocating; for set-up
 * problems whose apr_status_t alone cannot say which descriptor was wrong. */
void pfz__posix_complain(const char *what);

#endif /* PFZ_POSIX_H */
