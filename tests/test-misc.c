/* test-misc.c -- placeholder until the misc suite lands. */
#include "tests.h"
void pfz_test_register_misc(void) {}
