/* coverage.c -- the SanitizerCoverage runtime: the callbacks clang, gcc and
 * MSVC emit, turned into features, plus the table of recent comparisons (see
 * cmp.h) and the feature set. All platforms (compiler #if only).
 *
 * Where the data comes from:
 *  - clang/MSVC inline-8bit-counters: every instrumented module (the
 *    executable, each shared library or DLL) calls
 *    __sanitizer_cov_8bit_counters_init from a constructor, possibly before
 *    main, so modules are kept in a fixed static array (no malloc).
 *  - clang trace-pc-guard: guards get indices into a static counter array,
 *    which is registered like one more module.
 *  - gcc trace-pc: gcc passes no guard, just calls us; the caller PC is hashed
 *    with the previous one (AFL-style prev>>1 ^ cur) into a 64K 8-bit map, which
 *    gives edge-like features although gcc instruments blocks, not edges.
 *  - trace-cmp / switch / div / gep: operands go to the TORC for the mutator,
 *    and with -use_value_profile=1 a (caller PC, distance of the operands)
 *    hash sets a bit in the value-profile map.
 *  - clang inline-bool-flag: one byte flag per edge, registered like counters.
 *  - everything else clang can emit (stack-depth's __sancov_lowest_stack,
 *    trace-loads/stores, control-flow tables) is defined so that every
 *    -fsanitize-coverage= mode links without a sanitizer runtime, unused.
 *  - memcmp/strcmp/...: the sanitizers' interceptors (ASan, TSan, MSan) call
 *    the __sanitizer_weak_hook_* functions defined here; without a sanitizer,
 *    on POSIX, src/posix/intercept.c defines the libc functions in the fuzzer
 *    executable and calls the same hooks. Compares the compiler inlines (small
 *    memcmp, switch, integer compares) are traced by trace-cmp.
 *
 * Feature layout in [0, PFZ__FEATURE_SPACE):
 *   [0, PCMAP_BASE)            counter i, bucket b -> i*8 + b
 *   [PCMAP_BASE, VP_BASE)      gcc trace-pc map slot s, bucket b -> base + s*8 + b
 *   [VP_BASE, FEATURE_SPACE)   value-profile bit v -> base + v
 * Hit counts are bucketed like AFL/libFuzzer: 1, 2, 3, 4-7, 8-15, 16-31,
 * 32-127, 128+. Scanning regions in this order yields sorted features.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "cmp.h"

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#pragma intrinsic(_ReturnAddress)
#define PFZ_ABS_RETADDR() ((uintptr_t)_ReturnAddress())
#else
#define PFZ_ABS_RETADDR() ((uintptr_t)__builtin_return_address(0))
#endif

/* Return addresses are absolute, and with PIE + ASLR every process (every
 * worker, every restart) maps the code somewhere else. Features must mean the
 * same thing in every process, so PCs are taken relative to an anchor in the
 * same executable (this file is linked into it): the offset between the
 * target's code and ours is fixed at link time. */
#define PFZ_ANCHOR ((uintptr_t)&pfz__cov_reset)
#define PFZ_RETADDR() (PFZ_ABS_RETADDR() - PFZ_ANCHOR)

/* ------------------------------------------------------------ layout */

#define PCMAP_SIZE 65536u
#define VP_BITS_N 65536u
#define VP_BASE (PFZ__FEATURE_SPACE - VP_BITS_N)
#define PCMAP_BASE (VP_BASE - PCMAP_SIZE * 8u)
/* Counters beyond this index are folded onto lower ones (a program with over
 * two million edges); the output is then sorted explicitly. */
#define MAX_COUNTER_INDEX (PCMAP_BASE / 8u)

#define MAX_REGIONS 512
#define GUARD_CAPACITY (1u << 20)

typedef struct cov_region {
    uint8_t *start;
    size_t len;
    size_t first; /* global index of start[0] */
} cov_region_t;

static cov_region_t regions[MAX_REGIONS];
static size_t nregions;
static size_t ncounters;    /* sum of the regions' lengths */
static int counters_folded; /* some index >= MAX_COUNTER_INDEX */
static int pcs_seen;        /* a PC table was registered (recorded, unused) */
static const uintptr_t *pc_tables[MAX_REGIONS][2]; /* [begin, end) of each */
static size_t npc_tables;

static uint8_t guard_counters[GUARD_CAPACITY];
static size_t nguards;

static uint8_t pc_map[PCMAP_SIZE];
static uint32_t pc_prev;
static int pc_used;

static uint64_t vp_map[VP_BITS_N / 64];
static int vp_on;
/* -1: never told (record every libc compare); else 1 while the target runs.
 * Under ASan the memcmp/strcmp hooks fire for the engine's own calls too,
 * which must not pollute the table (libFuzzer's RunningUserCallback). */
static int target_running = -1;
static int vp_dirty;
static int cmp_fired;
/* Calls of each switch site (hashed) in the current execution, see
 * __sanitizer_cov_trace_switch; cleared with the counters. */
#define SWITCH_SITES 256
static uint8_t switch_calls[SWITCH_SITES];
static int switch_dirty;

pfz__torc_t pfz__torc;

/* Bucket of a non-zero hit count (index 0 is never used). */
#define R2(x) x, x
#define R4(x) R2(x), R2(x)
#define R8(x) R4(x), R4(x)
#define R16(x) R8(x), R8(x)
#define R32(x) R16(x), R16(x)
#define R64(x) R32(x), R32(x)
#define R128(x) R64(x), R64(x)
static const uint8_t bucket_of[256] = {
    0, 0, 1, 2,                   /* 0..3 */
    R4(3),                        /* 4..7 */
    R8(4),                        /* 8..15 */
    R16(5),                       /* 16..31 */
    R64(6), R32(6),               /* 32..127 */
    R128(7)                       /* 128..255 */
};

/* ---------------------------------------------------- registration */

static void add_region(uint8_t *start, size_t len)
{
    if (len == 0 || nregions >= MAX_REGIONS)
        return;
    regions[nregions].start = start;
    regions[nregions].len = len;
    regions[nregions].first = ncounters;
    nregions++;
    ncounters += len;
    if (ncounters > MAX_COUNTER_INDEX)
        counters_folded = 1;
}

void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);
void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop)
{
    size_t i;
    if (start == NULL || stop <= start)
        return;
    for (i = 0; i < nregions; i++) /* a module may register twice */
        if (regions[i].start == start)
            return;
    add_region(start, (size_t)(stop - start));
}

void __sanitizer_cov_pcs_init(const uintptr_t *beg, const uintptr_t *end);
void __sanitizer_cov_pcs_init(const uintptr_t *beg, const uintptr_t *end)
{
    /* Nothing depends on PC tables (MSVC emits none); they are noted for
     * the start-up lines only (pfz__cov_print_modules). */
    if (beg != end)
        pcs_seen = 1;
    if (beg < end && npc_tables < MAX_REGIONS) {
        pc_tables[npc_tables][0] = beg;
        pc_tables[npc_tables][1] = end;
        npc_tables++;
    }
}

void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop)
{
    size_t n, i, first;
    if (start == NULL || start == stop || *start != 0)
        return; /* empty, or already initialised */
    n = (size_t)(stop - start);
    first = nguards;
    for (i = 0; i < n; i++) /* 0 means "no counter"; wrap when over capacity */
        start[i] = (uint32_t)((first + i) % GUARD_CAPACITY) + 1u;
    nguards += n;
    if (first < GUARD_CAPACITY)
        add_region(guard_counters + first, PFZ_MIN(n, GUARD_CAPACITY - first));
}

void __sanitizer_cov_trace_pc_guard(uint32_t *guard);
void __sanitizer_cov_trace_pc_guard(uint32_t *guard)
{
    uint32_t g = *guard;
    if (g)
        guard_counters[g - 1]++;
}

void __sanitizer_cov_trace_pc(void);
void __sanitizer_cov_trace_pc(void)
{
    uint32_t cur = (uint32_t)(((uint64_t)PFZ_RETADDR() * 0x9E3779B97F4A7C15ull) >> 48);
    pc_map[(cur ^ pc_prev) & (PCMAP_SIZE - 1)]++;
    pc_prev = cur >> 1;
    pc_used = 1;
}

void __sanitizer_cov_trace_pc_indir(uintptr_t callee);
void __sanitizer_cov_trace_pc_indir(uintptr_t callee)
{
    (void)callee;
}

/* inline-bool-flag: one byte per edge that the instrumented code sets to 1
 * (never counts), so the flags are one more counter region whose only bucket
 * is "hit once". bool * in clang's declaration; the same bytes. */
void __sanitizer_cov_bool_flag_init(uint8_t *start, uint8_t *stop);
void __sanitizer_cov_bool_flag_init(uint8_t *start, uint8_t *stop)
{
    __sanitizer_cov_8bit_counters_init(start, stop);
}

/* control-flow (clang 16 and later): a table of each function's successors
 * and callees, like the PC table; nothing depends on it. */
void __sanitizer_cov_cfs_init(const uintptr_t *beg, const uintptr_t *end);
void __sanitizer_cov_cfs_init(const uintptr_t *beg, const uintptr_t *end)
{
    (void)beg;
    (void)end;
}

/* ------------------------------------------------------ stack depth
 *
 * stack-depth (part of -fsanitize=fuzzer-no-link on Linux) makes every
 * instrumented function compare its frame address with this thread-local
 * variable and store the lower one. clang declares it `extern __thread
 * uintptr_t` with the initial-exec TLS model, so it must be defined in the
 * executable or in a library loaded at start-up: this archive is linked into
 * the executable. The sanitizer runtimes (ASan, UBSan, ...) define it weak;
 * this definition is strong, so a link with or without a sanitizer has exactly
 * one. It stays 0: portfuzz takes no feature from stack depth, and with 0 the
 * instrumented code's `frame < lowest` test never stores. With a stack-depth
 * callback threshold (clang 20's -fsanitize-coverage-stack-depth-callback-min)
 * the instrumentation calls __sanitizer_cov_stack_depth instead.
 * Not defined for MSVC/clang-cl: clang enables stack-depth only on Linux, MSVC
 * has no such mode, and the static Windows ASan runtime defines it (without a
 * weak attribute, which COFF lacks): a second definition would not link. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(_MSC_VER)
extern __thread uintptr_t __sancov_lowest_stack __attribute__((tls_model("initial-exec")));
__thread uintptr_t __sancov_lowest_stack __attribute__((tls_model("initial-exec")));
#endif

void __sanitizer_cov_stack_depth(void);
void __sanitizer_cov_stack_depth(void)
{
}

/* trace-loads / trace-stores (clang 14 and later): the address of every load
 * and store of 1, 2, 4, 8 or 16 bytes. Data-flow tracing is not used; the
 * callbacks exist so such builds link. */
#define PFZ_MEM_CALLBACK(name, type) \
    void name(type *addr);           \
    void name(type *addr)            \
    {                                \
        (void)addr;                  \
    }
PFZ_MEM_CALLBACK(__sanitizer_cov_load1, uint8_t)
PFZ_MEM_CALLBACK(__sanitizer_cov_load2, uint16_t)
PFZ_MEM_CALLBACK(__sanitizer_cov_load4, uint32_t)
PFZ_MEM_CALLBACK(__sanitizer_cov_load8, uint64_t)
PFZ_MEM_CALLBACK(__sanitizer_cov_load16, void) /* __int128 * */
PFZ_MEM_CALLBACK(__sanitizer_cov_store1, uint8_t)
PFZ_MEM_CALLBACK(__sanitizer_cov_store2, uint16_t)
PFZ_MEM_CALLBACK(__sanitizer_cov_store4, uint32_t)
PFZ_MEM_CALLBACK(__sanitizer_cov_store8, uint64_t)
PFZ_MEM_CALLBACK(__sanitizer_cov_store16, void)

/* -------------------------------------------------- value profile */

static inline unsigned popcount64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_popcountll(x);
#else
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
#endif
}

static inline unsigned clz64(uint64_t x) /* x != 0 */
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_clzll(x);
#else
    unsigned n = 0;
    while (!(x & 0x8000000000000000ull)) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

static inline void vp_set(uint64_t v)
{
    uint32_t bit = (uint32_t)(v % VP_BITS_N);
    vp_map[bit >> 6] |= (uint64_t)1 << (bit & 63);
    vp_dirty = 1;
}

/* Two features per comparison site, like libFuzzer's -use_value_profile:
 * the Hamming distance of the operands and the magnitude of their difference.
 * Getting closer to equality in either sense is new coverage. */
static void vp_cmp(uintptr_t pc, uint64_t a, uint64_t b)
{
    uint64_t site = ((uint64_t)pc * 0x9E3779B97F4A7C15ull) >> 32;
    unsigned hd = popcount64(a ^ b);
    unsigned ad = a == b ? 0 : clz64(a - b) + 1;
    vp_set(site * 128 + hd);
    vp_set(site * 128 + 64 + ad);
}

static void vp_value(uintptr_t pc, uint64_t v)
{
    uint64_t site = ((uint64_t)pc * 0x9E3779B97F4A7C15ull) >> 32;
    vp_set(site * 128 + popcount64(v));
}

/* ------------------------------------------------------------ TORC */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

void pfz__cmp_record_int(uint64_t a, uint64_t b, unsigned width)
{
    pfz__cmp_int_t *e;
    if (a == b)
        return; /* already equal: nothing to learn */
    /* One multiply (Fibonacci hashing, the high bits): this runs for every
     * comparison the target makes, a tenth of some targets' time. */
    e = &pfz__torc.ints[(((a * 31 + b + width) * 0x9E3779B97F4A7C15ull) >> 40) %
                        PFZ__TORC_INT_SIZE];
    e->a = a;
    e->b = b;
    e->width = (uint8_t)width;
    pfz__torc.nints++;
    if (width >= 4) {
        pfz__torc.last_a = a;
        pfz__torc.last_b = b;
        pfz__torc.last_width = width;
        pfz__torc.nwide++;
    }
}

void pfz__cmp_record_mem(const void *a, size_t alen, const void *b, size_t blen)
{
    const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
    uint64_t h = 0;
    size_t i;
    pfz__cmp_mem_t *e;
    if (alen > PFZ__TORC_MEM_MAX)
        alen = PFZ__TORC_MEM_MAX;
    if (blen > PFZ__TORC_MEM_MAX)
        blen = PFZ__TORC_MEM_MAX;
    if (alen < 2 && blen < 2)
        return;
    for (i = 0; i < alen && i < 16; i++)
        h = h * 131 + pa[i];
    for (i = 0; i < blen && i < 16; i++)
        h = h * 137 + pb[i];
    e = &pfz__torc.mems[mix64(h + alen * 7 + blen) % PFZ__TORC_MEM_SIZE];
    if (alen)
        memcpy(e->a, pa, alen);
    if (blen)
        memcpy(e->b, pb, blen);
    e->alen = (uint8_t)alen;
    e->blen = (uint8_t)blen;
    pfz__torc.nmems++;
}

void pfz__cmp_clear(void)
{
    memset(&pfz__torc, 0, sizeof(pfz__torc));
}

/* The comparison callbacks. Kept tiny: they run inside the target. */
#define PFZ_CMP_BODY(a, b, w)                                   \
    do {                                                        \
        pfz__cmp_record_int((uint64_t)(a), (uint64_t)(b), (w)); \
        if (vp_on)                                              \
            vp_cmp(PFZ_RETADDR(), (uint64_t)(a), (uint64_t)(b)); \
        cmp_fired = 1;                                          \
    } while (0)

void __sanitizer_cov_trace_cmp1(uint8_t a, uint8_t b);
void __sanitizer_cov_trace_cmp1(uint8_t a, uint8_t b) { PFZ_CMP_BODY(a, b, 1); }
void __sanitizer_cov_trace_cmp2(uint16_t a, uint16_t b);
void __sanitizer_cov_trace_cmp2(uint16_t a, uint16_t b) { PFZ_CMP_BODY(a, b, 2); }
void __sanitizer_cov_trace_cmp4(uint32_t a, uint32_t b);
void __sanitizer_cov_trace_cmp4(uint32_t a, uint32_t b) { PFZ_CMP_BODY(a, b, 4); }
void __sanitizer_cov_trace_cmp8(uint64_t a, uint64_t b);
void __sanitizer_cov_trace_cmp8(uint64_t a, uint64_t b) { PFZ_CMP_BODY(a, b, 8); }
void __sanitizer_cov_trace_const_cmp1(uint8_t a, uint8_t b);
void __sanitizer_cov_trace_const_cmp1(uint8_t a, uint8_t b) { PFZ_CMP_BODY(a, b, 1); }
void __sanitizer_cov_trace_const_cmp2(uint16_t a, uint16_t b);
void __sanitizer_cov_trace_const_cmp2(uint16_t a, uint16_t b) { PFZ_CMP_BODY(a, b, 2); }
void __sanitizer_cov_trace_const_cmp4(uint32_t a, uint32_t b);
void __sanitizer_cov_trace_const_cmp4(uint32_t a, uint32_t b) { PFZ_CMP_BODY(a, b, 4); }
void __sanitizer_cov_trace_const_cmp8(uint64_t a, uint64_t b);
void __sanitizer_cov_trace_const_cmp8(uint64_t a, uint64_t b) { PFZ_CMP_BODY(a, b, 8); }

/* gcc emits these for float/double comparisons under trace-cmp. */
void __sanitizer_cov_trace_cmpf(float a, float b);
void __sanitizer_cov_trace_cmpf(float a, float b)
{
    (void)a;
    (void)b;
    cmp_fired = 1;
}
void __sanitizer_cov_trace_cmpd(double a, double b);
void __sanitizer_cov_trace_cmpd(double a, double b)
{
    (void)a;
    (void)b;
    cmp_fired = 1;
}

/* cases[0] = number of cases, cases[1] = width of val in bits, then the case
 * values. Only the cases nearest to val are worth a TORC slot each (a switch
 * over 200 tokens would otherwise flush the table on every execution), and
 * of a small switch (up to 8 cases) one more case in turn, so that over its
 * calls every case reaches the table.
 * clang sorts the case values (ascending, as uint64_t), so the nearest are
 * found by a binary search: a walk over every case of a parser's big switch,
 * per execution of it, was a fifth of sqlite3's time. An unsorted table (gcc
 * sorts signed switches as signed) still yields one case below and one above
 * val, only not necessarily the nearest: a mutation hint either way.
 * A switch that runs hundreds of times in one execution (re2's parser and
 * compiler switch over every character and instruction) records only on its
 * first 8 calls in the execution, then on every 32nd: recording each call was
 * 8-10% of re2's worker time, 20 times libFuzzer's, which skips switches of
 * small values altogether. */
void __sanitizer_cov_trace_switch(uint64_t val, void *cases);
void __sanitizer_cov_trace_switch(uint64_t val, void *cases_)
{
    static unsigned turn;
    /* void *: gcc's built-in declaration of this callback says so. */
    const uint64_t *cases = (const uint64_t *)cases_;
    const uint64_t *c = cases + 2;
    uint64_t n = cases[0], i, lo, hi;
    unsigned width = (unsigned)(cases[1] / 8);
    uint8_t *calls = &switch_calls[(((uintptr_t)cases >> 3) * 0x9E3779B97F4A7C15ull) >> 56];
    uint8_t k = (*calls)++;
    switch_dirty = 1;
    cmp_fired = 1;
    if (vp_on) {
        uintptr_t pc = PFZ_RETADDR();
        for (i = 0; i < n; i++)
            vp_cmp(pc + (uintptr_t)i, val, c[i]);
    }
    if (n == 0 || (k >= 8 && (k & 31) != 0))
        return;
    if (width != 1 && width != 2 && width != 4 && width != 8)
        width = 8;
    lo = 0; /* first i with c[i] >= val */
    hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (c[mid] < val)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && c[lo - 1] < val)
        pfz__cmp_record_int(c[lo - 1], val, width);
    if (n <= 8)
        pfz__cmp_record_int(c[turn++ % n], val, width);
    if (lo < n && c[lo] == val)
        lo++;
    if (lo < n && c[lo] > val)
        pfz__cmp_record_int(c[lo], val, width);
}

void __sanitizer_cov_trace_div4(uint32_t val);
void __sanitizer_cov_trace_div4(uint32_t val)
{
    if (vp_on)
        vp_value(PFZ_RETADDR(), val);
}
void __sanitizer_cov_trace_div8(uint64_t val);
void __sanitizer_cov_trace_div8(uint64_t val)
{
    if (vp_on)
        vp_value(PFZ_RETADDR(), val);
}
void __sanitizer_cov_trace_gep(uintptr_t idx);
void __sanitizer_cov_trace_gep(uintptr_t idx)
{
    if (vp_on)
        vp_value(PFZ_RETADDR(), idx);
}

/* ------------------------------------- sanitizer weak hooks (libc compares) */

void pfz__cov_set_running(int on)
{
    target_running = on < 0 ? -1 : on != 0;
}

#define HOOK_GATE()              \
    do {                         \
        if (target_running == 0) \
            return;              \
    } while (0)

static size_t bounded_strlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

/* For C strings the terminating NUL is part of what must match (strcmp("ab",
 * "abc") differs only there), so it is kept when it fits. */
static size_t cstr_operand_len(const char *s, size_t limit)
{
    size_t n = bounded_strlen(s, limit);
    return n < limit ? n + 1 : n;
}

void __sanitizer_weak_hook_memcmp(void *caller_pc, const void *s1, const void *s2, size_t n,
                                  int result);
void __sanitizer_weak_hook_memcmp(void *caller_pc, const void *s1, const void *s2, size_t n,
                                  int result)
{
    HOOK_GATE();
    (void)caller_pc;
    if (result == 0 || n < 2)
        return;
    pfz__cmp_record_mem(s1, n, s2, n);
}

void __sanitizer_weak_hook_strncmp(void *caller_pc, const char *s1, const char *s2, size_t n,
                                   int result);
void __sanitizer_weak_hook_strncmp(void *caller_pc, const char *s1, const char *s2, size_t n,
                                   int result)
{
    size_t lim = PFZ_MIN(n, (size_t)PFZ__TORC_MEM_MAX);
    HOOK_GATE();
    (void)caller_pc;
    if (result == 0)
        return;
    pfz__cmp_record_mem(s1, cstr_operand_len(s1, lim), s2, cstr_operand_len(s2, lim));
}

void __sanitizer_weak_hook_strcmp(void *caller_pc, const char *s1, const char *s2, int result);
void __sanitizer_weak_hook_strcmp(void *caller_pc, const char *s1, const char *s2, int result)
{
    HOOK_GATE();
    (void)caller_pc;
    if (result == 0)
        return;
    pfz__cmp_record_mem(s1, cstr_operand_len(s1, PFZ__TORC_MEM_MAX), s2,
                        cstr_operand_len(s2, PFZ__TORC_MEM_MAX));
}

void __sanitizer_weak_hook_strncasecmp(void *caller_pc, const char *s1, const char *s2,
                                       size_t n, int result);
void __sanitizer_weak_hook_strncasecmp(void *caller_pc, const char *s1, const char *s2,
                                       size_t n, int result)
{
    __sanitizer_weak_hook_strncmp(caller_pc, s1, s2, n, result);
}

void __sanitizer_weak_hook_strcasecmp(void *caller_pc, const char *s1, const char *s2,
                                      int result);
void __sanitizer_weak_hook_strcasecmp(void *caller_pc, const char *s1, const char *s2,
                                      int result)
{
    __sanitizer_weak_hook_strcmp(caller_pc, s1, s2, result);
}

/* For searches the haystack is not worth replacing: record the needle with
 * an empty "first side", which the mutator inserts somewhere. */
void __sanitizer_weak_hook_strstr(void *caller_pc, const char *s1, const char *s2, char *result);
void __sanitizer_weak_hook_strstr(void *caller_pc, const char *s1, const char *s2, char *result)
{
    HOOK_GATE();
    (void)caller_pc;
    (void)s1;
    if (result != NULL)
        return;
    pfz__cmp_record_mem(NULL, 0, s2, bounded_strlen(s2, PFZ__TORC_MEM_MAX));
}

void __sanitizer_weak_hook_strcasestr(void *caller_pc, const char *s1, const char *s2,
                                      char *result);
void __sanitizer_weak_hook_strcasestr(void *caller_pc, const char *s1, const char *s2,
                                      char *result)
{
    __sanitizer_weak_hook_strstr(caller_pc, s1, s2, result);
}

void __sanitizer_weak_hook_memmem(void *caller_pc, const void *s1, size_t len1, const void *s2,
                                  size_t len2, void *result);
void __sanitizer_weak_hook_memmem(void *caller_pc, const void *s1, size_t len1, const void *s2,
                                  size_t len2, void *result)
{
    HOOK_GATE();
    (void)caller_pc;
    (void)s1;
    (void)len1;
    if (result != NULL)
        return;
    pfz__cmp_record_mem(NULL, 0, s2, len2);
}

/* ------------------------------------------------------ feature set */

#define FEATSET_WORDS (PFZ__FEATURE_SPACE / 64)

apr_status_t pfz__featset_init(pfz__featset_t *fs)
{
    fs->count = 0;
    fs->bits = (uint64_t *)calloc(FEATSET_WORDS, sizeof(uint64_t));
    return fs->bits ? APR_SUCCESS : APR_ENOMEM;
}

void pfz__featset_free(pfz__featset_t *fs)
{
    free(fs->bits);
    fs->bits = NULL;
    fs->count = 0;
}

int pfz__feature_edge(uint32_t f, uint32_t *edge)
{
    f %= PFZ__FEATURE_SPACE;
    if (f >= VP_BASE)
        return 0;
    *edge = f >> 3;
    return 1;
}

int pfz__featset_add(pfz__featset_t *fs, uint32_t f)
{
    uint64_t *w, m;
    f %= PFZ__FEATURE_SPACE;
    w = &fs->bits[f >> 6];
    m = (uint64_t)1 << (f & 63);
    if (*w & m)
        return 0;
    *w |= m;
    fs->count++;
    return 1;
}

/* ------------------------------------------------------- collection */

void pfz__cov_init(void)
{
    pfz__cov_reset();
}

size_t pfz__cov_counters(void)
{
    return ncounters + (pc_used ? PCMAP_SIZE : 0);
}

int pfz__cov_instrumented(void)
{
    return nregions > 0 || pc_used || cmp_fired || pcs_seen;
}

void pfz__cov_set_value_profile(int on)
{
    vp_on = on != 0;
}

void pfz__cov_reset(void)
{
    size_t i;
    for (i = 0; i < nregions; i++)
        memset(regions[i].start, 0, regions[i].len);
    if (pc_used)
        memset(pc_map, 0, sizeof(pc_map));
    pc_prev = 0;
    if (vp_dirty)
        memset(vp_map, 0, sizeof(vp_map));
    vp_dirty = 0;
    if (switch_dirty)
        memset(switch_calls, 0, sizeof(switch_calls));
    switch_dirty = 0;
}

/* The counter of global index idx, or -1 when no region holds it. Regions are
 * appended with growing `first`, so a binary search finds the one. */
static int counter_at(size_t idx)
{
    size_t lo = 0, hi = nregions;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (regions[mid].first + regions[mid].len <= idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == nregions || idx < regions[lo].first)
        return -1;
    return regions[lo].start[idx - regions[lo].first];
}

int pfz__cov_has_all(const uint32_t *f, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t x = f[i] % PFZ__FEATURE_SPACE;
        int c;
        if (x >= VP_BASE) {
            uint32_t bit = x - VP_BASE;
            if (!((vp_map[bit >> 6] >> (bit & 63)) & 1u))
                return 0;
            continue;
        }
        if (x >= PCMAP_BASE)
            c = pc_map[(x - PCMAP_BASE) / 8u];
        else if (counters_folded)
            return 0;
        else
            c = counter_at(x / 8u);
        if (c <= 0 || bucket_of[c] != (x & 7u))
            return 0;
    }
    return 1;
}

/* Emits feature f unless known; the caller keeps n counting past max. */
#define EMIT(f)                                                          \
    do {                                                                 \
        uint32_t f_ = (f);                                               \
        if (kbits == NULL || !((kbits[f_ >> 6] >> (f_ & 63)) & 1u)) {    \
            if (n < max)                                                 \
                out[n] = f_;                                             \
            n++;                                                         \
        }                                                                \
    } while (0)

#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PFZ_BYTE_MASK 1
#endif

/* The features of one non-zero 8-byte word w of counters, p[i..i+8). With
 * GCC/clang on little-endian machines only its non-zero bytes are visited
 * (bit 7 of each byte of nz says "non-zero"; byte j is bits 8j..8j+7 of w);
 * elsewhere the 8 bytes are tested one by one. */
static PFZ_ALWAYS_INLINE size_t scan_word(uint64_t w, size_t idx0, uint32_t base, int fold,
                               const uint64_t *kbits, uint32_t *out, size_t max, size_t n)
{
#ifdef PFZ_BYTE_MASK
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t nz = (((w & low7) + low7) | w) & ~low7;
    while (nz) {
        unsigned sh = (unsigned)__builtin_ctzll(nz) & ~7u;
        size_t idx = idx0 + sh / 8u;
        nz &= nz - 1;
        if (fold)
            idx %= MAX_COUNTER_INDEX;
        EMIT(base + (uint32_t)idx * 8u + bucket_of[(uint8_t)(w >> sh)]);
    }
#else
    uint8_t b[8];
    size_t j;
    memcpy(b, &w, 8);
    for (j = 0; j < 8; j++) {
        if (b[j]) {
            size_t idx = idx0 + j;
            if (fold)
                idx %= MAX_COUNTER_INDEX;
            EMIT(base + (uint32_t)idx * 8u + bucket_of[b[j]]);
        }
    }
#endif
    return n;
}

/* Scans an 8-bit counter array: p[i] is feature base + (first+i)*8 + bucket.
 * 32 bytes at a time: all-zero blocks (the vast majority: tens of thousands of
 * counters, a few hundred hit) cost four loads, three ORs and one branch.
 * `fold` selects the modulo for oversized programs. */
static PFZ_ALWAYS_INLINE size_t scan_counters(uint8_t *p, size_t len, size_t first, uint32_t base,
                                   int fold, const uint64_t *kbits, uint32_t *out, size_t max,
                                   size_t n, int reset)
{
    size_t i = 0, k;
    for (; i + 32 <= len; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, 32);
        if ((w[0] | w[1] | w[2] | w[3]) == 0)
            continue;
        if (reset)
            memset(p + i, 0, 32);
        for (k = 0; k < 4; k++)
            if (w[k])
                n = scan_word(w[k], first + i + k * 8, base, fold, kbits, out, max, n);
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w == 0)
            continue;
        if (reset)
            memset(p + i, 0, 8);
        n = scan_word(w, first + i, base, fold, kbits, out, max, n);
    }
    for (; i < len; i++) {
        uint8_t c = p[i];
        if (c) {
            size_t idx = first + i;
            if (reset)
                p[i] = 0;
            if (fold)
                idx %= MAX_COUNTER_INDEX;
            EMIT(base + (uint32_t)idx * 8u + bucket_of[c]);
        }
    }
    return n;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

size_t pfz__cov_collect(const pfz__featset_t *known, uint32_t *out, size_t max, int reset)
{
    const uint64_t *kbits = known ? known->bits : NULL;
    size_t n = 0, r, w;

    for (r = 0; r < nregions; r++) {
        const cov_region_t *rg = &regions[r];
        if (rg->first + rg->len <= MAX_COUNTER_INDEX)
            n = scan_counters(rg->start, rg->len, rg->first, 0, 0, kbits, out, max, n, reset);
        else
            n = scan_counters(rg->start, rg->len, rg->first, 0, 1, kbits, out, max, n, reset);
    }
    if (pc_used) {
        n = scan_counters(pc_map, PCMAP_SIZE, 0, PCMAP_BASE, 0, kbits, out, max, n, reset);
        if (reset)
            pc_prev = 0;
    }
    if (vp_dirty) {
        for (w = 0; w < VP_BITS_N / 64; w++) {
            uint64_t x = vp_map[w];
            if (x == 0)
                continue;
            if (reset)
                vp_map[w] = 0;
            while (x) {
                unsigned bit = 63u - clz64(x & (~x + 1)); /* lowest set bit */
                x &= x - 1;
                EMIT(VP_BASE + (uint32_t)(w * 64 + bit));
            }
        }
        if (reset)
            vp_dirty = 0;
    }
    if (reset && switch_dirty) {
        memset(switch_calls, 0, sizeof(switch_calls));
        switch_dirty = 0;
    }
    if (counters_folded && n > 0) {
        /* Folded counters can repeat or come out of order: restore the
         * sorted-unique contract on what was stored. */
        size_t m = PFZ_MIN(n, max), k, u = 0;
        qsort(out, m, sizeof(*out), cmp_u32);
        for (k = 0; k < m; k++)
            if (u == 0 || out[u - 1] != out[k])
                out[u++] = out[k];
        if (n <= max)
            n = u;
    }
    return n;
}

void pfz__cov_print_modules(void)
{
    size_t i, npcs = 0;

    /* libFuzzer's lines, spacing included: ClusterFuzz reads the number in
     * parentheses as the target's total edges. */
    if (nregions > 0) {
        fprintf(stderr, "INFO: Loaded %zu modules   (%zu inline 8-bit counters): ", nregions,
                ncounters);
        for (i = 0; i < nregions; i++)
            fprintf(stderr, "%zu [%p, %p), ", regions[i].len, (void *)regions[i].start,
                    (void *)(regions[i].start + regions[i].len));
        fprintf(stderr, "\n");
    }
    if (npc_tables > 0) {
        for (i = 0; i < npc_tables; i++)
            npcs += (size_t)(pc_tables[i][1] - pc_tables[i][0]) / 2; /* {pc, flags} pairs */
        fprintf(stderr, "INFO: Loaded %zu PC tables (%zu PCs): ", npc_tables, npcs);
        for (i = 0; i < npc_tables; i++)
            fprintf(stderr, "%zu [%p,%p), ", (size_t)(pc_tables[i][1] - pc_tables[i][0]) / 2,
                    (const void *)pc_tables[i][0], (const void *)pc_tables[i][1]);
        fprintf(stderr, "\n");
    }
}

void pfz__cov_callback_span(uintptr_t *lo, uintptr_t *hi)
{
    /* The callbacks called from instrumented code in every basic block or
     * comparison (a spinning target is mostly inside them). */
    static void (*const fns[])(void) = {
        (void (*)(void))__sanitizer_cov_trace_pc_guard,   (void (*)(void))__sanitizer_cov_trace_pc,
        (void (*)(void))__sanitizer_cov_trace_pc_indir,   (void (*)(void))__sanitizer_cov_stack_depth,
        (void (*)(void))__sanitizer_cov_load1,            (void (*)(void))__sanitizer_cov_load8,
        (void (*)(void))__sanitizer_cov_store1,           (void (*)(void))__sanitizer_cov_store8,
        (void (*)(void))__sanitizer_cov_trace_cmp1,       (void (*)(void))__sanitizer_cov_trace_cmp8,
        (void (*)(void))__sanitizer_cov_trace_const_cmp1, (void (*)(void))__sanitizer_cov_trace_const_cmp8,
        (void (*)(void))__sanitizer_cov_trace_cmpf,       (void (*)(void))__sanitizer_cov_trace_cmpd,
        (void (*)(void))__sanitizer_cov_trace_switch,     (void (*)(void))__sanitizer_cov_trace_div4,
        (void (*)(void))__sanitizer_cov_trace_div8,       (void (*)(void))__sanitizer_cov_trace_gep,
    };
    size_t i;

    *lo = (uintptr_t)fns[0];
    *hi = (uintptr_t)fns[0];
    for (i = 1; i < PFZ_ARRAY_LEN(fns); i++) {
        if ((uintptr_t)fns[i] < *lo)
            *lo = (uintptr_t)fns[i];
        if ((uintptr_t)fns[i] > *hi)
            *hi = (uintptr_t)fns[i];
    }
    *hi += 512; /* the last one's body */
}
