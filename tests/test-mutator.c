/* test-mutator.c -- placeholder until the mutator suite lands. */
#include "tests.h"
void pfz_test_register_mutator(void) {}
