/* rawline.h -- one line of text built in a caller's buffer and written to
 * stderr in one write, for code that may run where nothing else may: a
 * deadly-signal handler, an exception filter, a thread that has suspended the
 * target (whose heap or stdio locks may be held or corrupt). No allocation,
 * no locale, no stdio; async-signal-safe on POSIX.
 *
 * Appends never overflow: what does not fit is cut, one byte always stays
 * free for the '\n' that pfz__rl_flush adds.
 */
#ifndef PFZ_RAWLINE_H
#define PFZ_RAWLINE_H

#include <apr.h>
#include <stddef.h>

typedef struct pfz__rawline {
    char *s;
    size_t cap, n;
} pfz__rawline_t;

/** Starts an empty line in buf (cap >= 2). */
void pfz__rl_init(pfz__rawline_t *b, char *buf, size_t cap);
void pfz__rl_char(pfz__rawline_t *b, char c);
void pfz__rl_str(pfz__rawline_t *b, const char *s);
/** "0x" and lower-case hex digits, at least min_digits of them. */
void pfz__rl_hex(pfz__rawline_t *b, apr_uint64_t v, int min_digits);
void pfz__rl_dec(pfz__rawline_t *b, apr_uint64_t v);
/** libFuzzer's "==PID== " prefix, with this process's pid. */
void pfz__rl_pid_banner(pfz__rawline_t *b);
/** Adds '\n', writes the line with pfz__raw_stderr and empties it. */
void pfz__rl_flush(pfz__rawline_t *b);

/** "portfuzz: WHAT\n" to stderr in one write (so lines of several threads or
 * processes do not mix), for the platform layer's worker-side set-up errors;
 * a long WHAT is cut. */
void pfz__complain(const char *what);

#endif
