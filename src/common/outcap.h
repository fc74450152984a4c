/* outcap.h -- capture of one worker's output (stdout and stderr, every process
 * the worker slot runs in turn): a pipe the worker writes into, a pump thread
 * that empties it, and a ring buffer holding the last bytes written.
 *
 * Why a ring in memory, not a file: what matters after a crash is the *end*
 * of the output (the sanitizer report comes last, often after megabytes of the
 * target's own chatter), the cap must hold as the bytes arrive (a file cut
 * back once a second fills a disk in between), and nothing may be left behind
 * when the coordinator is killed (a ring has no name in TMPDIR).
 *
 * Threads: the pump thread reads the pipe; any thread may call reset,
 * snapshot and write_end; destroy runs once, after every process writing into
 * the pipe was spawned (it does not wait for them to end).
 */
#ifndef PFZ_OUTCAP_H
#define PFZ_OUTCAP_H

#include "common.h"

/** Bytes of output kept per worker: the last ones written. A sanitizer report
 * is a few KiB; this leaves room for the target's last words around it. */
#define PFZ__OUTCAP_RING (1u << 20)

typedef struct pfz__outcap pfz__outcap_t;

/** Creates the pipe, the ring (`ring_size` bytes; 0 = PFZ__OUTCAP_RING) and
 * starts the pump thread. Destroying `pool` destroys the capture too. Call it
 * from the thread that owns `pool` (the capture then allocates only from its
 * own subpool, so pool itself is never touched by another thread). */
apr_status_t pfz__outcap_create(pfz__outcap_t **oc, size_t ring_size, apr_pool_t *pool);

/** The write end of the pipe, for pfz__spawn_t.output (it stays ours). */
apr_file_t *pfz__outcap_write_end(pfz__outcap_t *oc);

/** A new process is about to start: whatever the previous one left in the
 * pipe is read and dropped (bounded), and the ring is emptied, so that after
 * a crash the ring holds only the crashing process's output. */
void pfz__outcap_reset(pfz__outcap_t *oc);

/** What the ring holds, after first reading what is already in the pipe
 * (bounded: an endless writer cannot hold it up for long): a copy in `pool`,
 * NUL-terminated (*len excludes the NUL), and in *dropped how many earlier
 * bytes since the last reset fell out of the ring (dropped may be NULL). */
void pfz__outcap_snapshot(pfz__outcap_t *oc, char **text, size_t *len, apr_uint64_t *dropped,
                          apr_pool_t *pool);

/** Stops the pump (within about PUMP_TIMEOUT, whatever the worker's
 * descendants do with the write end), closes both ends and frees the ring.
 * Idempotent; NULL is fine. */
void pfz__outcap_destroy(pfz__outcap_t *oc);

#endif
