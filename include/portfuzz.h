/**
 * @file portfuzz.h
 * @brief portfuzz: a coverage-guided, multi-process fuzzing engine (libFuzzer ABI).
 *
 * A fuzz target is an ordinary libFuzzer harness:
 * @code
 *   int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { ...; return 0; }
 * @endcode
 * Compile the code under test with SanitizerCoverage (see README.md), link with
 * libportfuzz (which provides main()), and run the binary. It becomes a
 * coordinator that re-executes itself as worker processes.
 *
 * Platform caveats: on Windows there is no LeakSanitizer; crashes are reported as
 * exception codes instead of signals.
 */
#ifndef PORTFUZZ_H
#define PORTFUZZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PFZ_VERSION "0.1.0"

/** The fuzz target. Called with a private heap copy of exactly `size` bytes,
 * which the target must not free; the return value is ignored except -1,
 * which (as in libFuzzer) means "do not add this input to the corpus". */
typedef int (*pfz_target_fn)(const uint8_t *data, size_t size);

/** Runs the engine with the given target: coordinator, worker or reproducer,
 * chosen from the command line and the environment. Returns the process exit
 * status: 0 ok, 1 usage error, 70 timeout, 71 out of memory, 72 interrupted,
 * 77 crash or leak. libportfuzz's own main() calls this with
 * LLVMFuzzerTestOneInput; embedders with their own main() call it directly. */
int pfz_main(int *argc, char ***argv, pfz_target_fn target);

/* ------------------------------------------------ the libFuzzer harness ABI */

/** Required: the fuzz target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/** Optional: called once per process before fuzzing; may edit argv. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
/** Optional: replaces the built-in mutator; `data` has room for max_size bytes. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
/** Optional: combines two inputs into `out` (room for max_out_size bytes). */
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size,
                                 unsigned int seed);
/** Provided by portfuzz: the built-in mutator, for use from a custom mutator.
 * Mutates data[0..size) in place and returns the new size (<= max_size). */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#ifdef __cplusplus
}
#endif
#endif /* PORTFUZZ_H */
