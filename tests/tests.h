/* tests.h -- the CUnit suites of portfuzz and the helper-child modes of the
 * runner. tests/runner re-executes itself as a child process (a worker, or a
 * probe) for real cross-process tests; the child mode is chosen by the
 * environment variable PFZ_TEST_CHILD. */
#ifndef PFZ_TESTS_H
#define PFZ_TESTS_H

#include <CUnit/CUnit.h>
#include <apr_pools.h>

/* One registration function per tests/test-<module>.c. */
void pfz_test_register_client(void);
void pfz_test_register_coverage(void);
void pfz_test_register_dict(void);
void pfz_test_register_e2e(void);
void pfz_test_register_fault(void);
void pfz_test_register_mergectl(void);
void pfz_test_register_misc(void);
void pfz_test_register_mutator(void);
void pfz_test_register_options(void);
void pfz_test_register_outcap(void);
void pfz_test_register_rpc(void);
void pfz_test_register_sched(void);
void pfz_test_register_shm(void);
void pfz_test_register_signature(void);
void pfz_test_register_surface(void);

/* Child modes (return the child's exit status). */
int pfz_test_child_shm(void);    /* test-shm.c: inspects inherited fds/handles and the region */
int pfz_test_child_worker(void); /* test-client.c: a real worker serving a built-in target */
int pfz_test_child_outcap(void); /* test-outcap.c: floods its stdout until the pipe breaks */

/* The runner's pool, valid for the whole run (tests make subpools). */
extern apr_pool_t *pfz_test_pool;
/* Absolute path of the runner executable (for spawning children). */
extern const char *pfz_test_self;

/* Adds a suite or aborts the run with a message. */
CU_pSuite pfz_test_suite(const char *name);
#define PFZ_TEST_ADD(suite, fn) CU_add_test((suite), #fn, (fn))

/* A worker (worker.h) whose process is this runner serving a built-in,
 * harmless target (test-client.c). */
struct pfz__worker;
struct pfz__worker *pfz_test_new_worker(apr_pool_t *p, int id);

/* After a spawn the OS refused (status st, attempt 1, 2, ...): says so on
 * stderr, pauses 50, 100, 200, ... ms and returns 1 while another attempt is
 * due (5 in all), as the coordinator's start_worker does. Wine under load
 * refuses a CreateProcess now and then (error 1359); a refusal that
 * persists still fails the caller. */
int pfz_test_spawn_refused(int attempt, apr_status_t st);

/* Path of a built target under the build directory, e.g. "tests/targets/kinds". */
const char *pfz_test_target(const char *rel);

/* End-to-end helpers (test-e2e.c): runs a target with args and extra env
 * ("NAME=value"; both NULL-terminated, env may be NULL) in dir, output to
 * dir/out.txt; a fresh scratch directory; dir's files named prefix* (no
 * .log files), as full paths (const char *). */
#include <apr_tables.h>
typedef struct pfz_test_run {
    int code;  /* exit status, or 128+signal */
    int signaled;
    char *out; /* stdout + stderr */
    double seconds;
} pfz_test_run_t;
pfz_test_run_t pfz_test_run(const char *target, const char *const *args, const char *const *env,
                            const char *dir);
const char *pfz_test_scratch(const char *name);
apr_array_header_t *pfz_test_artifacts(const char *dir, const char *prefix);

/* Defined in a ThreadSanitizer build (gcc or clang). */
#if defined(__SANITIZE_THREAD__)
#define PFZ_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PFZ_TEST_TSAN 1
#endif
#endif

#endif
