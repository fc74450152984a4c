/* test-dict.c -- placeholder until the dict suite lands. */
#include "tests.h"
void pfz_test_register_dict(void) {}
