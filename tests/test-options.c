/* test-options.c -- placeholder until the options suite lands. */
#include "tests.h"
void pfz_test_register_options(void) {}
