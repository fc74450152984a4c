/* test-rpc.c -- the RPC codec: round trips, and every truncation or corruption
 * of a frame is an error. */
#include <stdlib.h>
#include <string.h>

#include "tests.h"
#include "rpc.h"

static void make_call(pfz__call_t *c)
{
    uint32_t i;

    memset(c, 0, sizeof *c);
    c->type = PFZ__CALL_FUZZ;
    c->flags = PFZ__FUZZF_VALUE_PROFILE;
    c->seed = 0x0123456789abcdefull;
    c->time_budget_us = 100000;
    c->exec_limit = 77;
    c->max_len = 4096;
    c->inbox_count = 3;
    for (i = 0; i < 5; i++)
        pfz__u32vec_push(&c->features, i * 1000003u);
}

static void make_reply(pfz__reply_t *r)
{
    memset(r, 0, sizeof *r);
    r->type = PFZ__CALL_FUZZ;
    r->status = PFZ__RS_REDUCE;
    r->entry = 0x01020304u;
    r->execs = 123456;
    r->elapsed_us = 99999;
    r->exec_us = 17;
    pfz__u32vec_push(&r->features, 42);
    pfz__u32vec_push(&r->features, 0xffffffffu);
    strcpy(r->err, "all fine");
}

static void test_crc32(void)
{
    CU_ASSERT_EQUAL(pfz__crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    CU_ASSERT_EQUAL(pfz__crc32(pfz__crc32(0, (const uint8_t *)"1234", 4), (const uint8_t *)"56789", 5),
                    0xCBF43926u);
}

static void test_call_round_trip(void)
{
    pfz__call_t c, d;
    pfz__rpc_buf_t b = {0};

    make_call(&c);
    memset(&d, 0, sizeof d);
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_encode_call(&b, &c), APR_SUCCESS);
    CU_ASSERT_EQUAL(b.len, PFZ__RPC_HEADER + 36 + 4 + 5 * 4);
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_decode_call(b.data, b.len, &d), APR_SUCCESS);
    CU_ASSERT_EQUAL(d.type, c.type);
    CU_ASSERT_EQUAL(d.flags, c.flags);
    CU_ASSERT(d.seed == c.seed);
    CU_ASSERT(d.time_budget_us == c.time_budget_us);
    CU_ASSERT(d.exec_limit == c.exec_limit);
    CU_ASSERT_EQUAL(d.max_len, c.max_len);
    CU_ASSERT_EQUAL(d.inbox_count, c.inbox_count);
    CU_ASSERT_EQUAL_FATAL(d.features.n, 5);
    CU_ASSERT_EQUAL(memcmp(d.features.v, c.features.v, 5 * sizeof(uint32_t)), 0);
    /* An empty feature list too. */
    c.features.n = 0;
    CU_ASSERT_EQUAL(pfz__rpc_encode_call(&b, &c), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__rpc_decode_call(b.data, b.len, &d), APR_SUCCESS);
    CU_ASSERT_EQUAL(d.features.n, 0);
    pfz__u32vec_free(&c.features);
    pfz__u32vec_free(&d.features);
    pfz__rpc_buf_free(&b);
}

static void test_reply_round_trip(void)
{
    pfz__reply_t *r = calloc(1, sizeof *r), *q = calloc(1, sizeof *q);
    pfz__rpc_buf_t b = {0};

    make_reply(r);
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_encode_reply(&b, r), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_decode_reply(b.data, b.len, q), APR_SUCCESS);
    CU_ASSERT_EQUAL(q->type, r->type);
    CU_ASSERT_EQUAL(q->status, r->status);
    CU_ASSERT(q->execs == r->execs && q->elapsed_us == r->elapsed_us && q->exec_us == r->exec_us);
    CU_ASSERT_EQUAL(q->entry, 0x01020304u);
    CU_ASSERT_EQUAL_FATAL(q->features.n, 2);
    CU_ASSERT_EQUAL(q->features.v[1], 0xffffffffu);
    CU_ASSERT_STRING_EQUAL(q->err, "all fine");
    /* An unknown status is rejected by both sides. */
    r->status = PFZ__RS_LAST + 1;
    CU_ASSERT_EQUAL(pfz__rpc_encode_reply(&b, r), APR_EINVAL);
    r->status = PFZ__RS_REDUCE;
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_encode_reply(&b, r), APR_SUCCESS);
    /* A call frame is not a reply and vice versa. */
    CU_ASSERT_EQUAL(pfz__rpc_decode_call(b.data, b.len, &(pfz__call_t){0}), PFZ_EPROTO);
    pfz__u32vec_free(&r->features);
    pfz__u32vec_free(&q->features);
    pfz__rpc_buf_free(&b);
    free(r);
    free(q);
}

/* Every proper prefix, every single-bit flip and every byte value at every
 * position must be rejected. */
static void test_truncation_and_corruption(void)
{
    pfz__call_t c, d;
    pfz__reply_t *r = calloc(1, sizeof *r), *q = calloc(1, sizeof *q);
    pfz__rpc_buf_t b = {0};
    uint8_t *copy;
    size_t len, i, bit;
    int bad_accepted = 0;

    make_call(&c);
    memset(&d, 0, sizeof d);
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_encode_call(&b, &c), APR_SUCCESS);
    len = b.len;
    copy = malloc(len + 8);
    for (i = 0; i < len; i++)
        if (pfz__rpc_decode_call(b.data, i, &d) == APR_SUCCESS)
            bad_accepted++;
    for (i = 0; i < len; i++)
        for (bit = 0; bit < 8; bit++) {
            memcpy(copy, b.data, len);
            copy[i] ^= (uint8_t)(1u << bit);
            if (pfz__rpc_decode_call(copy, len, &d) == APR_SUCCESS)
                bad_accepted++;
        }
    /* Trailing garbage. */
    memcpy(copy, b.data, len);
    copy[len] = 0;
    if (pfz__rpc_decode_call(copy, len + 1, &d) == APR_SUCCESS)
        bad_accepted++;
    CU_ASSERT_EQUAL(bad_accepted, 0);

    make_reply(r);
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_encode_reply(&b, r), APR_SUCCESS);
    len = b.len;
    copy = realloc(copy, len + 8);
    for (i = 0; i < len; i++)
        if (pfz__rpc_decode_reply(b.data, i, q) == APR_SUCCESS)
            bad_accepted++;
    for (i = 0; i < len; i++)
        for (bit = 0; bit < 8; bit++) {
            memcpy(copy, b.data, len);
            copy[i] ^= (uint8_t)(1u << bit);
            if (pfz__rpc_decode_reply(copy, len, q) == APR_SUCCESS)
                bad_accepted++;
        }
    CU_ASSERT_EQUAL(bad_accepted, 0);
    free(copy);
    pfz__u32vec_free(&c.features);
    pfz__u32vec_free(&d.features);
    pfz__u32vec_free(&r->features);
    pfz__u32vec_free(&q->features);
    pfz__rpc_buf_free(&b);
    free(r);
    free(q);
}

/* A header claiming a huge payload is rejected without allocating it; so is a
 * feature count larger than the frame. */
static void test_lying_lengths(void)
{
    pfz__call_t c, d;
    pfz__rpc_buf_t b = {0};

    make_call(&c);
    memset(&d, 0, sizeof d);
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_encode_call(&b, &c), APR_SUCCESS);
    pfz__put_u32(b.data + 8, 0xfffffff0u);
    CU_ASSERT_EQUAL(pfz__rpc_decode_call(b.data, b.len, &d), PFZ_EPROTO);
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_encode_call(&b, &c), APR_SUCCESS);
    pfz__put_u32(b.data + PFZ__RPC_HEADER + 36, 0x40000000u); /* feature count */
    CU_ASSERT_EQUAL(pfz__rpc_decode_call(b.data, b.len, &d), PFZ_EPROTO);
    /* Wrong magic / version / unknown type. */
    CU_ASSERT_EQUAL_FATAL(pfz__rpc_encode_call(&b, &c), APR_SUCCESS);
    b.data[0] ^= 1;
    CU_ASSERT_EQUAL(pfz__rpc_decode_call(b.data, b.len, &d), PFZ_EPROTO);
    c.type = 99;
    CU_ASSERT_NOT_EQUAL(pfz__rpc_encode_call(&b, &c), APR_SUCCESS);
    pfz__u32vec_free(&c.features);
    pfz__u32vec_free(&d.features);
    pfz__rpc_buf_free(&b);
}

/* Frames through a real pipe: a whole frame reads back; a stream cut inside a
 * frame is a protocol error; a clean end is APR_EOF. */
static void test_stream(void)
{
    apr_file_t *rd, *wr;
    pfz__call_t c, d;
    pfz__rpc_buf_t b = {0}, rb = {0};
    apr_size_t n;

    make_call(&c);
    memset(&d, 0, sizeof d);
    CU_ASSERT_EQUAL_FATAL(apr_file_pipe_create(&rd, &wr, pfz_test_pool), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__rpc_write_call(wr, &b, &c, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(pfz__rpc_read_call(rd, &rb, &d), APR_SUCCESS);
    CU_ASSERT_EQUAL(d.exec_limit, 77);
    /* Half a frame, then end of stream. */
    CU_ASSERT_EQUAL(pfz__rpc_encode_call(&b, &c), APR_SUCCESS);
    n = b.len / 2;
    CU_ASSERT_EQUAL(apr_file_write_full(wr, b.data, n, NULL), APR_SUCCESS);
    apr_file_close(wr);
    CU_ASSERT_EQUAL(pfz__rpc_read_call(rd, &rb, &d), PFZ_EPROTO);
    apr_file_close(rd);
    CU_ASSERT_EQUAL_FATAL(apr_file_pipe_create(&rd, &wr, pfz_test_pool), APR_SUCCESS);
    apr_file_close(wr);
    CU_ASSERT_EQUAL(pfz__rpc_read_call(rd, &rb, &d), APR_EOF);
    apr_file_close(rd);
    pfz__u32vec_free(&c.features);
    pfz__u32vec_free(&d.features);
    pfz__rpc_buf_free(&b);
    pfz__rpc_buf_free(&rb);
}

void pfz_test_register_rpc(void)
{
    CU_pSuite s = pfz_test_suite("rpc");
    PFZ_TEST_ADD(s, test_crc32);
    PFZ_TEST_ADD(s, test_call_round_trip);
    PFZ_TEST_ADD(s, test_reply_round_trip);
    PFZ_TEST_ADD(s, test_truncation_and_corruption);
    PFZ_TEST_ADD(s, test_lying_lengths);
    PFZ_TEST_ADD(s, test_stream);
}
