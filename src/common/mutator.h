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

#endif /* PFZ_MUTATOR_H */
