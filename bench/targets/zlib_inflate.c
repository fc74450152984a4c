/* zlib_inflate.c -- zlib's inflate (built from Debian's zlib source package,
 * instrumented like the harness) on the input: raw, zlib or gzip stream
 * chosen by the first byte, output into a fixed buffer, repeated until done. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "zlib.h"

static unsigned char out[64 * 1024];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    z_stream zs;
    int wbits, ret;
    if (size < 1)
        return 0;
    switch (data[0] & 3) {
    case 0: wbits = -15; break;     /* raw deflate */
    case 1: wbits = 15; break;      /* zlib */
    case 2: wbits = 15 + 16; break; /* gzip */
    default: wbits = 15 + 32; break; /* auto-detect */
    }
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, wbits) != Z_OK)
        return 0;
    zs.next_in = (Bytef *)(data + 1);
    zs.avail_in = (uInt)(size - 1);
    do {
        zs.next_out = out;
        zs.avail_out = sizeof out;
        ret = inflate(&zs, Z_NO_FLUSH);
    } while (ret == Z_OK && zs.avail_in > 0);
    inflateEnd(&zs);
    return 0;
}
