/* test-sched.c -- placeholder until the sched suite lands. */
#include "tests.h"
void pfz_test_register_sched(void) {}
