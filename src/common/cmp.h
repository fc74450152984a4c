/* cmp.h -- the table of recent comparisons (TORC) that coverage.c fills from
 * the SanitizerCoverage comparison callbacks and the sanitizers' weak
 * memcmp/strcmp hooks, and that mutator.c reads to put "the other side" of a
 * comparison into the input. Process-global; written by whichever thread runs
 * the target, read by the worker's fuzzing thread between executions (a torn
 * entry is harmless: it is only a mutation hint). Not installed. */
#ifndef PFZ_CMP_H
#define PFZ_CMP_H

#include "common.h"

/* Integer comparisons: a small direct-mapped table; the slot is a hash of the
 * operands, so a comparison made a million times fills one slot only and a
 * new pair replaces an older one. */
#define PFZ__TORC_INT_SIZE 128
/* Memory comparisons (memcmp, strcmp, strstr, ...): operand prefixes. */
#define PFZ__TORC_MEM_SIZE 32
#define PFZ__TORC_MEM_MAX 64

typedef struct pfz__cmp_int {
    uint64_t a, b;  /* the operands; for const_cmp, a is the constant */
    uint8_t width;  /* 1, 2, 4 or 8 bytes; 0 = empty slot */
} pfz__cmp_int_t;

typedef struct pfz__cmp_mem {
    uint8_t a[PFZ__TORC_MEM_MAX], b[PFZ__TORC_MEM_MAX];
    uint8_t alen, blen; /* both 0 = empty slot */
} pfz__cmp_mem_t;

typedef struct pfz__torc {
    pfz__cmp_int_t ints[PFZ__TORC_INT_SIZE];
    pfz__cmp_mem_t mems[PFZ__TORC_MEM_SIZE];
    size_t nints, nmems; /* number of insertions so far (not of filled slots) */
    /* The latest failed comparison of 4 or 8 bytes, for the worker's
     * input-to-state retry (worker_server.c); nwide counts them. */
    uint64_t last_a, last_b;
    unsigned last_width;
    size_t nwide;
} pfz__torc_t;

extern pfz__torc_t pfz__torc;

/** Records an integer comparison (also what the callbacks do). */
void pfz__cmp_record_int(uint64_t a, uint64_t b, unsigned width);
/** Records a memory comparison of a[0..alen) with b[0..blen) (each truncated to
 * PFZ__TORC_MEM_MAX bytes). Ignored when both are shorter than 2 bytes. */
void pfz__cmp_record_mem(const void *a, size_t alen, const void *b, size_t blen);
/** Empties the table (tests; a new target). */
void pfz__cmp_clear(void);

#endif /* PFZ_CMP_H */
