/* common.h -- internal definitions shared by every file of src/common:
 * error codes, logging, small helpers. Never installed. */
#ifndef PFZ_COMMON_H
#define PFZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <apr.h>
#include <apr_errno.h>
#include <apr_pools.h>

#include "portfuzz.h"

#if defined(_MSC_VER) && !defined(__clang__)
#define PFZ_NOINLINE __declspec(noinline)
#define PFZ_ALWAYS_INLINE __forceinline
#else
#define PFZ_NOINLINE __attribute__((noinline))
#define PFZ_ALWAYS_INLINE inline __attribute__((always_inline))
#endif

/* The engine's functions that sit on the stack between main and the fuzz
 * target (the worker's call loop, single-input mode, the call itself) are
 * named, in the symbol table, in libFuzzer's namespace:
 * PFZ_ENGINE_FRAME("run_value", "_ZN6fuzzer8portfuzz9run_valueEv") makes
 * stack traces say fuzzer::portfuzz::run_value(). Stack analyzers that skip
 * libFuzzer's own frames (ClusterFuzz's crash state ignores ^fuzzer::) then
 * skip ours too, so a bug found by portfuzz gets the crash state, and the
 * de-duplication key, that the same bug found by libFuzzer gets -- also in
 * a sanitizer's report, which prints every frame. They are never inlined
 * (an inlined frame would be shown under its C name). ELF with GCC or clang;
 * clang also writes the name into the debug info, which symbolizers prefer,
 * while GCC's debug info keeps the C name. Elsewhere: noinline only. */
#if defined(__ELF__) && (defined(__GNUC__) || defined(__clang__))
#define PFZ_ENGINE_FRAME(cname, mangled) __asm__(mangled)
#else
#define PFZ_ENGINE_FRAME(cname, mangled)
#endif

/* Our status codes, above APR's user range. */
#define PFZ_ESHMCLOSED  (APR_OS_START_USERERR + 1) /* the worker was cleaned up: interrupted, never a finding */
#define PFZ_EWORKERDIED (APR_OS_START_USERERR + 2) /* the worker process ended during a call */
#define PFZ_EPROTO      (APR_OS_START_USERERR + 3) /* malformed RPC frame */
#define PFZ_EUSAGE      (APR_OS_START_USERERR + 4) /* bad command line */
#define PFZ_EFORMAT     (APR_OS_START_USERERR + 5) /* malformed file (dictionary, control file) */
#define PFZ_ETOOBIG     (APR_OS_START_USERERR + 6) /* a length over a limit */

/** Message for an APR or PFZ status; `buf` receives it. */
const char *pfz__strerror(apr_status_t st, char *buf, apr_size_t len);

/* Exit codes (libFuzzer's). */
#define PFZ_EXIT_OK 0
#define PFZ_EXIT_USAGE 1
#define PFZ_EXIT_TIMEOUT 70
#define PFZ_EXIT_OOM 71
#define PFZ_EXIT_INTERRUPTED 72
#define PFZ_EXIT_CRASH 77

/* Logging to stderr, one whole line per call (safe from several threads). */
void pfz__log(const char *fmt, ...)
#if defined(__MINGW32__)
    __attribute__((format(__MINGW_PRINTF_FORMAT, 1, 2))) /* C99 stdio, not msvcrt's */
#elif defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#define PFZ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PFZ_MIN(a, b) ((a) < (b) ? (a) : (b))
#define PFZ_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Little-endian fixed-width encoding, independent of the host's byte order. */
static inline void pfz__put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t pfz__get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void pfz__put_u64(uint8_t *p, uint64_t v)
{
    pfz__put_u32(p, (uint32_t)v); pfz__put_u32(p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t pfz__get_u64(const uint8_t *p)
{
    return (uint64_t)pfz__get_u32(p) | (uint64_t)pfz__get_u32(p + 4) << 32;
}

/* Fast non-cryptographic PRNG (xorshift64*), one per thread/worker; never 0. */
typedef struct pfz__rng { uint64_t s; } pfz__rng_t;
static inline void pfz__rng_seed(pfz__rng_t *r, uint64_t seed)
{
    r->s = seed ? seed : 0x9E3779B97F4A7C15ull;
}
static inline uint64_t pfz__rng_next(pfz__rng_t *r)
{
    uint64_t x = r->s;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}
/** Uniform in [0, n) (0 when n is 0). Multiply-high instead of a division
 * for n < 2^32 (every size here): the division was a quarter of an execution
 * on fast targets. */
static inline uint64_t pfz__rng_below(pfz__rng_t *r, uint64_t n)
{
    if (n <= 0xffffffffu)
        return ((pfz__rng_next(r) >> 32) * n) >> 32;
    return pfz__rng_next(r) % n;
}

#endif /* PFZ_COMMON_H */
