/* platform.h -- the whole platform interface of portfuzz.
 *
 * The files of src/posix and src/win32 each implement every function declared here;
 * the build system (automake conditional / CMake if(WIN32)) picks one set.
 * Nothing in src/common includes an OS header: OS-specific state lives behind
 * the opaque types below.
 *
 * Conventions: functions return apr_status_t (APR_SUCCESS or an APR / PFZ_
 * error code); output parameters come first and the pool comes last; objects
 * allocated from a pool are released by destroying the pool or by their
 * explicit close/destroy function (idempotent).
 */
#ifndef PFZ_PLATFORM_H
#define PFZ_PLATFORM_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_file_io.h>
#include <apr_errno.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- clock */

/** Monotonic, system-wide clock in microseconds (comparable between processes). */
apr_uint64_t pfz__now_us(void);

/* ------------------------------------------------------- shared memory */

/** A file-backed shared-memory region (POSIX: temp file + mmap(MAP_SHARED);
 * Win32: temp file + CreateFileMapping/MapViewOfFile). The backing file is what
 * a worker inherits (fd 5 / the <mem> handle), so either side can re-map it
 * after the other has grown it. */
typedef struct pfz__shm pfz__shm_t;

/** Coordinator: creates a new region of `size` bytes (zero-filled) and maps it.
 * The backing file is never inheritable except through pfz__proc_spawn_worker. */
apr_status_t pfz__shm_create(pfz__shm_t **shm, apr_size_t size, apr_pool_t *pool);

/** Worker: maps the region inherited from the coordinator (fd 5 on POSIX, the
 * third handle of PORTFUZZ_WORKER_HANDLES on Win32), with the file's current size. */
apr_status_t pfz__shm_attach_inherited(pfz__shm_t **shm, apr_pool_t *pool);

/** Extends the backing file to `new_size` bytes and re-maps it; the base address
 * may change. Contents are kept. Shrinking is not supported (APR_EINVAL). */
apr_status_t pfz__shm_grow(pfz__shm_t *shm, apr_size_t new_size);

/** Re-maps the region with the backing file's current size (used by a worker
 * after the coordinator grew the file). A no-op when the size is unchanged. */
apr_status_t pfz__shm_remap(pfz__shm_t *shm);

/** Current mapping; NULL after pfz__shm_unmap / pfz__shm_close. */
void *pfz__shm_base(const pfz__shm_t *shm);
apr_size_t pfz__shm_size(const pfz__shm_t *shm);

/** Unmaps the view and closes the backing file (deleting it on the coordinator
 * side). Idempotent. Afterwards pfz__shm_base returns NULL. */
void pfz__shm_close(pfz__shm_t *shm);

/* ---------------------------------------------------------- processes */

typedef struct pfz__proc pfz__proc_t;

/** What a worker needs to start. */
typedef struct pfz__spawn {
    const char *exe;              /**< path of the executable (usually pfz__self_exe) */
    const char *const *argv;      /**< NULL-terminated, argv[0] included */
    const char *const *env_extra; /**< NULL-terminated "NAME=value" added to our environment, or NULL */
    pfz__shm_t *shm;              /**< region whose backing file the worker inherits */
    apr_file_t *output;           /**< write end of a pipe from pfz__output_pipe_create: the
                                       worker's stdout and stderr; NULL = inherit ours */
    /** > 0: the I/O timeout of our ends, where the platform can honour it
     * without losing data: POSIX both ends; Win32 the reply end only (APR
     * cancels a timed-out overlapped write without saying how much of it
     * went through; there a blocked write ends when the worker's job is
     * killed). 0: both block. */
    apr_interval_time_t io_slice_us;
    /** Out: on failure, the OS call that failed ("posix_spawn",
     * "CreateProcessW", ...; static text), or NULL when none did. The
     * platform layer prints nothing: the caller says what failed. */
    const char *failed_call;
} pfz__spawn_t;

/** Spawns `args->exe` in worker mode. Creates two pipes: the worker reads calls
 * on fd 3 and writes replies on fd 4, and gets the shared-memory file on fd 5
 * (POSIX; PORTFUZZ_WORKER=1 is set), or the three handles by value in
 * PORTFUZZ_WORKER_HANDLES=<in>,<out>,<mem> (Win32; hex; only these handles are
 * inherited). No other descriptor or handle of ours reaches the worker, even
 * when several threads spawn at once. Returns our ends: `calls` (write) and
 * `replies` (read), both owned by the caller (close with apr_file_close). */
apr_status_t pfz__proc_spawn_worker(pfz__proc_t **proc, apr_file_t **calls,
                                    apr_file_t **replies, pfz__spawn_t *args,
                                    apr_pool_t *pool);

/** Creates the pipe that carries a worker's stdout and stderr to us
 * (outcap.c). `*rd` is our end: reads honour apr_file_pipe_timeout_set, so a
 * reader can always stop, even while a descendant of the worker holds the
 * write end. `*wr` goes to pfz__proc_spawn_worker as pfz__spawn_t.output; the
 * child gets its own copy of it, so `*wr` itself is never inherited (POSIX:
 * both ends O_CLOEXEC from birth; Win32: neither handle inheritable). Both
 * are closed by destroying `pool`. */
apr_status_t pfz__output_pipe_create(apr_file_t **rd, apr_file_t **wr, apr_pool_t *pool);

/** How a process ended. */
typedef enum pfz__exit_kind {
    PFZ__EXIT_RUNNING = 0, /**< not ended yet */
    PFZ__EXIT_CODE,        /**< it returned / called exit(code) */
    PFZ__EXIT_SIGNAL,      /**< POSIX: killed by signal `code` */
    PFZ__EXIT_EXCEPTION    /**< Win32: ended by exception `code` (e.g. 0xC0000005) */
} pfz__exit_kind_e;

typedef struct pfz__exit {
    pfz__exit_kind_e kind;
    apr_uint32_t code;
    int crash;        /**< 1 when this ending looks like a crash (signal, exception, abort) */
    int killed;       /**< 1 when it ended by a hard kill (SIGKILL; Win32: pfz__proc_kill's
                           TerminateProcess), not by itself */
    char desc[96];    /**< e.g. "signal 11 (SIGSEGV)", "exception 0xC0000005 (access violation)" */
    long pid;         /**< the process's id (set by worker.c when it releases the process) */
} pfz__exit_t;

/** Waits up to `timeout` microseconds (< 0: forever) for the process to end.
 * Returns APR_SUCCESS and fills *how, or APR_TIMEUP if it is still running.
 * Reaps the process; later calls return the same result. */
apr_status_t pfz__proc_wait(pfz__proc_t *proc, apr_interval_time_t timeout, pfz__exit_t *how);

/** Kills the process hard (SIGKILL / TerminateProcess). Safe to call on an
 * already-ended process and from any thread. */
apr_status_t pfz__proc_kill(pfz__proc_t *proc);

/** Why the coordinator asks a worker for its stack. */
typedef enum pfz__stack_reason {
    PFZ__STACK_TIMEOUT = 1, /**< one execution ran past -timeout */
    PFZ__STACK_OOM = 2      /**< the worker's memory passed -rss_limit_mb */
} pfz__stack_reason_e;

/** Asks a worker to print the stack of the thread that runs the fuzz target
 * (to its output, for the report and the signature) and then to stand still
 * until it is killed; returns without waiting. The worker holds the input it
 * ran unchanged (it does not go on), but the caller must still kill it after
 * a short grace. POSIX: a signal (PFZ__STACK_SIGNAL in src/posix/posix.h)
 * that the worker honours only from its parent; Win32: a named event of
 * the worker's (Local\portfuzz-stack-<pid>-<why>). An error (APR_ENOTIMPL,
 * or a worker that cannot be asked, e.g. one still starting)
 * means the caller kills at once. Safe on an ended process (APR_SUCCESS,
 * nothing sent) and from any thread. */
apr_status_t pfz__proc_request_stack(pfz__proc_t *proc, pfz__stack_reason_e why);

/** Reproduction (single-input mode), from a thread other than the target's:
 * prints the stack of the thread that runs the target, as a stack request
 * from a coordinator does (the report lines a timeout's crash state is read
 * from), and returns once it is printed, or after about 2 s. The target's
 * thread is left stopped (Win32) or held (POSIX): the caller ends the
 * process next. Needs pfz__reproduce_process_setup. */
void pfz__print_target_stack(pfz__stack_reason_e why);

/** Resident memory of the running process in bytes. */
apr_status_t pfz__proc_rss(pfz__proc_t *proc, apr_uint64_t *rss_bytes);

/** Process id, for messages. */
long pfz__proc_pid(const pfz__proc_t *proc);

/** Waits for (kills first if needed) and releases the process. Idempotent. */
void pfz__proc_destroy(pfz__proc_t *proc);

/* ----------------------------------------------------- worker process side */

/** 1 when this process was started as a worker by pfz__proc_spawn_worker. */
int pfz__is_worker(void);

/** Worker: takes the inherited call/reply channels (reads calls, writes replies).
 * Fails with a message-worthy status if they are missing or not pipes. */
apr_status_t pfz__worker_channels(apr_file_t **calls, apr_file_t **replies, apr_pool_t *pool);

/** Worker: process-wide set-up before fuzzing: ignore SIGINT/SIGTERM from the
 * terminal (the coordinator decides), die with the coordinator, no error
 * dialogs (Win32), unhandled-exception reporter (Win32). */
void pfz__worker_process_setup(void);

/* ------------------------------------------------ reproduction, reports */

/** Reproduction (input files run in this process): reports a deadly signal /
 * unhandled exception as a worker does ("==PID== ERROR: libFuzzer: deadly
 * signal" and the stack), then ends the process with `crash_exit_code`
 * (POSIX; Win32 ends with the exception code, as its workers do). */
void pfz__reproduce_process_setup(int crash_exit_code);

/** Prints the calling thread's stack, in the sanitizers' frame format, from
 * the caller's frame (with skip = 0; skip = 1 starts at the caller's caller,
 * and so on) down to the frame of the fuzz target's entry (see
 * pfz__stack_set_bottom): the engine's own frames are not printed. For
 * reports made from a hook in the target's thread (exit(), the malloc
 * limit). */
void pfz__print_stack_here(int skip);

/** The function whose frame is the last one a printed stack shows (the
 * fuzz target's entry, LLVMFuzzerTestOneInput): the frames below it are the
 * engine's, and crash de-duplication (ours and ClusterFuzz's) must see the
 * target's frames only, as with libFuzzer. NULL: print every frame. */
void pfz__stack_set_bottom(const void *fn);

/** Worker: a stack the coordinator requests (a timeout, an OOM) is not
 * sampled while the target's thread runs code in [lo, hi) -- the engine's
 * coverage callbacks, which a spinning target calls in every iteration --
 * but a moment later, so that two samples of one hang give the same frames
 * (Win32, where the frames have no names; POSIX samples in a signal handler
 * and its frames are named: nothing to do). */
void pfz__stack_skip_range(uintptr_t lo, uintptr_t hi);

/** Resident memory of this process in bytes. */
apr_status_t pfz__self_rss(apr_uint64_t *rss_bytes);

/** This process's id. */
long pfz__self_pid(void);

/* ------------------------------------------------------------ misc */

/** Absolute path of the running executable. */
apr_status_t pfz__self_exe(char **path, apr_pool_t *pool);

/** Installs the coordinator's Ctrl-C / SIGINT / SIGTERM (Ctrl-Break) handler;
 * afterwards pfz__interrupted() returns the signal number (or 1) once one came. */
apr_status_t pfz__interrupt_install(void);
int pfz__interrupted(void);

/** Number of online CPUs (>= 1). */
int pfz__cpu_count(void);

/** Directory for temporary files (TMPDIR / GetTempPath). */
const char *pfz__temp_dir(apr_pool_t *pool);

/** Writes `len` bytes to fd 2 / the standard error handle without locks or
 * allocation (usable from a signal or exception handler). */
void pfz__raw_stderr(const char *msg, apr_size_t len);

/* ------------------------------------------------ fault injection (tests) */

/** A system call of the platform layer, as a generic function pointer. */
typedef void (*pfz__syscall_fn)(void);

/** Tests only: makes the platform layer call `fn` (same signature as the
 * real call; set errno / SetLastError as the real one would) instead of the
 * system call `name`, or the real one again when fn is NULL. POSIX names:
 * "posix_spawn", "pipe" (int (*)(int[2]), both ends close-on-exec),
 * "ftruncate", "posix_fallocate", "mmap". Win32: "CreateProcessW",
 * "CreateFileMappingW", "MapViewOfFile". APR_NOTFOUND for any other name.
 * Not synchronised: change entries only while no other thread uses them. */
apr_status_t pfz__syscall_set(const char *name, pfz__syscall_fn fn);

/* ------------------------------------------------- leak detection (LSan) */

typedef void (*pfz__malloc_hook_fn)(const volatile void *ptr, apr_size_t size);
typedef void (*pfz__free_hook_fn)(const volatile void *ptr);

/** Installs allocation hooks when the process runs under a sanitizer that
 * offers them (ASan/LSan); returns 1 if installed, 0 if not available
 * (uninstrumented builds, Windows). */
int pfz__leak_hooks_install(pfz__malloc_hook_fn m, pfz__free_hook_fn f);

/** Like pfz__leak_hooks_install, for any sanitizer runtime with allocation
 * hooks (LeakSanitizer not needed): -malloc_limit_mb. 1 if installed. */
int pfz__malloc_hooks_install(pfz__malloc_hook_fn m, pfz__free_hook_fn f);

/** Runs LeakSanitizer's recoverable leak check (its report goes to stderr);
 * returns 1 if leaks were found, 0 if none or if LSan is not linked in. */
int pfz__leak_check(void);

/** Defined by the libc compare interception (src/posix/intercept.c: 1) or its
 * absence (Windows: 0). main.c reads it so that the fuzzer executable, and
 * only it, links the interception from the static library. */
extern const int pfz__intercept_linked;

/** Platform-specific sanitizer exit codes and crash decoration are not needed
 * here: the common layer treats any non-zero exit of a worker as a finding. */

#ifdef __cplusplus
}
#endif
#endif /* PFZ_PLATFORM_H */
