/* crc_payload.c -- planted bug behind a checksum that covers the field
 * itself, as a PNG chunk's CRC covers the chunk data. The record is
 *   [CRC-32 of bytes 4..size-1, little-endian] [payload, 4..60 bytes]
 * and the payload is looked at only when the CRC matches: every change of the
 * payload breaks the CRC again, so the fuzzer must change the payload and fix
 * the CRC in the same input (comparison feedback gives the right CRC only for
 * the payload that was just run). The bug: a valid record whose payload
 * starts with "BUG". (checksum.c is the easier variant where the CRC does not
 * cover the field.) */
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
    if (size < 8 || size > 64)
        return 0;
    stored = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
             (uint32_t)data[3] << 24;
    if (crc32_of(data + 4, size - 4) != stored)
        return 0;
    if (data[4] == 'B')
        if (data[5] == 'U')
            if (data[6] == 'G')
                abort();
    return 0;
}
