/* mutator.h -- input mutations (libFuzzer's and Go's byte mutators, dictionary
 * and comparison-operand insertion, cross-over). One mutator per worker; not
 * thread-safe. LLVMFuzzerMutate uses the mutator made current with
 * pfz__mutator_set_current. */
#ifndef PFZ_MUTATOR_H
#define PFZ_MUTATOR_H

#include "common.h"
#include "dict.h"

typedef struct pfz__mutator pfz__mutator_t;

typedef struct pfz__mutator_opts {
    uint64_t seed;
    int only_ascii;          /* -only_ascii=1 */
    int use_cmp;             /* use comparison operands (default 1) */
    const pfz__dict_t *dict; /* -dict, or NULL */
} pfz__mutator_opts_t;

apr_status_t pfz__mutator_create(pfz__mutator_t **m, const pfz__mutator_opts_t *opts,
                                 apr_pool_t *pool);

/** Mutates data[0..size) in place (room for max_size bytes) with a stack of one
 * or more mutations, and returns the new size, 1..max_size (0 only if max_size
 * is 0). `other`, if not NULL, is another corpus entry for cross-over. Uses the
 * custom mutator/cross-over of the harness when it defines one. */
size_t pfz__mutate(pfz__mutator_t *m, uint8_t *data, size_t size, size_t max_size,
                   const uint8_t *other, size_t other_size);

/** Makes m the mutator behind LLVMFuzzerMutate (NULL to unset). */
void pfz__mutator_set_current(pfz__mutator_t *m);

/* --- additions: single mutations (tests, statistics) and the auto-dictionary */

/** The built-in mutations. */
enum pfz__mutation_kind {
    PFZ__MUT_ERASE_BYTES,
    PFZ__MUT_INSERT_BYTE,
    PFZ__MUT_INSERT_REPEATED,
    PFZ__MUT_CHANGE_BYTE,
    PFZ__MUT_CHANGE_BIT,
    PFZ__MUT_SHUFFLE_BYTES,
    PFZ__MUT_CHANGE_ASCII_INT,
    PFZ__MUT_CHANGE_BINARY_INT,
    PFZ__MUT_COPY_PART,
    PFZ__MUT_CROSSOVER,
    PFZ__MUT_DICT,         /* -dict entries */
    PFZ__MUT_AUTO_DICT,    /* persistent comparison operands */
    PFZ__MUT_CMP,          /* the other side of a recent comparison (TORC) */
    PFZ__MUT_INTERESTING,  /* AFL's interesting 8/16/32-bit values */
    PFZ__MUT_ARITH,        /* add/subtract a small number, both byte orders */
    PFZ__MUT_COUNT
};

/** Name of a mutation kind ("EraseBytes", ...). */
const char *pfz__mutation_name(int kind);

/** Applies exactly one built-in mutation (no stacking, no custom mutator, no
 * -only_ascii fix-up). Returns the new size in 1..max_size, or 0 when the
 * mutation does not apply to this input (data unchanged), e.g. no dictionary,
 * no cross-over partner, no room to grow, no digits for ChangeASCIIInt. */
size_t pfz__mutate_one(pfz__mutator_t *m, int kind, uint8_t *data, size_t size,
                       size_t max_size, const uint8_t *other, size_t other_size);

/** Tells the mutator that the input of its last pfz__mutate call was added to
 * the corpus: the comparison operands that mutation inserted become persistent
 * auto-dictionary entries (libFuzzer's "persistent auto dictionary"). Optional. */
void pfz__mutator_note_new(pfz__mutator_t *m);

/** Input-to-state (as in Redqueen / AFL++'s CmpLog, reduced to one step):
 * when one operand of a failed comparison of `width` (4 or 8) bytes is spelled
 * in data (little- or big-endian; b is tried before a), writes the other
 * operand there. Operands made of one repeated byte are skipped (they match by
 * accident everywhere). Returns 1 if data was changed. The caller runs the
 * patched input at once: a value the target computed from the input it just
 * saw -- a checksum over the payload, a length -- is right for exactly that
 * input. */
int pfz__mutator_i2s(pfz__mutator_t *m, uint8_t *data, size_t size, uint64_t a, uint64_t b,
                     unsigned width);

/** The automatic dictionary (for statistics and tests). */
const pfz__dict_t *pfz__mutator_auto_dict(const pfz__mutator_t *m);

#endif /* PFZ_MUTATOR_H */
