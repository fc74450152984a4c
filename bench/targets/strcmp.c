/* strcmp.c -- planted bug behind strcmp() against a 16-character secret.
 * libc's strcmp is not instrumented: the engine sees the operands only through
 * the sanitizer's interceptor hooks, so this target is built with ASan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[64];
    if (size == 0 || size >= sizeof buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (strcmp(buf, "open-sesame-2024") == 0)
        abort();
    return 0;
}
