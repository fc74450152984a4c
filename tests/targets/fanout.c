/* fanout.c -- never crashes; its first input byte picks one of 32 functions
 * (each a distinct edge), so fuzzing keeps adding corpus entries for a while:
 * the statistics test (PORTFUZZ_COORD_STATS) needs finds to hand out. The
 * cases call distinct functions so that no optimizer folds the switch into a
 * table lookup (one block, one edge). */
#include <stddef.h>
#include <stdint.h>

#include <portfuzz.h>

static volatile unsigned sink;

#define NOINLINE __attribute__((noinline))
#define F(n) static NOINLINE void f##n(void) { sink += n + 1; }
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
F(16) F(17) F(18) F(19) F(20) F(21) F(22) F(23) F(24) F(25) F(26) F(27) F(28) F(29) F(30) F(31)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] & 31) {
    case 0: f0(); break;   case 1: f1(); break;   case 2: f2(); break;   case 3: f3(); break;
    case 4: f4(); break;   case 5: f5(); break;   case 6: f6(); break;   case 7: f7(); break;
    case 8: f8(); break;   case 9: f9(); break;   case 10: f10(); break; case 11: f11(); break;
    case 12: f12(); break; case 13: f13(); break; case 14: f14(); break; case 15: f15(); break;
    case 16: f16(); break; case 17: f17(); break; case 18: f18(); break; case 19: f19(); break;
    case 20: f20(); break; case 21: f21(); break; case 22: f22(); break; case 23: f23(); break;
    case 24: f24(); break; case 25: f25(); break; case 26: f26(); break; case 27: f27(); break;
    case 28: f28(); break; case 29: f29(); break; case 30: f30(); break; default: f31(); break;
    }
    return 0;
}
