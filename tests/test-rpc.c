/* test-rpc.c -- placeholder until the rpc suite lands. */
#include "tests.h"
void pfz_test_register_rpc(void) {}
