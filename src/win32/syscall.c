/* syscall.c -- the Win32 calls of the Windows layer that can fail in ways a
 * test must be able to provoke (a refused CreateProcess, no room for a
 * mapping), routed through one table as SQLite's os_win.c routes them
 * through aSyscall[]. Production code never changes the table; tests swap
 * entries with pfz__syscall_set. */
#ifndef _WIN32
#error "src/win32 is the Win32 layer; the build picked the wrong platform"
#endif

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "win32.h"

#include <string.h>

static const pfz__win32_sys_t real_sys = {CreateProcessW, CreateFileMappingW, MapViewOfFile};

pfz__win32_sys_t pfz__win32_sys = {CreateProcessW, CreateFileMappingW, MapViewOfFile};

apr_status_t pfz__syscall_set(const char *name, pfz__syscall_fn fn)
{
    if (strcmp(name, "CreateProcessW") == 0) {
        pfz__win32_sys.CreateProcessW =
            fn != NULL ? (pfz__create_process_fn)fn : real_sys.CreateProcessW;
        return APR_SUCCESS;
    }
    if (strcmp(name, "CreateFileMappingW") == 0) {
        pfz__win32_sys.CreateFileMappingW =
            fn != NULL ? (pfz__create_mapping_fn)fn : real_sys.CreateFileMappingW;
        return APR_SUCCESS;
    }
    if (strcmp(name, "MapViewOfFile") == 0) {
        pfz__win32_sys.MapViewOfFile = fn != NULL ? (pfz__map_view_fn)fn : real_sys.MapViewOfFile;
        return APR_SUCCESS;
    }
    return APR_NOTFOUND;
}
