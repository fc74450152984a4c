/* shm.c -- shared-memory regions, POSIX: a sealed memfd (Linux) or an
 * unlinked temp file, + mmap(MAP_SHARED).
 *
 * The coordinator creates the backing file with mkostemp(O_CLOEXEC) in the
 * temp directory and unlinks it at once, so nothing is left behind even when
 * the coordinator is SIGKILLed: the open descriptor is the region's only
 * name, and it reaches a worker only as fd 5 through pfz__proc_spawn_worker.
 * Either side may grow the file (the coordinator does, between calls); the
 * other re-maps it with pfz__shm_remap.
 */
#ifdef _WIN32
#error "src/posix is the POSIX layer; the build picked the wrong platform"
#endif

#include "config.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkostemp, mremap */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>

#include "platform.h"
#include "posix.h"
#include "rawline.h"
#include "wire.h"

/* ThreadSanitizer does not intercept mremap: memory moved by it keeps stale
 * shadow state and gives false race reports. Under TSan, grow by mapping a
 * new view and unmapping the old one, which it does see. */
#if defined(__SANITIZE_THREAD__)
#define PFZ_NO_MREMAP 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PFZ_NO_MREMAP 1
#endif
#endif
#if defined(MREMAP_MAYMOVE) && !defined(PFZ_NO_MREMAP)
#define PFZ_USE_MREMAP 1
#endif

struct pfz__shm {
    int fd;          /* backing file, O_CLOEXEC; -1 once closed */
    void *base;      /* current mapping, NULL when unmapped */
    apr_size_t size; /* bytes mapped */
};

int pfz__shm_fd(const pfz__shm_t *shm)
{
    return shm != NULL ? shm->fd : -1;
}

static apr_status_t shm_cleanup(void *data)
{
    pfz__shm_close(data);
    return APR_SUCCESS;
}

static apr_status_t map_fd(void **base, int fd, apr_size_t size)
{
    void *p = pfz__posix_sys.mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

    if (p == MAP_FAILED)
        return APR_FROM_OS_ERROR(errno);
    *base = p;
    return APR_SUCCESS;
}

/* Moves the mapping to `new_size` bytes of the (already resized) file. On
 * failure the old mapping is left intact. */
static apr_status_t remap_to(pfz__shm_t *shm, apr_size_t new_size)
{
    void *p = NULL;
    apr_status_t st;

    if (shm->base == NULL) {
        if ((st = map_fd(&p, shm->fd, new_size)) != APR_SUCCESS)
            return st;
    } else {
#ifdef PFZ_USE_MREMAP
        p = mremap(shm->base, shm->size, new_size, MREMAP_MAYMOVE);
        if (p == MAP_FAILED)
            return APR_FROM_OS_ERROR(errno);
#else
        /* Map the new view before dropping the old one, so a failure keeps
         * a valid mapping. */
        if ((st = map_fd(&p, shm->fd, new_size)) != APR_SUCCESS)
            return st;
        munmap(shm->base, shm->size);
#endif
    }
    shm->base = p;
    shm->size = new_size;
    return APR_SUCCESS;
}

/* Sets the file's length and, where the file system can, reserves the blocks:
 * a sparse file on a full tmpfs would otherwise turn a later store into the
 * mapping into SIGBUS instead of an error here. */
static apr_status_t resize_file(int fd, apr_size_t size)
{
    int rc;

    while ((rc = pfz__posix_sys.ftruncate(fd, (off_t)size)) != 0 && errno == EINTR)
        ;
    if (rc != 0)
        return APR_FROM_OS_ERROR(errno);
    do {
        rc = pfz__posix_sys.posix_fallocate(fd, 0, (off_t)size);
    } while (rc == EINTR);
    /* Not every file system supports it; the ftruncate above is enough there. */
    if (rc != 0 && rc != EOPNOTSUPP && rc != ENOSYS && rc != EINVAL)
        return APR_FROM_OS_ERROR(rc);
    return APR_SUCCESS;
}

apr_status_t pfz__shm_create(pfz__shm_t **shm, apr_size_t size, apr_pool_t *pool)
{
    pfz__shm_t *s;
    char *path;
    apr_status_t st;
    int fd = -1;

    *shm = NULL;
    if (size == 0 || (apr_uint64_t)size > (apr_uint64_t)((~(apr_uint64_t)0) >> 1))
        return APR_EINVAL;
#if defined(HAVE_MEMFD_CREATE) && defined(MFD_ALLOW_SEALING) && defined(F_SEAL_SHRINK)
    /* Linux: an anonymous file that no one can shrink. The target runs in
     * the worker with fd 5 in reach; a file it could ftruncate would turn the
     * coordinator's next access to the mapping into SIGBUS. */
    fd = memfd_create("portfuzz-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0) {
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
            st = APR_FROM_OS_ERROR(errno);
            close(fd);
            return st;
        }
        goto have_fd;
    }
    if (errno != ENOSYS && errno != EINVAL)
        return APR_FROM_OS_ERROR(errno);
    /* An old kernel: fall back to an unlinked temp file. */
#endif
    path = apr_pstrcat(pool, pfz__temp_dir(pool), "/portfuzz-shm-XXXXXX", NULL);
#ifdef HAVE_MKOSTEMP
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0)
        return APR_FROM_OS_ERROR(errno);
#else
    fd = mkstemp(path);
    if (fd < 0)
        return APR_FROM_OS_ERROR(errno);
    /* Not atomic: another thread's spawn may see this fd without FD_CLOEXEC
     * for a moment. Only systems without mkostemp take this path. */
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        st = APR_FROM_OS_ERROR(errno);
        unlink(path);
        close(fd);
        return st;
    }
#endif
    /* The descriptor is the region's only name from now on. */
    unlink(path);
#if defined(HAVE_MEMFD_CREATE) && defined(MFD_ALLOW_SEALING) && defined(F_SEAL_SHRINK)
have_fd:
#endif

    if ((st = resize_file(fd, size)) != APR_SUCCESS)
        goto fail;
    s = apr_pcalloc(pool, sizeof(*s));
    s->fd = fd;
    if ((st = map_fd(&s->base, fd, size)) != APR_SUCCESS)
        goto fail;
    s->size = size;
    apr_pool_cleanup_register(pool, s, shm_cleanup, apr_pool_cleanup_null);
    *shm = s;
    return APR_SUCCESS;

fail:
    close(fd);
    return st;
}

apr_status_t pfz__shm_attach_inherited(pfz__shm_t **shm, apr_pool_t *pool)
{
    pfz__shm_t *s;
    struct stat sb;
    apr_status_t st;

    *shm = NULL;
    if (fstat(PFZ__FD_SHM, &sb) != 0) {
        st = APR_FROM_OS_ERROR(errno);
        pfz__complain("worker fd 5 (shared memory) is not open; workers are started "
                            "by the coordinator, do not set PORTFUZZ_WORKER=1 by hand");
        return st;
    }
    if (!S_ISREG(sb.st_mode)) {
        pfz__complain("worker fd 5 (shared memory) is not a regular file; workers are "
                            "started by the coordinator, do not set PORTFUZZ_WORKER=1 by hand");
        return APR_EINVAL;
    }
    if (sb.st_size < (off_t)sizeof(pfz__shm_hdr_t) ||
        (apr_uint64_t)sb.st_size > (apr_uint64_t)(apr_size_t)-1) {
        pfz__complain("worker fd 5 (shared memory) is smaller than the region header");
        return APR_EINVAL;
    }
    /* fd 5 came without FD_CLOEXEC (dup2 cleared it); anything the target
     * itself starts must not inherit it. */
    if (fcntl(PFZ__FD_SHM, F_SETFD, FD_CLOEXEC) != 0)
        return APR_FROM_OS_ERROR(errno);
    s = apr_pcalloc(pool, sizeof(*s));
    s->fd = PFZ__FD_SHM;
    if ((st = map_fd(&s->base, s->fd, (apr_size_t)sb.st_size)) != APR_SUCCESS)
        return st;
    s->size = (apr_size_t)sb.st_size;
    apr_pool_cleanup_register(pool, s, shm_cleanup, apr_pool_cleanup_null);
    *shm = s;
    return APR_SUCCESS;
}

apr_status_t pfz__shm_grow(pfz__shm_t *shm, apr_size_t new_size)
{
    apr_status_t st;

    if (shm == NULL || shm->fd < 0)
        return APR_EINVAL;
    if (new_size < shm->size)
        return APR_EINVAL;
    if (new_size == shm->size && shm->base != NULL)
        return APR_SUCCESS;
    if ((st = resize_file(shm->fd, new_size)) != APR_SUCCESS)
        return st;
    return remap_to(shm, new_size);
}

apr_status_t pfz__shm_remap(pfz__shm_t *shm)
{
    struct stat sb;

    if (shm == NULL || shm->fd < 0)
        return APR_EINVAL;
    if (fstat(shm->fd, &sb) != 0)
        return APR_FROM_OS_ERROR(errno);
    if (sb.st_size <= 0 || (apr_uint64_t)sb.st_size > (apr_uint64_t)(apr_size_t)-1)
        return APR_EINVAL;
    if ((apr_size_t)sb.st_size == shm->size && shm->base != NULL)
        return APR_SUCCESS;
    return remap_to(shm, (apr_size_t)sb.st_size);
}

void *pfz__shm_base(const pfz__shm_t *shm)
{
    return shm != NULL ? shm->base : NULL;
}

apr_size_t pfz__shm_size(const pfz__shm_t *shm)
{
    return shm != NULL && shm->base != NULL ? shm->size : 0;
}

void pfz__shm_close(pfz__shm_t *shm)
{
    if (shm == NULL)
        return;
    if (shm->base != NULL) {
        munmap(shm->base, shm->size);
        shm->base = NULL;
        shm->size = 0;
    }
    if (shm->fd >= 0) {
        /* The file was unlinked at creation: closing the last descriptor
         * (ours, and the workers') deletes it. */
        close(shm->fd);
        shm->fd = -1;
    }
}
