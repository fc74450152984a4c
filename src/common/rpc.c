/* rpc.c -- encoder and bounds-checked decoder of the coordinator/worker RPC.
 * See rpc.h for the frame format. */
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

/* ------------------------------------------------------------- vectors */

apr_status_t pfz__u32vec_reserve(pfz__u32vec_t *vec, size_t cap)
{
    uint32_t *v;

    if (cap <= vec->cap)
        return APR_SUCCESS;
    if (cap < 2 * vec->cap)
        cap = 2 * vec->cap;
    if (cap < 64)
        cap = 64;
    v = realloc(vec->v, cap * sizeof *v);
    if (v == NULL)
        return APR_ENOMEM;
    vec->v = v;
    vec->cap = cap;
    return APR_SUCCESS;
}

apr_status_t pfz__u32vec_push(pfz__u32vec_t *vec, uint32_t x)
{
    apr_status_t st = pfz__u32vec_reserve(vec, vec->n + 1);

    if (st == APR_SUCCESS)
        vec->v[vec->n++] = x;
    return st;
}

void pfz__u32vec_free(pfz__u32vec_t *vec)
{
    free(vec->v);
    vec->v = NULL;
    vec->n = vec->cap = 0;
}

void pfz__rpc_buf_free(pfz__rpc_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static apr_status_t buf_reserve(pfz__rpc_buf_t *b, size_t cap)
{
    uint8_t *d;

    if (cap <= b->cap)
        return APR_SUCCESS;
    if (cap < 2 * b->cap)
        cap = 2 * b->cap;
    if (cap < 256)
        cap = 256;
    d = realloc(b->data, cap);
    if (d == NULL)
        return APR_ENOMEM;
    b->data = d;
    b->cap = cap;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------- CRC-32 */

/* Nibble-table CRC: a constant 16-entry table, so no lazy initialisation is
 * shared between threads. */
uint32_t pfz__crc32(uint32_t crc, const uint8_t *p, size_t len)
{
    static const uint32_t nib[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
        0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
    size_t i;

    crc = ~crc;
    for (i = 0; i < len; i++) {
        crc ^= p[i];
        crc = nib[crc & 15] ^ (crc >> 4);
        crc = nib[crc & 15] ^ (crc >> 4);
    }
    return ~crc;
}

static uint32_t frame_crc(const uint8_t *frame, size_t payload)
{
    return pfz__crc32(pfz__crc32(0, frame, 12), frame + PFZ__RPC_HEADER, payload);
}

/* ------------------------------------------------------------- encoding */

static void put_header(uint8_t *p, uint32_t type, uint32_t payload)
{
    pfz__put_u32(p, PFZ__RPC_MAGIC);
    p[4] = (uint8_t)PFZ__RPC_VERSION;
    p[5] = (uint8_t)(PFZ__RPC_VERSION >> 8);
    p[6] = (uint8_t)type;
    p[7] = (uint8_t)(type >> 8);
    pfz__put_u32(p + 8, payload);
}

static void put_features(uint8_t *p, const pfz__u32vec_t *f)
{
    size_t i;

    pfz__put_u32(p, (uint32_t)f->n);
    for (i = 0; i < f->n; i++)
        pfz__put_u32(p + 4 + 4 * i, f->v[i]);
}

#define CALL_FIXED (4 + 8 + 8 + 8 + 4 + 4)

apr_status_t pfz__rpc_encode_call(pfz__rpc_buf_t *b, const pfz__call_t *c)
{
    size_t payload, nf = c->features.n;
    uint8_t *p;
    apr_status_t st;

    if (c->type < PFZ__CALL_PING || c->type > PFZ__CALL_MINIMIZE)
        return APR_EINVAL;
    if (nf > PFZ__RPC_MAX_FEATURES)
        return PFZ_ETOOBIG;
    payload = CALL_FIXED + 4 + 4 * nf;
    if ((st = buf_reserve(b, PFZ__RPC_HEADER + payload)) != APR_SUCCESS)
        return st;
    p = b->data;
    put_header(p, c->type, (uint32_t)payload);
    p += PFZ__RPC_HEADER;
    pfz__put_u32(p, c->flags);
    pfz__put_u64(p + 4, c->seed);
    pfz__put_u64(p + 12, c->time_budget_us);
    pfz__put_u64(p + 20, c->exec_limit);
    pfz__put_u32(p + 28, c->max_len);
    pfz__put_u32(p + 32, c->inbox_count);
    put_features(p + CALL_FIXED, &c->features);
    b->len = PFZ__RPC_HEADER + payload;
    pfz__put_u32(b->data + 12, frame_crc(b->data, payload));
    return APR_SUCCESS;
}

#define REPLY_FIXED (4 + 8 + 8 + 8 + 4)

apr_status_t pfz__rpc_encode_reply(pfz__rpc_buf_t *b, const pfz__reply_t *r)
{
    size_t nf = r->features.n, errlen = strnlen(r->err, PFZ__RPC_MAX_ERR - 1), payload;
    uint8_t *p;
    apr_status_t st;

    if (r->type < PFZ__CALL_PING || r->type > PFZ__CALL_MINIMIZE || r->status > PFZ__RS_LAST)
        return APR_EINVAL;
    if (nf > PFZ__RPC_MAX_FEATURES)
        return PFZ_ETOOBIG;
    payload = REPLY_FIXED + 4 + 4 * nf + 4 + errlen;
    if ((st = buf_reserve(b, PFZ__RPC_HEADER + payload)) != APR_SUCCESS)
        return st;
    p = b->data;
    put_header(p, r->type | PFZ__RPC_REPLY, (uint32_t)payload);
    p += PFZ__RPC_HEADER;
    pfz__put_u32(p, r->status);
    pfz__put_u64(p + 4, r->execs);
    pfz__put_u64(p + 12, r->elapsed_us);
    pfz__put_u64(p + 20, r->exec_us);
    pfz__put_u32(p + 28, r->entry);
    p += REPLY_FIXED;
    put_features(p, &r->features);
    p += 4 + 4 * nf;
    pfz__put_u32(p, (uint32_t)errlen);
    memcpy(p + 4, r->err, errlen);
    b->len = PFZ__RPC_HEADER + payload;
    pfz__put_u32(b->data + 12, frame_crc(b->data, payload));
    return APR_SUCCESS;
}

/* ------------------------------------------------------------- decoding */

/* Checks the header; returns the payload length in *payload. */
static apr_status_t check_header(const uint8_t *frame, size_t len, int want_reply,
                                 uint32_t *type, size_t *payload)
{
    uint32_t t, n;

    if (len < PFZ__RPC_HEADER)
        return PFZ_EPROTO;
    if (pfz__get_u32(frame) != PFZ__RPC_MAGIC)
        return PFZ_EPROTO;
    if ((uint32_t)(frame[4] | frame[5] << 8) != PFZ__RPC_VERSION)
        return PFZ_EPROTO;
    t = (uint32_t)(frame[6] | frame[7] << 8);
    n = pfz__get_u32(frame + 8);
    if (n > PFZ__RPC_MAX_PAYLOAD || (size_t)n != len - PFZ__RPC_HEADER)
        return PFZ_EPROTO;
    if (pfz__get_u32(frame + 12) != frame_crc(frame, n))
        return PFZ_EPROTO;
    if (want_reply != ((t & PFZ__RPC_REPLY) != 0))
        return PFZ_EPROTO;
    t &= ~PFZ__RPC_REPLY;
    if (t < PFZ__CALL_PING || t > PFZ__CALL_MINIMIZE)
        return PFZ_EPROTO;
    *type = t;
    *payload = n;
    return APR_SUCCESS;
}

/* Reads a feature list at p (avail bytes left); returns bytes used or 0 on error. */
static size_t get_features(const uint8_t *p, size_t avail, pfz__u32vec_t *f)
{
    uint32_t n, i;

    if (avail < 4)
        return 0;
    n = pfz__get_u32(p);
    if (n > PFZ__RPC_MAX_FEATURES || (size_t)n > (avail - 4) / 4)
        return 0;
    if (pfz__u32vec_reserve(f, n) != APR_SUCCESS)
        return 0;
    for (i = 0; i < n; i++)
        f->v[i] = pfz__get_u32(p + 4 + 4 * (size_t)i);
    f->n = n;
    return 4 + 4 * (size_t)n;
}

apr_status_t pfz__rpc_decode_call(const uint8_t *frame, size_t len, pfz__call_t *c)
{
    const uint8_t *p = frame + PFZ__RPC_HEADER;
    size_t payload, used;
    uint32_t type;
    apr_status_t st;

    if ((st = check_header(frame, len, 0, &type, &payload)) != APR_SUCCESS)
        return st;
    if (payload < CALL_FIXED)
        return PFZ_EPROTO;
    c->type = type;
    c->flags = pfz__get_u32(p);
    c->seed = pfz__get_u64(p + 4);
    c->time_budget_us = pfz__get_u64(p + 12);
    c->exec_limit = pfz__get_u64(p + 20);
    c->max_len = pfz__get_u32(p + 28);
    c->inbox_count = pfz__get_u32(p + 32);
    used = get_features(p + CALL_FIXED, payload - CALL_FIXED, &c->features);
    if (used == 0 || CALL_FIXED + used != payload)
        return PFZ_EPROTO;
    return APR_SUCCESS;
}

apr_status_t pfz__rpc_decode_reply(const uint8_t *frame, size_t len, pfz__reply_t *r)
{
    const uint8_t *p = frame + PFZ__RPC_HEADER;
    size_t payload, used, left;
    uint32_t type, errlen;
    apr_status_t st;

    if ((st = check_header(frame, len, 1, &type, &payload)) != APR_SUCCESS)
        return st;
    if (payload < REPLY_FIXED)
        return PFZ_EPROTO;
    r->type = type;
    r->status = pfz__get_u32(p);
    if (r->status > PFZ__RS_LAST)
        return PFZ_EPROTO;
    r->execs = pfz__get_u64(p + 4);
    r->elapsed_us = pfz__get_u64(p + 12);
    r->exec_us = pfz__get_u64(p + 20);
    r->entry = pfz__get_u32(p + 28);
    left = payload - REPLY_FIXED;
    used = get_features(p + REPLY_FIXED, left, &r->features);
    if (used == 0)
        return PFZ_EPROTO;
    left -= used;
    p += REPLY_FIXED + used;
    if (left < 4)
        return PFZ_EPROTO;
    errlen = pfz__get_u32(p);
    if (errlen >= PFZ__RPC_MAX_ERR || (size_t)errlen != left - 4)
        return PFZ_EPROTO;
    memcpy(r->err, p + 4, errlen);
    r->err[errlen] = '\0';
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------- streams */

/* The coordinator's ends of the pipes carry a short I/O timeout (see
 * worker.c): a read or write that has made no progress for that long asks
 * `wait` whether to go on. That is how a call learns that its worker died
 * while a process the target forked still holds the other end of the pipe
 * (no EOF ever comes), and how a cleanup ends a call blocked in I/O. The
 * worker's ends have no timeout, so there a NULL hook never runs. */
static apr_status_t check_wait(apr_status_t st, const pfz__rpc_wait_t *wait)
{
    if (!APR_STATUS_IS_TIMEUP(st) && !APR_STATUS_IS_EAGAIN(st))
        return st;
    return wait != NULL ? wait->fn(wait->ctx) : APR_SUCCESS;
}

static apr_status_t write_all(apr_file_t *f, const uint8_t *p, size_t len, const pfz__rpc_wait_t *wait)
{
    apr_status_t st;

    while (len > 0) {
        apr_size_t n = len;
        st = apr_file_write(f, p, &n);
        if (n > len)
            return PFZ_EPROTO;
        p += n;
        len -= n;
        if (st != APR_SUCCESS && (st = check_wait(st, wait)) != APR_SUCCESS)
            return st;
    }
    return APR_SUCCESS;
}

/* Reads exactly len bytes; *got says how many came before an error. */
static apr_status_t read_all(apr_file_t *f, uint8_t *p, size_t len, size_t *got,
                             const pfz__rpc_wait_t *wait)
{
    apr_status_t st;

    *got = 0;
    while (*got < len) {
        apr_size_t n = len - *got;
        st = apr_file_read(f, p + *got, &n);
        if (n > len - *got)
            return PFZ_EPROTO;
        *got += n;
        if (st != APR_SUCCESS && (st = check_wait(st, wait)) != APR_SUCCESS)
            return st;
    }
    return APR_SUCCESS;
}

/* Reads one whole frame into b. */
static apr_status_t read_frame(apr_file_t *f, pfz__rpc_buf_t *b, const pfz__rpc_wait_t *wait)
{
    uint8_t hdr[PFZ__RPC_HEADER];
    size_t got = 0;
    uint32_t n;
    apr_status_t st;

    st = read_all(f, hdr, sizeof hdr, &got, wait);
    if (st != APR_SUCCESS)
        return (APR_STATUS_IS_EOF(st) && got == 0) ? APR_EOF
               : APR_STATUS_IS_EOF(st)            ? PFZ_EPROTO
                                                  : st;
    if (pfz__get_u32(hdr) != PFZ__RPC_MAGIC)
        return PFZ_EPROTO;
    n = pfz__get_u32(hdr + 8);
    if (n > PFZ__RPC_MAX_PAYLOAD)
        return PFZ_EPROTO;
    if ((st = buf_reserve(b, PFZ__RPC_HEADER + (size_t)n)) != APR_SUCCESS)
        return st;
    memcpy(b->data, hdr, sizeof hdr);
    if (n > 0) {
        st = read_all(f, b->data + PFZ__RPC_HEADER, n, &got, wait);
        if (st != APR_SUCCESS)
            return APR_STATUS_IS_EOF(st) ? PFZ_EPROTO : st;
    }
    b->len = PFZ__RPC_HEADER + (size_t)n;
    return APR_SUCCESS;
}

apr_status_t pfz__rpc_write_call(apr_file_t *f, pfz__rpc_buf_t *b, const pfz__call_t *c,
                                 const pfz__rpc_wait_t *wait)
{
    apr_status_t st = pfz__rpc_encode_call(b, c);

    return st == APR_SUCCESS ? write_all(f, b->data, b->len, wait) : st;
}

apr_status_t pfz__rpc_write_reply(apr_file_t *f, pfz__rpc_buf_t *b, const pfz__reply_t *r)
{
    apr_status_t st = pfz__rpc_encode_reply(b, r);

    return st == APR_SUCCESS ? write_all(f, b->data, b->len, NULL) : st;
}

apr_status_t pfz__rpc_read_call(apr_file_t *f, pfz__rpc_buf_t *b, pfz__call_t *c)
{
    apr_status_t st = read_frame(f, b, NULL);

    return st == APR_SUCCESS ? pfz__rpc_decode_call(b->data, b->len, c) : st;
}

apr_status_t pfz__rpc_read_reply(apr_file_t *f, pfz__rpc_buf_t *b, pfz__reply_t *r,
                                 const pfz__rpc_wait_t *wait)
{
    apr_status_t st = read_frame(f, b, wait);

    return st == APR_SUCCESS ? pfz__rpc_decode_reply(b->data, b->len, r) : st;
}
