/* switch.c -- planted bug at the end of a ladder of switch statements: a
 * four-step path through 16-way switches on successive bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static volatile int sink;

static int step(uint8_t b, int level)
{
    switch (b) {
    case 0x01: sink += level; return 1;
    case 0x07: sink ^= level; return 2;
    case 0x10: sink -= level; return 3;
    case 0x22: sink += 2 * level; return 4;
    case 0x35: sink ^= 3; return 5;
    case 0x41: sink += 5; return 6;
    case 0x5a: sink -= 7; return 7;
    case 0x66: sink += 11; return 8;
    case 0x7f: sink ^= 13; return 9;
    case 0x80: sink += 17; return 10;
    case 0x9c: sink -= 19; return 11;
    case 0xa5: sink += 23; return 12;
    case 0xbe: sink ^= 29; return 13;
    case 0xc3: sink += 31; return 14;
    case 0xd8: sink -= 37; return 15;
    case 0xef: sink += 41; return 16;
    default: return 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    switch (step(data[0], 1)) {
    case 3:
        switch (step(data[1], 2)) {
        case 12:
            switch (step(data[2], 3)) {
            case 6:
                switch (step(data[3], 4)) {
                case 15:
                    switch (data[4]) {
                    case 0x5e:
                        abort();
                    default:
                        break;
                    }
                    break;
                default:
                    break;
                }
                break;
            default:
                break;
            }
            break;
        default:
            break;
        }
        break;
    default:
        break;
    }
    return 0;
}
