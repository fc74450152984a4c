/* heap_overflow.c -- planted bug: reads one byte past a malloc'd buffer when
 * the input starts with "HO" and is at least 4 bytes long. Without ASan the
 * read is (usually) harmless and nothing happens; under ASan it is a
 * heap-buffer-overflow report and a crash. */
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf;
    size_t n;
    if (size < 4 || data[0] != 'H' || data[1] != 'O')
        return 0;
    n = data[2] % 16 + 1;
    buf = (uint8_t *)malloc(n);
    if (buf == NULL)
        return 0;
    memset(buf, data[3], n);
    sink = buf[n]; /* the planted bug: one past the end */
    free(buf);
    return 0;
}
