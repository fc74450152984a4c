/* shm.c -- shared-memory regions, Win32: a delete-on-close temp file +
 * CreateFileMapping + MapViewOfFile.
 *
 * The coordinator creates the backing file in the temp directory with
 * FILE_FLAG_DELETE_ON_CLOSE (the file disappears when the last handle to it
 * is closed, even if the coordinator is killed) and FILE_ATTRIBUTE_TEMPORARY
 * (the cache manager avoids writing it to disk). The *file* handle, not a
 * mapping handle, is what a worker inherits: a mapping object has a fixed
 * maximum size, while a file can grow, and each side creates its own mapping
 * with the file's current size. Views of one file through different mapping
 * objects are coherent (they share the file's section), in every process.
 */
#ifndef _WIN32
#error "src/win32 is the Win32 layer; the build picked the wrong platform"
#endif

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "win32.h"

#include "rawline.h"

#include <stdio.h>
#include <string.h>

#include "wire.h"

struct pfz__shm {
    HANDLE file;     /* backing file, never inheritable; NULL once closed */
    HANDLE mapping;  /* mapping object of the current view; NULL when unmapped */
    void *base;      /* current view, NULL when unmapped */
    apr_size_t size; /* bytes mapped */
};

HANDLE pfz__shm_file_handle(const pfz__shm_t *shm)
{
    return shm != NULL ? shm->file : NULL;
}

static apr_status_t shm_cleanup(void *data)
{
    pfz__shm_close(data);
    return APR_SUCCESS;
}

/* Maps `size` bytes of `file` into a new mapping object and view. */
static apr_status_t map_file(HANDLE *mapping, void **base, HANDLE file, apr_size_t size)
{
    apr_uint64_t sz = size;
    HANDLE m;
    void *p;
    apr_status_t st;

    /* No name, no security attributes: the mapping object is never
     * inheritable and nobody can open it by name. */
    m = pfz__win32_sys.CreateFileMappingW(file, NULL, PAGE_READWRITE, (DWORD)(sz >> 32), (DWORD)sz, NULL);
    if (m == NULL)
        return APR_FROM_OS_ERROR(GetLastError());
    p = pfz__win32_sys.MapViewOfFile(m, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, size);
    if (p == NULL) {
        st = APR_FROM_OS_ERROR(GetLastError());
        CloseHandle(m);
        return st;
    }
    *mapping = m;
    *base = p;
    return APR_SUCCESS;
}

static void unmap(pfz__shm_t *shm)
{
    if (shm->base != NULL) {
        UnmapViewOfFile(shm->base);
        shm->base = NULL;
    }
    if (shm->mapping != NULL) {
        CloseHandle(shm->mapping);
        shm->mapping = NULL;
    }
    shm->size = 0;
}

/* Replaces the view with one of `new_size` bytes of the (already resized)
 * file. The new view is made before the old one is dropped, so a failure
 * leaves the old mapping intact. */
static apr_status_t remap_to(pfz__shm_t *shm, apr_size_t new_size)
{
    HANDLE m;
    void *p;
    apr_status_t st;

    if ((st = map_file(&m, &p, shm->file, new_size)) != APR_SUCCESS)
        return st;
    unmap(shm);
    shm->mapping = m;
    shm->base = p;
    shm->size = new_size;
    return APR_SUCCESS;
}

static apr_status_t file_size(HANDLE file, apr_uint64_t *size)
{
    LARGE_INTEGER li;

    if (!GetFileSizeEx(file, &li))
        return APR_FROM_OS_ERROR(GetLastError());
    *size = (apr_uint64_t)li.QuadPart;
    return APR_SUCCESS;
}

/* Sets the file's length; the new bytes read as zeros. Uses the handle's
 * end-of-file information rather than SetFilePointer + SetEndOfFile: the
 * file pointer is shared with every worker's inherited handle. */
static apr_status_t resize_file(HANDLE file, apr_size_t size)
{
    FILE_END_OF_FILE_INFO eof;

    eof.EndOfFile.QuadPart = (LONGLONG)size;
    if (!SetFileInformationByHandle(file, FileEndOfFileInfo, &eof, sizeof(eof)))
        return APR_FROM_OS_ERROR(GetLastError());
    return APR_SUCCESS;
}

/* Creates a new, uniquely named, delete-on-close file in the temp directory. */
static apr_status_t create_backing_file(HANDLE *out)
{
    static volatile LONG counter;
    wchar_t dir[MAX_PATH + 2], path[MAX_PATH + 64];
    DWORD n, err = ERROR_FILE_EXISTS;
    HANDLE h;
    int attempt;

    *out = NULL;
    n = GetTempPathW((DWORD)(sizeof(dir) / sizeof(dir[0])), dir);
    if (n == 0 || n >= sizeof(dir) / sizeof(dir[0]))
        return APR_FROM_OS_ERROR(n == 0 ? GetLastError() : ERROR_BUFFER_OVERFLOW);
    for (attempt = 0; attempt < 100; attempt++) {
        /* pid + a per-process counter + the tick count: unique among live
         * processes; CREATE_NEW turns a leftover of a dead one into a retry. */
        _snwprintf(path, sizeof(path) / sizeof(path[0]), L"%lsportfuzz-shm-%lu-%ld-%lx.tmp",
                   dir, (unsigned long)GetCurrentProcessId(), (long)InterlockedIncrement(&counter),
                   (unsigned long)GetTickCount());
        path[sizeof(path) / sizeof(path[0]) - 1] = L'\0';
        /* Sharing includes FILE_SHARE_DELETE, which delete-on-close requires
         * of every later opener; the security attributes are NULL, so the
         * handle is not inheritable (proc.c duplicates it for one worker). */
        h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE,
                        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, CREATE_NEW,
                        FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
        if (h != INVALID_HANDLE_VALUE) {
            *out = h;
            return APR_SUCCESS;
        }
        err = GetLastError();
        if (err != ERROR_FILE_EXISTS && err != ERROR_ALREADY_EXISTS)
            break;
    }
    return APR_FROM_OS_ERROR(err);
}

apr_status_t pfz__shm_create(pfz__shm_t **shm, apr_size_t size, apr_pool_t *pool)
{
    pfz__shm_t *s;
    HANDLE file = NULL;
    apr_status_t st;

    *shm = NULL;
    if (size == 0 || (apr_uint64_t)size > (apr_uint64_t)((~(apr_uint64_t)0) >> 1))
        return APR_EINVAL;
    if ((st = create_backing_file(&file)) != APR_SUCCESS)
        return st;
    if ((st = resize_file(file, size)) != APR_SUCCESS)
        goto fail;
    s = apr_pcalloc(pool, sizeof(*s));
    s->file = file;
    if ((st = map_file(&s->mapping, &s->base, file, size)) != APR_SUCCESS)
        goto fail;
    s->size = size;
    apr_pool_cleanup_register(pool, s, shm_cleanup, apr_pool_cleanup_null);
    *shm = s;
    return APR_SUCCESS;

fail:
    CloseHandle(file); /* deletes it */
    return st;
}

apr_status_t pfz__shm_attach_inherited(pfz__shm_t **shm, apr_pool_t *pool)
{
    HANDLE h[3];
    pfz__shm_t *s;
    apr_uint64_t size = 0;
    apr_status_t st;

    *shm = NULL;
    if ((st = pfz__win32_worker_handles(h)) != APR_SUCCESS)
        return st;
    if (GetFileType(h[PFZ__WIN32_H_SHM]) != FILE_TYPE_DISK) {
        pfz__complain("the third handle of PORTFUZZ_WORKER_HANDLES (shared memory) is not "
                            "an open file; workers are started by the coordinator, do not set "
                            "PORTFUZZ_WORKER_HANDLES by hand");
        return APR_EINVAL;
    }
    if ((st = file_size(h[PFZ__WIN32_H_SHM], &size)) != APR_SUCCESS)
        return st;
    if (size < sizeof(pfz__shm_hdr_t) || size > (apr_uint64_t)(apr_size_t)-1) {
        pfz__complain("the shared-memory file of PORTFUZZ_WORKER_HANDLES is smaller than "
                            "the region header");
        return APR_EINVAL;
    }
    /* It came inheritable; anything the target itself starts must not get it. */
    SetHandleInformation(h[PFZ__WIN32_H_SHM], HANDLE_FLAG_INHERIT, 0);
    s = apr_pcalloc(pool, sizeof(*s));
    s->file = h[PFZ__WIN32_H_SHM];
    if ((st = map_file(&s->mapping, &s->base, s->file, (apr_size_t)size)) != APR_SUCCESS)
        return st;
    s->size = (apr_size_t)size;
    apr_pool_cleanup_register(pool, s, shm_cleanup, apr_pool_cleanup_null);
    *shm = s;
    return APR_SUCCESS;
}

apr_status_t pfz__shm_grow(pfz__shm_t *shm, apr_size_t new_size)
{
    apr_status_t st;

    if (shm == NULL || shm->file == NULL)
        return APR_EINVAL;
    if (new_size < shm->size)
        return APR_EINVAL;
    if (new_size == shm->size && shm->base != NULL)
        return APR_SUCCESS;
    /* Extending a file that has views is allowed (only shrinking below a
     * view fails); the old view stays valid until remap_to drops it. */
    if ((st = resize_file(shm->file, new_size)) != APR_SUCCESS)
        return st;
    return remap_to(shm, new_size);
}

apr_status_t pfz__shm_remap(pfz__shm_t *shm)
{
    apr_uint64_t size = 0;
    apr_status_t st;

    if (shm == NULL || shm->file == NULL)
        return APR_EINVAL;
    if ((st = file_size(shm->file, &size)) != APR_SUCCESS)
        return st;
    if (size == 0 || size > (apr_uint64_t)(apr_size_t)-1)
        return APR_EINVAL;
    if ((apr_size_t)size == shm->size && shm->base != NULL)
        return APR_SUCCESS;
    return remap_to(shm, (apr_size_t)size);
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
    unmap(shm);
    if (shm->file != NULL) {
        /* Delete-on-close: the file goes when the last handle (ours, and a
         * worker's) is closed. */
        CloseHandle(shm->file);
        shm->file = NULL;
    }
}
