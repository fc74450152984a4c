/* crc_payload.c -- planted bug behind a CRC-32 that covers the field it
 * guards (as a PNG chunk's CRC covers its data): the same target as the
 * end-to-end test's, so the benchmark measures what the test checks. See
 * tests/targets/crc_field.c. (checksum.c is the easier variant, where the CRC
 * does not cover the field.) */
#include "../../tests/targets/crc_field.c"
