/* surface_asan.c -- surface.c with AddressSanitizer, whose allocation hooks
 * -malloc_limit_mb needs. */
#include "surface.c"
