/* wire.h -- the contract between a coordinator and its worker processes.
 *
 * Everything a worker and its coordinator must agree on lives here: the file
 * descriptor numbers, the environment variables, and the layout of the
 * shared-memory region. The RPC frames are described in rpc.h.
 * Both sides are always the same executable, but the layout is still
 * versioned so a stale worker can never misread a region.
 */
#ifndef PFZ_WIRE_H
#define PFZ_WIRE_H

#include <stdint.h>

/* POSIX: PORTFUZZ_WORKER=1 selects worker mode; the channels are fixed fds. */
#define PFZ__ENV_WORKER "PORTFUZZ_WORKER"
#define PFZ__FD_CALLS 3   /* worker reads calls */
#define PFZ__FD_REPLIES 4 /* worker writes replies */
#define PFZ__FD_SHM 5     /* shared-memory backing file */

/* Win32: PORTFUZZ_WORKER_HANDLES=<calls>,<replies>,<mem>, each handle value in
 * hexadecimal without 0x (e.g. "1a4,1b0,1c8"); the handles are inheritable. */
#define PFZ__ENV_HANDLES "PORTFUZZ_WORKER_HANDLES"

#define PFZ__SHM_MAGIC 0x535a4650u /* "PFZS" little-endian */
#define PFZ__SHM_VERSION 3u

/* Shared-memory header. Fixed-width fields, no pointers; always at offset 0.
 * The value (the current input) follows at PFZ__SHM_VALUE_OFFSET, then the
 * inbox (corpus entries the coordinator hands to the worker, see rpc.h).
 *
 * Who writes what:
 *   magic, version, region_size, value_capacity, inbox_*: the coordinator,
 *     between calls (the worker is idle, blocked reading its call pipe);
 *   value_len + value bytes: the coordinator before a call (the base input),
 *     the worker during a call (each input, written BEFORE it runs);
 *   exec_count, exec_seq: the worker during a call.
 * exec_seq is the heartbeat the coordinator's watchdog reads: the worker makes
 * it odd right before the target runs and even right after, so "odd and
 * unchanged for longer than -timeout" means a hang. 64-bit aligned stores. */
typedef struct pfz__shm_hdr {
    uint32_t magic;
    uint32_t version;
    uint64_t region_size;     /* bytes of the whole backing file */
    uint64_t value_capacity;  /* bytes reserved for the value */
    volatile uint64_t value_len;
    volatile uint64_t exec_count; /* executions in the current call */
    volatile uint64_t exec_seq;   /* heartbeat, see above */
    uint64_t inbox_offset;    /* from the start of the region */
    uint64_t inbox_capacity;
    uint64_t inbox_len;       /* bytes used by the entries of the current call */
    uint64_t flags;           /* PFZ__SHMF_* */
    uint64_t reserved[6];
} pfz__shm_hdr_t;

#define PFZ__SHM_VALUE_OFFSET 128u
#define PFZ__SHMF_MINIMIZING 1u   /* the value is a minimization candidate */
#define PFZ__SHMF_CHANNEL_LOST 2u /* worker: the target closed or replaced fd 3/4
                                     (the handles); the value is the input it ran */

/* An inbox record (little-endian): entry index (u32), data length (u32),
 * number of owned features (u32), number of features the entry reaches (u32,
 * 0: unknown, the worker runs the entry to learn them), the duration of the
 * execution that measured them (u32, microseconds, 0: unknown), the owned
 * features (u32 each), the features (u32 each), the data.
 * Index == the worker's entry count appends an entry; a smaller index replaces
 * that entry (a REDUCE); anything else is a protocol error. */
#define PFZ__INBOX_RECORD_FIXED 20u

/* A RUN call with an inbox runs its records' data, one by one (the corpus at
 * start-up, in batches); in the reply's features, an input that the target
 * rejected (returned -1) has this instead of its feature count. */
#define PFZ__BATCH_REJECTED 0xffffffffu

/* Layout helpers. */
#define PFZ__SHM_VALUE(hdr) ((uint8_t *)(hdr) + PFZ__SHM_VALUE_OFFSET)
#define PFZ__SHM_INBOX(hdr) ((uint8_t *)(hdr) + (hdr)->inbox_offset)

#endif /* PFZ_WIRE_H */
