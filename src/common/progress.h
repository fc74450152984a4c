/* progress.h -- progress lines for long work (merge, crash minimization,
 * reading and running a large corpus). All platforms.
 *
 * One line every few seconds, never on an execution's path: the caller asks
 * pfz__progress_due() with a clock reading it already has (the coordinator's
 * loop, the merge loop, the watchdog's tick). The lines are plain text, no
 * terminal control codes, and prefixed "INFO: portfuzz: " so that no runner
 * that parses libFuzzer's output (ClusterFuzz reads "#N\t...", "MERGE-OUTER:",
 * "stat::") takes them for libFuzzer's own:
 *   INFO: portfuzz: merge: 1200/3000 inputs (40%) rate: 400/s elapsed: 3.0s left: ~4.5s
 * The interval is 3 s; PORTFUZZ_PROGRESS_MS=N sets it (tests use it). */
#ifndef PFZ_PROGRESS_H
#define PFZ_PROGRESS_H

#include "common.h"

#define PFZ__PROGRESS_ENV "PORTFUZZ_PROGRESS_MS"

typedef struct pfz__progress {
    const char *what;  /* "merge", "reading the corpus", ... (static or pool string) */
    const char *unit;  /* "inputs", "files", "execs" */
    uint64_t total;    /* 0: unknown (no percentage, no time left) */
    uint64_t start_us; /* when the work began */
    uint64_t last_us;  /* the last line (or the start) */
    uint64_t interval_us;
    uint64_t base; /* done at start_us (work resumed from an earlier run) */
} pfz__progress_t;

/** Starts measuring: `done0` of `total` units are already done (a resumed
 * merge). The first line is due one interval from now. */
void pfz__progress_init(pfz__progress_t *p, const char *what, const char *unit, uint64_t done0,
                        uint64_t total, uint64_t now_us);

/** 1 when a line is due at now_us (the caller then calls pfz__progress_line). */
int pfz__progress_due(const pfz__progress_t *p, uint64_t now_us);

/** Prints one line for `done` units done (`extra`, if not NULL, is appended
 * after a space) and restarts the interval. */
void pfz__progress_line(pfz__progress_t *p, uint64_t done, const char *extra, uint64_t now_us);

/** Formats the line pfz__progress_line prints (without the newline). */
void pfz__progress_format(char *buf, size_t len, const pfz__progress_t *p, uint64_t done,
                          const char *extra, uint64_t now_us);

#endif
