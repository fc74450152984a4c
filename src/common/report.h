/* report.h -- libFuzzer's finding reports, byte for byte where ClusterFuzz
 * and other tools parse them, and the guards around each call of the fuzz
 * target that produce some of them (exit(), the malloc limit, a target that
 * writes into its input).
 *
 * The report lines (libFuzzer's wording, PID = the process that ran the
 * input):
 *   ==PID== ERROR: libFuzzer: deadly signal                   (src/posix/crash.c)
 *   ==PID== ERROR: libFuzzer: timeout after N seconds
 *   ==PID== ERROR: libFuzzer: out-of-memory (used: NMb; exceeds: NMb)
 *   ==PID== ERROR: libFuzzer: out-of-memory (malloc(N))
 *   ==PID== ERROR: libFuzzer: fuzz target exited
 *   ==PID== ERROR: libFuzzer: fuzz target overwrites its const input
 * each followed by the stack (where there is one) and
 *   SUMMARY: libFuzzer: <deadly signal|timeout|out-of-memory|fuzz target exited|
 *                        overwrites-const-input>
 * Leaks are LeakSanitizer's own report. portfuzz's detail (which worker, its
 * exit) goes on lines of their own that start with "INFO: portfuzz:".
 */
#ifndef PFZ_REPORT_H
#define PFZ_REPORT_H

#include "common.h"
#include "portfuzz.h"

/** Formats one report (printf-style) and writes it to stderr without stdio's
 * lock: a watchdog thread may report while the target's thread holds it. */
void pfz__report(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

void pfz__report_timeout(long pid, int64_t seconds);
void pfz__report_oom_rss(long pid, uint64_t used_mb, int64_t limit_mb);
void pfz__report_oom_malloc(long pid, uint64_t size);
void pfz__report_exited(long pid);
void pfz__report_const_input(long pid);
/** "SUMMARY: libFuzzer: <what>" */
void pfz__report_summary(const char *what);

/** Set-up of the guards, once per process that runs the target (a worker, or
 * reproduction): a target that calls exit() is reported ("fuzz target
 * exited") and the process ends with error_exitcode; with a sanitizer's
 * allocation hooks, one malloc of malloc_limit_mb or more (0: no limit) is
 * reported and the process ends with oom_exitcode. */
void pfz__guards_init(int error_exitcode, int oom_exitcode, int64_t malloc_limit_mb);

/** Runs the target on `data` (the private copy), with the guards armed.
 * Returns what the target returned (-1: "do not add this input to the
 * corpus"). Not inlined: its caller's return address tells the stack
 * printers where the engine's frames begin (pfz__stack_set_bottom). */
int pfz__call_target(pfz_target_fn fn, const uint8_t *data, size_t size)
    PFZ_ENGINE_FRAME("pfz__call_target", "_ZN6fuzzer8portfuzz11call_targetEv");

/** 1 when the target changed its input: `copy` (what it got) differs from
 * `orig`, comparing at most the first and last 32 bytes, as libFuzzer does
 * (cheap enough for every execution). */
int pfz__input_overwritten(const uint8_t *orig, const uint8_t *copy, size_t size);

/** Reports "fuzz target overwrites its const input" and ends the process
 * with the guards' error_exitcode. */
void pfz__report_overwritten_and_exit(void);

#endif
