/* sha1.h -- SHA-1 (FIPS 180-4), for naming corpus files and artifacts. */
#ifndef PFZ_SHA1_H
#define PFZ_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define PFZ__SHA1_HEX_LEN 40

typedef struct pfz__sha1 {
    uint32_t h[5];
    uint64_t len;
    uint8_t buf[64];
    size_t used;
} pfz__sha1_t;

void pfz__sha1_init(pfz__sha1_t *c);
void pfz__sha1_update(pfz__sha1_t *c, const void *data, size_t len);
void pfz__sha1_final(pfz__sha1_t *c, uint8_t digest[20]);
/** hex must have room for 41 bytes; it is NUL-terminated. */
void pfz__sha1_hex(const void *data, size_t len, char hex[PFZ__SHA1_HEX_LEN + 1]);

#endif
