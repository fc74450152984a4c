/* signature.h -- the de-duplication signature of a finding, computed from the
 * output of the worker that found it (its sanitizer report, or the stack the
 * worker printed for a deadly signal, a timeout or an out-of-memory kill).
 *
 * Two findings with the same signature are "the same bug" for -keep_going=1;
 * the signature must therefore never merge two bugs merely because neither
 * has frames: it is built from the fuzz target's own frames, and falls back
 * to the kind and the way the worker ended only when there are none.
 */
#ifndef PFZ_SIGNATURE_H
#define PFZ_SIGNATURE_H

#include "common.h"

/** The signature of a finding of `kind` ("crash", "timeout", "oom", "leak")
 * whose worker ended as `desc` (e.g. "signal 6 (SIGABRT)"), from `len` bytes
 * of the worker's output `text` (not NUL-terminated; may be NULL).
 *
 * The frames are those of the first stack trace in the output (lines
 * "#N 0xADDR in FUNC ..." in sanitizer format, as the POSIX crash reporter
 * and the Win32 exception filter print them, and "#N 0xADDR (MODULE+0xOFF)"
 * for frames without a symbol), minus the engine's (pfz__*, libFuzzer's
 * fuzzer::, the sanitizer runtimes, libc's raise/abort/__assert_fail, the
 * signal trampolines and system libraries); the first three that remain are
 * used, and nothing below LLVMFuzzerTestOneInput. For a crash, the top frame
 * also keeps its location (file:line or module+offset), so that two crash
 * sites in one function stay apart; timeouts and OOMs are samples of a
 * running program, so only function names are used for them (and, for a
 * frame #0 without a symbol, only its module). Without frames
 * the sanitizer's SUMMARY line stands in; without that, kind and desc alone.
 * Allocated from `p`. */
const char *pfz__signature(const char *kind, const char *desc, const char *text, size_t len,
                           apr_pool_t *p);

#endif
