/* coverage.h -- the SanitizerCoverage runtime and the feature set.
 *
 * coverage.c implements the callbacks that clang, gcc and MSVC emit
 * (__sanitizer_cov_8bit_counters_init, __sanitizer_cov_trace_pc_guard*,
 * __sanitizer_cov_trace_pc, __sanitizer_cov_trace_cmp*, ...) and turns what
 * they record into features: small integers in [0, PFZ__FEATURE_SPACE). A
 * feature is "edge E was hit within hit-count bucket B" (or a value-profile
 * feature). Nothing here depends on PC tables (MSVC emits none).
 * Process-global state; used by the worker's fuzzing thread only.
 */
#ifndef PFZ_COVERAGE_H
#define PFZ_COVERAGE_H

#include "common.h"

#define PFZ__FEATURE_BITS 24
#define PFZ__FEATURE_SPACE (1u << PFZ__FEATURE_BITS)

/** A set of features (a bitmap over the feature space) plus its size. */
typedef struct pfz__featset {
    uint64_t *bits;
    size_t count;
} pfz__featset_t;

apr_status_t pfz__featset_init(pfz__featset_t *fs); /* allocates (malloc), empty */
void pfz__featset_free(pfz__featset_t *fs);
static inline int pfz__featset_has(const pfz__featset_t *fs, uint32_t f)
{
    return (int)((fs->bits[(f % PFZ__FEATURE_SPACE) >> 6] >> (f & 63)) & 1u);
}
/** Adds f; returns 1 if it was not there. */
int pfz__featset_add(pfz__featset_t *fs, uint32_t f);

/** The edge feature f counts hits of (its counter or trace-pc slot, below
 * PFZ__FEATURE_SPACE / 8) in *edge, and 1; 0 for a value-profile feature,
 * which belongs to no edge. */
int pfz__feature_edge(uint32_t f, uint32_t *edge);

/** Called once per process after instrumented modules registered themselves
 * (i.e. from the engine, not from a constructor). */
void pfz__cov_init(void);
/** Number of coverage counters / guards registered (0 = no instrumentation;
 * for gcc's trace-pc, the size of the edge map once any PC was seen). */
size_t pfz__cov_counters(void);
/** 1 if any instrumentation callback was registered or has fired. */
int pfz__cov_instrumented(void);
/** Prints libFuzzer's start-up lines about the instrumented modules:
 * "INFO: Loaded N modules   (N inline 8-bit counters): N [0x.., 0x..), ..."
 * and "INFO: Loaded N PC tables (N PCs): N [0x..,0x..), ..." (when any). */
void pfz__cov_print_modules(void);
/** Enables value-profile features from comparisons (-use_value_profile=1). */
void pfz__cov_set_value_profile(int on);

/** Brackets each call of the target (1 before, 0 after). Once called, the
 * sanitizers' memcmp/strcmp hooks record only while the target runs, so the
 * engine's own compares (ASan intercepts them too) stay out of the table of
 * recent comparisons. Never called, or -1: everything is recorded. */
void pfz__cov_set_running(int on);

/** The span of addresses holding the coverage callbacks the instrumented
 * code calls (lowest entry point to the highest one plus room for its body):
 * a stack sampled there is the engine's, not the target's (watchdog stack
 * requests; see pfz__stack_skip_range). */
void pfz__cov_callback_span(uintptr_t *lo, uintptr_t *hi);

/** Clears everything recorded by the last execution (counters, maps). */
void pfz__cov_reset(void);

/** After an execution: stores into out[0..max) the features of that execution
 * that are not in `known` (all of them when known is NULL), sorted ascending and
 * unique, and returns how many there are (may exceed max; only max stored).
 * With `reset` set, also clears the counters in the same pass (the hot path). */
size_t pfz__cov_collect(const pfz__featset_t *known, uint32_t *out, size_t max, int reset);

/** Before pfz__cov_collect (which clears): 1 if the last execution produced
 * every one of the n features in f (same edges, same hit-count buckets), 0 as
 * soon as one is missing. Costs O(n log regions), stops at the first miss:
 * cheap enough to ask after every execution that could replace a corpus entry.
 * Features of folded counters (programs over two million edges) are never
 * confirmed (0). */
int pfz__cov_has_all(const uint32_t *f, size_t n);

#endif /* PFZ_COVERAGE_H */
