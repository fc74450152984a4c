/* flood_asan.c -- flood.c built with AddressSanitizer (PFZ_ASAN_TARGETS). */
#include "flood.c"
