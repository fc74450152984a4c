/* rpc.h -- the binary RPC between a coordinator and a worker.
 *
 * Frames travel over two pipes (calls in, replies out). A frame is a 16-byte
 * header -- magic "PFZR" (u32), version (u16), type (u16), payload length
 * (u32), CRC-32 of the header's first 12 bytes and the payload (u32) --
 * followed by the payload. Every integer is little-endian. The decoder never
 * trusts a length: every field is bounds-checked against the frame, the
 * payload against PFZ__RPC_MAX_PAYLOAD, and trailing bytes are an error; the
 * CRC makes any corruption of a frame an error, not a different call.
 * Input bytes never travel here: they are in shared memory.
 */
#ifndef PFZ_RPC_H
#define PFZ_RPC_H

#include <apr_file_io.h>

#include "common.h"

#define PFZ__RPC_MAGIC 0x525a4650u /* "PFZR" */
#define PFZ__RPC_VERSION 2u
#define PFZ__RPC_HEADER 16u
#define PFZ__RPC_MAX_PAYLOAD (64u << 20)
#define PFZ__RPC_MAX_FEATURES (PFZ__RPC_MAX_PAYLOAD / 4u - 64u)
#define PFZ__RPC_MAX_ERR 4096u

/* Call types; a reply carries the type of its call with PFZ__RPC_REPLY set. */
enum {
    PFZ__CALL_PING = 1,
    PFZ__CALL_FUZZ = 2,     /* mutate and run for a time budget / exec limit */
    PFZ__CALL_RUN = 3,      /* run the value once, reply with all its features */
    PFZ__CALL_MINIMIZE = 4  /* try smaller variants of the value (see worker_server.c) */
};
#define PFZ__RPC_REPLY 0x8000u

/* Call flags. */
#define PFZ__FUZZF_WARMUP 1u        /* the inbox holds seed inputs: no mutation yet */
#define PFZ__FUZZF_VALUE_PROFILE 2u /* -use_value_profile=1 */
#define PFZ__FUZZF_ONLY_ASCII 4u    /* -only_ascii=1 */
#define PFZ__FUZZF_MIN_CRASH 8u     /* minimize: keep variants that crash */
#define PFZ__FUZZF_REDUCE 16u       /* -reduce_inputs=1: report smaller same-coverage inputs */

/* Reply status. */
enum {
    PFZ__RS_OK = 0,        /* budget used up; nothing to report */
    PFZ__RS_NEW_INPUT = 1, /* the value in shared memory adds the features listed */
    PFZ__RS_ERROR = 2,     /* the worker could not do the call; see err */
    PFZ__RS_LEAK = 3,      /* the value leaks memory (LeakSanitizer) */
    PFZ__RS_REDUCE = 4,    /* the value is smaller than corpus entry `entry` (the
                              one it was mutated from) and reaches every feature
                              that entry owns: it may replace it */
    PFZ__RS_REJECTED = 5   /* RUN: the target returned -1 ("do not add this
                              input to the corpus") */
};
#define PFZ__RS_LAST PFZ__RS_REJECTED

/** A growable array of uint32 (malloc-backed; reused across calls). */
typedef struct pfz__u32vec {
    uint32_t *v;
    size_t n, cap;
} pfz__u32vec_t;

apr_status_t pfz__u32vec_reserve(pfz__u32vec_t *vec, size_t cap);
apr_status_t pfz__u32vec_push(pfz__u32vec_t *vec, uint32_t x);
void pfz__u32vec_free(pfz__u32vec_t *vec);

typedef struct pfz__call {
    uint32_t type;
    uint32_t flags;          /* PFZ__FUZZF_* */
    uint64_t seed;           /* RNG seed for this call */
    uint64_t time_budget_us; /* stop after this long (0: no limit) */
    uint64_t exec_limit;     /* stop after this many executions (0: no limit) */
    uint32_t max_len;        /* longest input to produce */
    uint32_t inbox_count;    /* corpus entries in the shared inbox */
    pfz__u32vec_t features;  /* global features added since this worker's last call */
} pfz__call_t;

typedef struct pfz__reply {
    uint32_t type;
    uint32_t status;        /* PFZ__RS_* */
    uint64_t execs;         /* executions done by the call */
    uint64_t elapsed_us;
    uint64_t exec_us;       /* duration of the execution of the value (NEW_INPUT/RUN) */
    uint32_t entry;         /* REDUCE: index of the corpus entry the value replaces */
    pfz__u32vec_t features; /* NEW_INPUT: the new features; RUN: all features */
    char err[PFZ__RPC_MAX_ERR];
} pfz__reply_t;

/** Scratch buffer for encoding and reading frames (malloc-backed; reused). */
typedef struct pfz__rpc_buf {
    uint8_t *data;
    size_t len, cap;
} pfz__rpc_buf_t;

void pfz__rpc_buf_free(pfz__rpc_buf_t *b);

/** CRC-32 (IEEE 802.3), continuing from crc (start with 0). */
uint32_t pfz__crc32(uint32_t crc, const uint8_t *p, size_t len);

/* Encoding into b (replacing its contents) and decoding a whole frame. */
apr_status_t pfz__rpc_encode_call(pfz__rpc_buf_t *b, const pfz__call_t *c);
apr_status_t pfz__rpc_encode_reply(pfz__rpc_buf_t *b, const pfz__reply_t *r);
apr_status_t pfz__rpc_decode_call(const uint8_t *frame, size_t len, pfz__call_t *c);
apr_status_t pfz__rpc_decode_reply(const uint8_t *frame, size_t len, pfz__reply_t *r);

/** Asked by the coordinator's stream I/O each time a read or write of a
 * pipe with a timeout has made no progress for that long: APR_SUCCESS to keep
 * waiting, any other status to give up with it. */
typedef struct pfz__rpc_wait {
    apr_status_t (*fn)(void *ctx);
    void *ctx;
} pfz__rpc_wait_t;

/* Stream I/O: one frame per call. A clean end of stream before the first byte
 * returns APR_EOF; a stream that ends inside a frame, or a malformed frame,
 * returns PFZ_EPROTO. `wait` may be NULL (then a timeout just retries). */
apr_status_t pfz__rpc_write_call(apr_file_t *f, pfz__rpc_buf_t *b, const pfz__call_t *c,
                                 const pfz__rpc_wait_t *wait);
apr_status_t pfz__rpc_write_reply(apr_file_t *f, pfz__rpc_buf_t *b, const pfz__reply_t *r);
apr_status_t pfz__rpc_read_call(apr_file_t *f, pfz__rpc_buf_t *b, pfz__call_t *c);
apr_status_t pfz__rpc_read_reply(apr_file_t *f, pfz__rpc_buf_t *b, pfz__reply_t *r,
                                 const pfz__rpc_wait_t *wait);

#endif
