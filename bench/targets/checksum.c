/* checksum.c -- planted bug behind a checksum-guarded field. The record is
 *   [CRC-32 of bytes 4..7, little-endian] [4-byte header] [flags...]
 * and the flags are looked at only when the CRC matches the header (like a
 * PNG chunk's CRC): the fuzzer must first produce a matching CRC (a 32-bit
 * comparison against a value computed from the input -- comparison feedback),
 * then spell "BUG" in the flags (edge feedback, byte by byte). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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
    if (size < 11 || size > 64)
        return 0;
    stored = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
             (uint32_t)data[3] << 24;
    if (crc32_of(data + 4, 4) != stored)
        return 0;
    if (data[8] == 'B')
        if (data[9] == 'U')
            if (data[10] == 'G')
                abort();
    return 0;
}
