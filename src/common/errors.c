/* errors.c -- pfz__strerror and pfz__log. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "common.h"
#include "platform.h"

const char *pfz__strerror(apr_status_t st, char *buf, apr_size_t len)
{
    const char *msg = NULL;
    size_t n;

    switch (st) {
    case PFZ_ESHMCLOSED: msg = "shared memory closed (the worker was cleaned up; call interrupted)"; break;
    case PFZ_EWORKERDIED: msg = "the worker process ended during the call"; break;
    case PFZ_EPROTO: msg = "malformed RPC frame"; break;
    case PFZ_EUSAGE: msg = "bad command line"; break;
    case PFZ_EFORMAT: msg = "malformed file"; break;
    case PFZ_ETOOBIG: msg = "size over the limit"; break;
    default: break;
    }
    if (msg != NULL) {
        apr_cpystrn(buf, msg, len);
        return buf;
    }
    apr_strerror(st, buf, len);
    /* Windows' texts (FormatMessage) end with a line break, which APR keeps. */
    for (n = strlen(buf); n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ');)
        buf[--n] = '\0';
#ifdef _WIN32
    /* A Win32 error's text alone ("Internal error.") is hard to look up. */
    if (st >= APR_OS_START_SYSERR && n + 24 < len) {
        char text[256];

        apr_cpystrn(text, buf, sizeof text);
        apr_snprintf(buf, len, "Win32 error %lu: %s", (unsigned long)APR_TO_OS_ERROR(st), text);
    }
#endif
    return buf;
}

/* One formatted write per line: stderr is unbuffered, so a single fwrite of a
 * whole line keeps lines from several threads from interleaving. */
void pfz__log(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = (int)(sizeof line - 2);
    if (n == 0 || line[n - 1] != '\n')
        line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
    fflush(stderr);
}
