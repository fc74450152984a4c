/* crash_always.c -- crashes on every input: measures the crash -> saved input
 * -> restarted worker cycle (portfuzz -keep_going=1; libFuzzer -fork=1
 * -ignore_crashes=1). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
    abort();
}
