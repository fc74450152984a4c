/* crc_field.c -- planted bug behind a CRC-32 that covers the field it guards
 * (as a PNG chunk's CRC covers its data): [CRC of bytes 4..size-1, LE]
 * [payload]. The payload is looked at only when the CRC matches, and every
 * change of the payload breaks it again, so each step must change the payload
 * and fix the CRC in one input. portfuzz's input-to-state retry does that: the
 * failed 32-bit compare names the right CRC for the payload just run.
 * Without it (and for libFuzzer 14) this is not found in a minute. */
#include <stdint.h>
#include <stdlib.h>

#include <portfuzz.h>

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t stored;
    if (size < 8 || size > 64)
        return 0;
    stored = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
             (uint32_t)data[3] << 24;
    if (crc32_of(data + 4, size - 4) != stored)
        return 0;
    if (data[4] == 'B')
        if (data[5] == 'U')
            if (data[6] == 'G')
                abort(); /* the planted bug */
    return 0;
}
