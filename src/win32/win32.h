/* win32.h -- what the files of src/win32 share with each other (Win32 only).
 *
 * Never included from src/common: everything the common layer may use is in
 * platform.h. This header fixes the include order of the Windows headers
 * (winsock2.h before windows.h; both before APR, whose apr.h would otherwise
 * include a restricted windows.h with NOUSER), and exposes what proc.c needs
 * from shm.c (the backing file's handle, to hand it to a worker) and what
 * shm.c needs from proc.c (the handles a worker inherited).
 */
#ifndef PFZ_WIN32_H
#define PFZ_WIN32_H

#ifndef _WIN32
#error "src/win32 is the Win32 layer; the build picked the wrong platform"
#endif

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include "platform.h"

/* The three handles of PORTFUZZ_WORKER_HANDLES, in order. */
#define PFZ__WIN32_H_CALLS 0
#define PFZ__WIN32_H_REPLIES 1
#define PFZ__WIN32_H_SHM 2

/** The region's backing file handle (never inheritable), or NULL after close. */
HANDLE pfz__shm_file_handle(const pfz__shm_t *shm);

/** Parses "<calls>,<replies>,<mem>" (hexadecimal handle values without 0x,
 * nothing else) into h[3]. APR_EINVAL on anything malformed. */
apr_status_t pfz__win32_parse_handles(const char *value, HANDLE h[3]);

/** Worker: the handles of PORTFUZZ_WORKER_HANDLES (parsed once). Fails with a
 * message on stderr when the variable is missing or malformed. */
apr_status_t pfz__win32_worker_handles(HANDLE h[3]);

/* The Win32 calls that tests can make fail (syscall.c, pfz__syscall_set).
 * Call them through this table, never directly. */
typedef BOOL(WINAPI *pfz__create_process_fn)(LPCWSTR, LPWSTR, LPSECURITY_ATTRIBUTES,
                                             LPSECURITY_ATTRIBUTES, BOOL, DWORD, LPVOID, LPCWSTR,
                                             LPSTARTUPINFOW, LPPROCESS_INFORMATION);
typedef HANDLE(WINAPI *pfz__create_mapping_fn)(HANDLE, LPSECURITY_ATTRIBUTES, DWORD, DWORD, DWORD,
                                               LPCWSTR);
typedef LPVOID(WINAPI *pfz__map_view_fn)(HANDLE, DWORD, DWORD, DWORD, SIZE_T);
typedef struct pfz__win32_sys {
    pfz__create_process_fn CreateProcessW;
    pfz__create_mapping_fn CreateFileMappingW;
    pfz__map_view_fn MapViewOfFile;
} pfz__win32_sys_t;

extern pfz__win32_sys_t pfz__win32_sys;

/** UTF-8 <-> UTF-16 with pool allocation; NULL on invalid input. */
wchar_t *pfz__win32_wide(const char *utf8, apr_pool_t *pool);
char *pfz__win32_utf8(const wchar_t *wide, apr_pool_t *pool);

#endif /* PFZ_WIN32_H */
