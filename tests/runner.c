/* runner.c -- runs every CUnit suite, or acts as a helper child when started
 * with PFZ_TEST_CHILD set (see tests.h). Usage: runner [suite-name ...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <CUnit/Basic.h>

#include "tests.h"
#include "coverage.h"
#include "platform.h"

apr_pool_t *pfz_test_pool;
const char *pfz_test_self;

CU_pSuite pfz_test_suite(const char *name)
{
    CU_pSuite s = CU_add_suite(name, NULL, NULL);
    if (s == NULL) {
        fprintf(stderr, "runner: cannot add suite %s: %s\n", name, CU_get_error_msg());
        exit(2);
    }
    return s;
}

const char *pfz_test_target(const char *rel)
{
    return apr_pstrcat(pfz_test_pool, PFZ_BUILDDIR, "/", rel, PFZ_EXEEXT, NULL);
}

static int run_child(const char *mode)
{
    if (strcmp(mode, "shm") == 0)
        return pfz_test_child_shm();
    if (strcmp(mode, "worker") == 0)
        return pfz_test_child_worker();
    if (strcmp(mode, "outcap") == 0)
        return pfz_test_child_outcap();
    fprintf(stderr, "runner: unknown PFZ_TEST_CHILD mode '%s'\n", mode);
    return 2;
}

int main(int argc, char **argv)
{
    const char *child = getenv("PFZ_TEST_CHILD");
    char *self = NULL;
    unsigned failures;
    int i;

    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&pfz_test_pool, NULL) != APR_SUCCESS) {
        fprintf(stderr, "runner: cannot initialise APR\n");
        return 2;
    }
    if (pfz__self_exe(&self, pfz_test_pool) != APR_SUCCESS)
        self = argv[0];
    pfz_test_self = self;
    if (child != NULL && *child)
        return run_child(child);
    /* Unit tests run in many threads; the comparison table records only when
     * a suite asks for it (the coverage suite sets it itself). */
    pfz__cov_set_running(0);

    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "runner: cannot initialise CUnit\n");
        return 2;
    }
    pfz_test_register_rpc();
    pfz_test_register_options();
    pfz_test_register_misc();
    pfz_test_register_shm();
    pfz_test_register_client();
    pfz_test_register_dict();
    pfz_test_register_mutator();
    pfz_test_register_coverage();
    pfz_test_register_sched();
    pfz_test_register_outcap();
    pfz_test_register_e2e();

    CU_basic_set_mode(CU_BRM_VERBOSE);
    if (argc > 1) {
        /* Run only the named suites. */
        for (i = 1; i < argc; i++) {
            CU_pSuite s = CU_get_suite(argv[i]);
            if (s == NULL) {
                fprintf(stderr, "runner: no suite named '%s'\n", argv[i]);
                CU_cleanup_registry();
                return 2;
            }
            CU_basic_run_suite(s);
        }
    } else {
        CU_basic_run_tests();
    }
    failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    if (CU_get_error() != CUE_SUCCESS)
        failures++;
    /* A run that executed nothing is a failure too: a test that cannot fail is a defect. */
    if (CU_get_number_of_tests_run() == 0) {
        fprintf(stderr, "runner: no test ran\n");
        failures++;
    }
    CU_cleanup_registry();
    apr_pool_destroy(pfz_test_pool);
    apr_terminate();
    return failures ? 1 : 0;
}
