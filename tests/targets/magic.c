/* magic.c -- planted bug: a crash behind a 4-byte magic ("FUZZ") that the
 * target checks one byte at a time in nested ifs. Each matching byte is a new
 * edge, so coverage guidance alone climbs the ladder one byte at a time. */
#include <portfuzz.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 4 && data[0] == 'F') {
        if (data[1] == 'U') {
            if (data[2] == 'Z') {
                if (data[3] == 'Z') {
                    /* The planted bug: a write through a null pointer
                     * (SIGSEGV on POSIX, 0xC0000005 on Windows). */
                    *(volatile int *)0 = 0;
                }
            }
        }
    }
    return 0;
}
