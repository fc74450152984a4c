/* heap_overflow.c -- planted heap-buffer-overflow (needs ASan to be seen):
 * a record "HB" <len> <bytes...> is copied into a 16-byte buffer trusting
 * <len>. Any len > 16 with enough bytes overflows. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *rec;
    size_t len;
    if (size < 3 || data[0] != 'H' || data[1] != 'B')
        return 0;
    len = data[2];
    if (len > size - 3)
        return 0; /* the input itself is checked ... */
    rec = malloc(16);
    memcpy(rec, data + 3, len); /* ... but not the destination */
    sink = rec[0];
    free(rec);
    return 0;
}
