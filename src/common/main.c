/* main.c -- libportfuzz's main(): finds the harness's functions and runs the
 * engine. Kept in its own object so that a program with its own main() (the
 * test runner, an embedder) never pulls it in from the static archive.
 *
 * The optional libFuzzer hooks are weak references: NULL when the harness does
 * not define them. MSVC has no weak references; there /alternatename maps each
 * missing hook to a local default that we recognise by address. */
#include "engine.h"
#include "platform.h"

#if defined(_MSC_VER) && !defined(__clang__)
static int pfz_default_initialize(int *argc, char ***argv) { (void)argc; (void)argv; return 0; }
static size_t pfz_default_mutator(uint8_t *d, size_t s, size_t m, unsigned int seed)
{ (void)d; (void)s; (void)m; (void)seed; return 0; }
static size_t pfz_default_crossover(const uint8_t *a, size_t as, const uint8_t *b, size_t bs,
                                    uint8_t *o, size_t om, unsigned int seed)
{ (void)a; (void)as; (void)b; (void)bs; (void)o; (void)om; (void)seed; return 0; }
#pragma comment(linker, "/alternatename:LLVMFuzzerInitialize=pfz_default_initialize")
#pragma comment(linker, "/alternatename:LLVMFuzzerCustomMutator=pfz_default_mutator")
#pragma comment(linker, "/alternatename:LLVMFuzzerCustomCrossOver=pfz_default_crossover")
#define PFZ_HOOK(fn, dflt) ((fn) == (dflt) ? NULL : (fn))
#elif defined(__MINGW32__)
/* PE/COFF has no weak *undefined* symbol that resolves to NULL (GNU ld
 * leaves the .refptr slot unresolved): define weak defaults instead, which a
 * harness's strong definitions replace, and recognise them by address. */
static int pfz_default_initialize(int *argc, char ***argv) { (void)argc; (void)argv; return 0; }
static size_t pfz_default_mutator(uint8_t *d, size_t s, size_t m, unsigned int seed)
{ (void)d; (void)s; (void)m; (void)seed; return 0; }
static size_t pfz_default_crossover(const uint8_t *a, size_t as, const uint8_t *b, size_t bs,
                                    uint8_t *o, size_t om, unsigned int seed)
{ (void)a; (void)as; (void)b; (void)bs; (void)o; (void)om; (void)seed; return 0; }
int LLVMFuzzerInitialize(int *argc, char ***argv)
    __attribute__((weak, alias("pfz_default_initialize")));
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
    __attribute__((weak, alias("pfz_default_mutator")));
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed)
    __attribute__((weak, alias("pfz_default_crossover")));
#define PFZ_HOOK(fn, dflt) ((fn) == (dflt) ? NULL : (fn))
#else
#pragma weak LLVMFuzzerInitialize
#pragma weak LLVMFuzzerCustomMutator
#pragma weak LLVMFuzzerCustomCrossOver
#define PFZ_HOOK(fn, dflt) (fn)
#endif

int main(int argc, char **argv)
{
    pfz__hooks_t hooks;

    (void)*(const volatile int *)&pfz__intercept_linked; /* links intercept.c */
    hooks.target = LLVMFuzzerTestOneInput;
    hooks.initialize = PFZ_HOOK(LLVMFuzzerInitialize, pfz_default_initialize);
    hooks.custom_mutator = PFZ_HOOK(LLVMFuzzerCustomMutator, pfz_default_mutator);
    hooks.custom_crossover = PFZ_HOOK(LLVMFuzzerCustomCrossOver, pfz_default_crossover);
    return pfz__main(&argc, &argv, &hooks);
}
