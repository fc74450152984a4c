/* test-fault.c -- the platform layer's failure paths, provoked through its
 * system-call table (pfz__syscall_set): a refused spawn, no pipe, a full
 * disk when the region grows, no address space for the mapping. Each must
 * come back as a status, leak nothing, and leave the object usable once the
 * fault is gone. Also the coordinator's stream I/O against short reads and
 * writes on real pipes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "tests.h"
#include "common.h"
#include "platform.h"
#include "rpc.h"
#include "worker.h"
#include "wire.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

/* How many faults to inject before the real call runs again (-1: always). */
static int faults_left;

#ifdef _WIN32
static BOOL WINAPI refuse_create_process(LPCWSTR a, LPWSTR b, LPSECURITY_ATTRIBUTES c,
                                         LPSECURITY_ATTRIBUTES d, BOOL e, DWORD f, LPVOID g,
                                         LPCWSTR h, LPSTARTUPINFOW i, LPPROCESS_INFORMATION j)
{
    if (faults_left != 0) {
        if (faults_left > 0)
            faults_left--;
        SetLastError(ERROR_INTERNAL_ERROR); /* what Wine gives under load */
        return FALSE;
    }
    return CreateProcessW(a, b, c, d, e, f, g, h, i, j);
}

static HANDLE WINAPI refuse_mapping(HANDLE a, LPSECURITY_ATTRIBUTES b, DWORD c, DWORD d, DWORD e,
                                    LPCWSTR f)
{
    (void)a; (void)b; (void)c; (void)d; (void)e; (void)f;
    SetLastError(ERROR_DISK_FULL);
    return NULL;
}

#define SPAWN_CALL "CreateProcessW"
#define SPAWN_FAKE ((pfz__syscall_fn)refuse_create_process)
#define GROW_CALL "CreateFileMappingW"
#define GROW_FAKE ((pfz__syscall_fn)refuse_mapping)
#else
static int refuse_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                        const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    if (faults_left != 0) {
        if (faults_left > 0)
            faults_left--;
        return EAGAIN;
    }
    return posix_spawn(pid, path, fa, attr, argv, envp);
}

static int refuse_pipe(int fds[2])
{
    (void)fds;
    errno = EMFILE;
    return -1;
}

static int full_disk(int fd, off_t off, off_t len)
{
    (void)fd;
    (void)off;
    (void)len;
    return ENOSPC;
}

static void *no_address_space(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    (void)addr; (void)len; (void)prot; (void)flags; (void)fd; (void)off;
    errno = ENOMEM;
    return MAP_FAILED;
}

/* Descriptors open in this process. */
static int open_fds(void)
{
    int fd, n = 0;

    for (fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            n++;
    return n;
}

#define SPAWN_CALL "posix_spawn"
#define SPAWN_FAKE ((pfz__syscall_fn)refuse_spawn)
#define GROW_CALL "posix_fallocate"
#define GROW_FAKE ((pfz__syscall_fn)full_disk)
#endif

static void test_unknown_name(void)
{
    CU_ASSERT_EQUAL(pfz__syscall_set("no_such_call", NULL), APR_NOTFOUND);
}

/* A refused spawn is a status; the worker starts once the OS agrees again. */
static void test_spawn_refused(void)
{
    apr_pool_t *p;
    pfz__worker_t *w;
    apr_status_t st;
    char msg[320];
#ifndef _WIN32
    int before;
#endif

    CU_ASSERT_FATAL(apr_pool_create(&p, pfz_test_pool) == APR_SUCCESS);
    w = pfz_test_new_worker(p, 0);
#ifndef _WIN32
    before = open_fds();
#endif
    faults_left = 2;
    CU_ASSERT_EQUAL_FATAL(pfz__syscall_set(SPAWN_CALL, SPAWN_FAKE), APR_SUCCESS);
    st = pfz__worker_start(w);
    CU_ASSERT(st != APR_SUCCESS && st != PFZ_ESHMCLOSED);
    st = pfz__worker_start(w);
    CU_ASSERT(st != APR_SUCCESS && st != PFZ_ESHMCLOSED);
    /* The message names the call that failed (the platform prints nothing). */
    pfz__worker_start_error(w, st, msg, sizeof msg);
    CU_ASSERT(strncmp(msg, SPAWN_CALL, sizeof(SPAWN_CALL) - 1) == 0 && strstr(msg, " failed: "));
#ifdef _WIN32
    CU_ASSERT(strstr(msg, "new process died while starting") != NULL); /* error 1359 explained */
    CU_ASSERT(strstr(msg, "Win32 error 1359: ") != NULL);
#endif
#ifndef _WIN32
    CU_ASSERT_EQUAL(open_fds(), before); /* no pipe end or copy left behind */
#endif
    CU_ASSERT_EQUAL(pfz__worker_start(w), APR_SUCCESS); /* the fault is spent */
    CU_ASSERT_EQUAL(pfz__client_ping(w), APR_SUCCESS);
    pfz__syscall_set(SPAWN_CALL, NULL);
    pfz__worker_cleanup(w);
    pfz__worker_destroy(w);
    apr_pool_destroy(p);
}

#ifndef _WIN32
static void test_pipe_refused(void)
{
    apr_pool_t *p;
    pfz__worker_t *w;
    apr_status_t st;
    char msg[320];
    int before;

    CU_ASSERT_FATAL(apr_pool_create(&p, pfz_test_pool) == APR_SUCCESS);
    w = pfz_test_new_worker(p, 0);
    before = open_fds();
    CU_ASSERT_EQUAL_FATAL(pfz__syscall_set("pipe", (pfz__syscall_fn)refuse_pipe), APR_SUCCESS);
    st = pfz__worker_start(w);
    CU_ASSERT(APR_TO_OS_ERROR(st) == EMFILE);
    CU_ASSERT(strncmp(pfz__worker_start_error(w, st, msg, sizeof msg), "pipe failed: ", 13) == 0);
    pfz__syscall_set("pipe", NULL);
    CU_ASSERT_EQUAL(open_fds(), before);
    CU_ASSERT_EQUAL(pfz__worker_start(w), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__client_ping(w), APR_SUCCESS);
    pfz__worker_cleanup(w);
    pfz__worker_destroy(w);
    apr_pool_destroy(p);
}

static void test_map_refused(void)
{
    apr_pool_t *p;
    pfz__shm_t *shm = NULL;
    int before = open_fds();

    CU_ASSERT_FATAL(apr_pool_create(&p, pfz_test_pool) == APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pfz__syscall_set("mmap", (pfz__syscall_fn)no_address_space), APR_SUCCESS);
    CU_ASSERT(APR_TO_OS_ERROR(pfz__shm_create(&shm, 4096, p)) == ENOMEM);
    pfz__syscall_set("mmap", NULL);
    CU_ASSERT_EQUAL(open_fds(), before);
    apr_pool_destroy(p);
}
#endif

/* The region cannot grow (a full disk): the old mapping stays, with its
 * contents, and a call whose input does not fit fails with a status (not a
 * crash, not a finding); once there is room the same worker goes on. */
static void test_grow_fails(void)
{
    apr_pool_t *p;
    pfz__shm_t *shm;
    pfz__worker_t *w;
    pfz__fuzz_args_t a;
    pfz__fuzz_result_t r;
    uint8_t *big;
    apr_status_t st;

    CU_ASSERT_FATAL(apr_pool_create(&p, pfz_test_pool) == APR_SUCCESS);
    w = pfz_test_new_worker(p, 0);
    CU_ASSERT_EQUAL_FATAL(pfz__worker_start(w), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pfz__shm_create(&shm, 8192, p), APR_SUCCESS);
    memset(pfz__shm_base(shm), 0x5a, 8192);
    CU_ASSERT_EQUAL_FATAL(pfz__syscall_set(GROW_CALL, GROW_FAKE), APR_SUCCESS);
    st = pfz__shm_grow(shm, 1u << 20);
    CU_ASSERT(st != APR_SUCCESS);
    CU_ASSERT(APR_STATUS_IS_ENOSPC(st) || APR_TO_OS_ERROR(st) == ENOSPC
#ifdef _WIN32
              || APR_TO_OS_ERROR(st) == ERROR_DISK_FULL
#endif
    );
    CU_ASSERT_PTR_NOT_NULL_FATAL(pfz__shm_base(shm));
    CU_ASSERT_EQUAL(pfz__shm_size(shm), 8192);
    CU_ASSERT(((uint8_t *)pfz__shm_base(shm))[8191] == 0x5a);

    big = calloc(1, 1u << 20);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(&a, 0, sizeof a);
    memset(&r, 0, sizeof r);
    a.type = PFZ__CALL_RUN;
    a.value.data = big;
    a.value.size = 1u << 20;
    a.max_len = 1u << 20;
    a.deadline_us = 30000000;
    st = pfz__client_call(w, &a, &r);
    CU_ASSERT(st != APR_SUCCESS && st != PFZ_EWORKERDIED && st != PFZ_ESHMCLOSED);
    pfz__syscall_set(GROW_CALL, NULL);
    st = pfz__client_call(w, &a, &r);
    CU_ASSERT_EQUAL(st, APR_SUCCESS);
    CU_ASSERT_EQUAL(r.input_size, (size_t)1 << 20);
    free(big);
    pfz__fuzz_result_free(&r);
    pfz__worker_cleanup(w);
    pfz__worker_destroy(w);
    pfz__shm_close(shm);
    apr_pool_destroy(p);
}

/* ------------------------------------------------- short reads and writes */

typedef struct trickle {
    apr_file_t *f;
    const uint8_t *data;
    size_t len;
    size_t chunk;          /* bytes per write */
    apr_interval_time_t pause;
    int close_after;       /* close the pipe after this many bytes (0: never) */
} trickle_t;

static void *APR_THREAD_FUNC trickle_main(apr_thread_t *t, void *arg)
{
    trickle_t *tr = arg;
    size_t off = 0;

    while (off < tr->len && (tr->close_after == 0 || (int)off < tr->close_after)) {
        apr_size_t n = PFZ_MIN(tr->chunk, tr->len - off);
        if (apr_file_write_full(tr->f, tr->data + off, n, NULL) != APR_SUCCESS)
            break;
        off += n;
        apr_sleep(tr->pause);
    }
    apr_file_close(tr->f);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static int waits;
static apr_status_t count_waits(void *ctx)
{
    (void)ctx;
    waits++;
    return APR_SUCCESS;
}

static apr_status_t give_up(void *ctx)
{
    (void)ctx;
    return PFZ_ESHMCLOSED;
}

/* A reply that arrives a few bytes at a time, with pauses longer than the
 * read's timeout, decodes; the wait hook runs in the pauses. A stream cut
 * inside a frame is a protocol error; a hook that says stop ends a read
 * that nothing will ever complete. */
static void test_short_reads(void)
{
    pfz__reply_t rep, got;
    pfz__rpc_buf_t b = {0}, rb = {0};
    pfz__rpc_wait_t wait;
    apr_file_t *rd, *wr;
    apr_thread_t *t;
    apr_status_t rv;
    trickle_t tr;
    uint32_t i;

    memset(&rep, 0, sizeof rep);
    memset(&got, 0, sizeof got);
    rep.type = PFZ__CALL_FUZZ;
    rep.status = PFZ__RS_NEW_INPUT;
    rep.execs = 12345;
    for (i = 0; i < 40; i++)
        CU_ASSERT_EQUAL(pfz__u32vec_push(&rep.features, i * 7), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_encode_reply(&b, &rep), APR_SUCCESS);

    /* Trickled: 3 bytes every 15 ms against a 5 ms read timeout. */
    CU_ASSERT_EQUAL_FATAL(apr_file_pipe_create_ex(&rd, &wr, APR_WRITE_BLOCK, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_file_pipe_timeout_set(rd, 5000), APR_SUCCESS);
    memset(&tr, 0, sizeof tr);
    tr.f = wr;
    tr.data = b.data;
    tr.len = b.len;
    tr.chunk = 3;
    tr.pause = 15000;
    waits = 0;
    wait.fn = count_waits;
    wait.ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(apr_thread_create(&t, NULL, trickle_main, &tr, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__rpc_read_reply(rd, &rb, &got, &wait), APR_SUCCESS);
    apr_thread_join(&rv, t);
    CU_ASSERT(waits > 0);
    CU_ASSERT_EQUAL(got.execs, 12345);
    CU_ASSERT_EQUAL(got.features.n, 40);
    CU_ASSERT_EQUAL(got.features.v[39], 39 * 7);
    apr_file_close(rd);

    /* Cut after 20 bytes: inside the frame. */
    CU_ASSERT_EQUAL_FATAL(apr_file_pipe_create_ex(&rd, &wr, APR_WRITE_BLOCK, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_file_pipe_timeout_set(rd, 5000), APR_SUCCESS);
    tr.f = wr;
    tr.close_after = 20;
    CU_ASSERT_EQUAL_FATAL(apr_thread_create(&t, NULL, trickle_main, &tr, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__rpc_read_reply(rd, &rb, &got, &wait), PFZ_EPROTO);
    apr_thread_join(&rv, t);
    apr_file_close(rd);

    /* Nothing ever comes, the writer stays open: the hook ends it. */
    CU_ASSERT_EQUAL_FATAL(apr_file_pipe_create_ex(&rd, &wr, APR_WRITE_BLOCK, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_file_pipe_timeout_set(rd, 5000), APR_SUCCESS);
    wait.fn = give_up;
    CU_ASSERT_EQUAL(pfz__rpc_read_reply(rd, &rb, &got, &wait), PFZ_ESHMCLOSED);
    apr_file_close(rd);
    apr_file_close(wr);

    pfz__u32vec_free(&rep.features);
    pfz__u32vec_free(&got.features);
    pfz__rpc_buf_free(&b);
    pfz__rpc_buf_free(&rb);
}

#ifndef _WIN32
/* (POSIX only: on Windows APR cannot report a timed-out write's progress, so
 * the coordinator's call end has no timeout there; see platform.h.) */
typedef struct slow_reader {
    apr_file_t *f;
    size_t got;
} slow_reader_t;

static void *APR_THREAD_FUNC slow_read_main(apr_thread_t *t, void *arg)
{
    slow_reader_t *sr = arg;
    uint8_t buf[8000];

    for (;;) {
        apr_size_t n = sizeof buf;
        if (apr_file_read(sr->f, buf, &n) != APR_SUCCESS)
            break;
        sr->got += n;
        apr_sleep(5000); /* slower than the writer's 2 ms timeout */
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* A call frame much larger than the pipe's buffer, written against a slow
 * reader with a short write timeout: partial writes and timed-out slices,
 * and every byte arrives. */
static void test_short_writes(void)
{
    pfz__call_t c;
    pfz__rpc_buf_t b = {0};
    pfz__rpc_wait_t wait;
    apr_file_t *rd, *wr;
    apr_thread_t *t;
    apr_status_t rv;
    slow_reader_t sr;
    uint32_t i;

    memset(&c, 0, sizeof c);
    c.type = PFZ__CALL_FUZZ;
    for (i = 0; i < 100000; i++) /* ~400 KB of features */
        CU_ASSERT_EQUAL_FATAL(pfz__u32vec_push(&c.features, i * 3), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_file_pipe_create_ex(&rd, &wr, APR_READ_BLOCK, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_file_pipe_timeout_set(wr, 2000), APR_SUCCESS);
    sr.f = rd;
    sr.got = 0;
    waits = 0;
    wait.fn = count_waits;
    wait.ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(apr_thread_create(&t, NULL, slow_read_main, &sr, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__rpc_write_call(wr, &b, &c, &wait), APR_SUCCESS);
    apr_file_close(wr);
    apr_thread_join(&rv, t);
    CU_ASSERT_EQUAL(sr.got, b.len);
    CU_ASSERT(waits > 0);
    apr_file_close(rd);
    pfz__u32vec_free(&c.features);
    pfz__rpc_buf_free(&b);
}
#endif

void pfz_test_register_fault(void)
{
    CU_pSuite s = pfz_test_suite("fault");
    PFZ_TEST_ADD(s, test_unknown_name);
    PFZ_TEST_ADD(s, test_spawn_refused);
#ifndef _WIN32
    PFZ_TEST_ADD(s, test_pipe_refused);
    PFZ_TEST_ADD(s, test_map_refused);
#endif
    PFZ_TEST_ADD(s, test_grow_fails);
    PFZ_TEST_ADD(s, test_short_reads);
#ifndef _WIN32
    PFZ_TEST_ADD(s, test_short_writes);
#endif
}
