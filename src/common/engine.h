/* engine.h -- the harness hooks and the engine's entry point (pfz_main). */
#ifndef PFZ_ENGINE_H
#define PFZ_ENGINE_H

#include "common.h"

/** The functions a harness provides (optional ones may be NULL). Set once by
 * pfz_main/pfz__main before any thread starts; read-only afterwards. */
typedef struct pfz__hooks {
    pfz_target_fn target;
    int (*initialize)(int *argc, char ***argv);
    size_t (*custom_mutator)(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
    size_t (*custom_crossover)(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                               uint8_t *out, size_t max_out, unsigned int seed);
} pfz__hooks_t;

extern pfz__hooks_t pfz__hooks;

/** pfz_main with every hook (called by main.c). */
int pfz__main(int *argc, char ***argv, const pfz__hooks_t *hooks)
    PFZ_ENGINE_FRAME("pfz__main", "_ZN6fuzzer8portfuzz11engine_mainEv");

#endif
