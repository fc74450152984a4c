/* test-client.c -- placeholder until the client suite lands. */
#include "tests.h"
void pfz_test_register_client(void) {}
int pfz_test_child_worker(void){return 2;}
