/* reproduce.h -- running input files once (reproduction). */
#ifndef PFZ_REPRODUCE_H
#define PFZ_REPRODUCE_H

#include "options.h"

int pfz__reproduce(const pfz__options_t *o, apr_pool_t *pool)
    PFZ_ENGINE_FRAME("pfz__reproduce", "_ZN6fuzzer8portfuzz9reproduceEv");

#endif
