/* mutator.c -- input mutations. All platforms.
 *
 * pfz__mutate applies a stack of 1..MAX_DEPTH mutations (like libFuzzer's
 * MutationDepth), each picked at random from the built-in list below; a
 * mutation that does not apply to the current input (no room to grow, no
 * dictionary, no digits, ...) returns 0 and another one is drawn. The list:
 * libFuzzer's byte mutators (erase, insert, insert repeated, change byte/bit,
 * shuffle, change ASCII/binary integer, copy part, cross-over), AFL's
 * interesting values and arithmetic, -dict entries, the persistent auto
 * dictionary, and comparison operands from the table of recent comparisons
 * (cmp.h): the other side of a comparison is written where the first side
 * occurs in the input (both byte orders), or inserted somewhere if it does not.
 *
 * Hot path: no allocation per call. The only buffer (scratch, for cross-over
 * output and copies within the input) grows when max_size grows, i.e. rarely.
 *
 * The harness's LLVMFuzzerCustomMutator replaces all of this (libFuzzer's
 * semantics); LLVMFuzzerMutate, which a custom mutator may call, runs the
 * built-in stack of the current mutator. LLVMFuzzerCustomCrossOver replaces
 * the built-in cross-over mutation.
 */

#include <stdlib.h>
#include <string.h>

#include "mutator.h"
#include "cmp.h"
#include "engine.h"

#define MAX_DEPTH 5
#define MAX_TRIES 20
#define USED_MAX 4
#define AUTO_DICT_CAPACITY 512

struct pfz__mutator {
    pfz__rng_t rng;
    int only_ascii;
    int use_cmp;
    const pfz__dict_t *dict;
    pfz__dict_t *auto_dict;
    uint8_t *scratch;
    size_t scratch_cap;
    /* operands inserted by the current pfz__mutate call (for note_new) */
    uint8_t used[USED_MAX][PFZ__DICT_AUTO_MAX];
    uint8_t used_len[USED_MAX];
    unsigned nused;
    /* kind_deck without the kinds that cannot apply in the current state (no
     * cross-over partner, empty dictionaries, empty comparison table): drawing
     * those only to retry was most of the mutator's time on fast targets.
     * Rebuilt when deck_key (which of those resources exist) changes. */
    uint8_t deck[32];
    unsigned deck_len;
    int deck_key;
};

static pfz__mutator_t *current;

static const char *const kind_names[PFZ__MUT_COUNT] = {
    "EraseBytes", "InsertByte", "InsertRepeatedBytes", "ChangeByte", "ChangeBit",
    "ShuffleBytes", "ChangeASCIIInt", "ChangeBinInt", "CopyPart", "CrossOver",
    "ManualDict", "PersAutoDict", "CMP", "InterestingValue", "Arith",
};

/* How often each mutation is drawn: comparison operands and dictionaries are
 * what breaks through magic values, so they get extra weight when present. */
static const uint8_t kind_deck[] = {
    PFZ__MUT_ERASE_BYTES, PFZ__MUT_INSERT_BYTE, PFZ__MUT_INSERT_REPEATED,
    PFZ__MUT_CHANGE_BYTE, PFZ__MUT_CHANGE_BIT, PFZ__MUT_SHUFFLE_BYTES,
    PFZ__MUT_CHANGE_ASCII_INT, PFZ__MUT_CHANGE_BINARY_INT, PFZ__MUT_COPY_PART,
    PFZ__MUT_CROSSOVER, PFZ__MUT_CROSSOVER, PFZ__MUT_DICT, PFZ__MUT_DICT,
    PFZ__MUT_AUTO_DICT, PFZ__MUT_CMP, PFZ__MUT_CMP, PFZ__MUT_CMP,
    PFZ__MUT_INTERESTING, PFZ__MUT_ARITH,
};

static const int8_t interesting8[] = { -128, -1, 0, 1, 16, 32, 64, 100, 127 };
static const int16_t interesting16[] = { -32768, -129, 128, 255, 256, 512, 1000, 1024, 4096, 32767 };
static const int32_t interesting32[] = { INT32_MIN, -100663046, -32769, 32768, 65535, 65536,
                                         100663045, INT32_MAX };

const char *pfz__mutation_name(int kind)
{
    return kind >= 0 && kind < PFZ__MUT_COUNT ? kind_names[kind] : "?";
}

/* ------------------------------------------------------------ helpers */

static inline size_t rnd(pfz__mutator_t *m, size_t n)
{
    return (size_t)pfz__rng_below(&m->rng, n);
}

static inline int coin(pfz__mutator_t *m)
{
    return (int)(pfz__rng_next(&m->rng) >> 63);
}

static uint64_t load_uint(const uint8_t *p, unsigned w, int be)
{
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < w; i++)
        v |= (uint64_t)p[be ? w - 1 - i : i] << (8 * i);
    return v;
}

static void store_uint(uint8_t *p, unsigned w, int be, uint64_t v)
{
    unsigned i;
    for (i = 0; i < w; i++)
        p[be ? w - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static unsigned pick_width(pfz__mutator_t *m, size_t size, unsigned maxw)
{
    unsigned w = 1u << rnd(m, maxw == 8 ? 4 : maxw == 4 ? 3 : maxw == 2 ? 2 : 1);
    while (w > size && w > 1)
        w >>= 1;
    return w <= size ? w : 0;
}

/* First occurrence of needle in hay[from..to) (positions of its first byte),
 * found with memchr: this runs after many executions (input-to-state), and a
 * byte loop over a 4 KiB input cost more than a zlib execution. */
static int scan_bytes(const uint8_t *hay, size_t from, size_t to, const uint8_t *needle,
                      size_t nlen, size_t *pos)
{
    while (from < to) {
        const uint8_t *q = memchr(hay + from, needle[0], to - from);
        if (q == NULL)
            return 0;
        from = (size_t)(q - hay);
        if (memcmp(q, needle, nlen) == 0) {
            *pos = from;
            return 1;
        }
        from++;
    }
    return 0;
}

/* First occurrence of needle at or after a random offset, wrapping around. */
static size_t find_bytes(pfz__mutator_t *m, const uint8_t *hay, size_t hlen, const uint8_t *needle,
                         size_t nlen, int *found)
{
    size_t last, start, pos = 0;
    *found = 0;
    if (nlen == 0 || nlen > hlen)
        return 0;
    last = hlen - nlen;
    start = rnd(m, last + 1);
    *found = scan_bytes(hay, start, last + 1, needle, nlen, &pos) ||
             scan_bytes(hay, 0, start, needle, nlen, &pos);
    return pos;
}

/* Replaces data[pos..pos+oldlen) by rep[0..replen). Returns the new size or 0
 * when it would not fit in [1, max]. rep must not point into data. */
static size_t replace_bytes(uint8_t *data, size_t size, size_t max, size_t pos, size_t oldlen,
                            const uint8_t *rep, size_t replen)
{
    size_t nsize = size - oldlen + replen;
    if (nsize > max || nsize == 0)
        return 0;
    memmove(data + pos + replen, data + pos + oldlen, size - pos - oldlen);
    memcpy(data + pos, rep, replen);
    return nsize;
}

/* Inserts or overwrites rep at a random position (whichever fits). */
static size_t put_bytes(pfz__mutator_t *m, uint8_t *data, size_t size, size_t max,
                        const uint8_t *rep, size_t replen)
{
    int insert = coin(m);
    if (replen == 0)
        return 0;
    if (insert && size + replen > max)
        insert = 0;
    if (!insert && replen > size)
        insert = 1;
    if (insert) {
        if (size + replen > max)
            return 0;
        return replace_bytes(data, size, max, rnd(m, size + 1), 0, rep, replen);
    }
    {
        size_t pos = rnd(m, size - replen + 1);
        if (memcmp(data + pos, rep, replen) == 0)
            return 0; /* would change nothing */
        memcpy(data + pos, rep, replen);
        return size;
    }
}

static void note_used(pfz__mutator_t *m, const uint8_t *p, size_t n)
{
    if (n == 0 || n > PFZ__DICT_AUTO_MAX || m->nused >= USED_MAX)
        return;
    memcpy(m->used[m->nused], p, n);
    m->used_len[m->nused] = (uint8_t)n;
    m->nused++;
}

static int ensure_scratch(pfz__mutator_t *m, size_t n)
{
    uint8_t *p;
    if (n <= m->scratch_cap)
        return 1;
    p = (uint8_t *)realloc(m->scratch, n);
    if (p == NULL)
        return 0;
    m->scratch = p;
    m->scratch_cap = n;
    return 1;
}

static uint8_t random_byte(pfz__mutator_t *m)
{
    return (uint8_t)pfz__rng_next(&m->rng);
}

/* ------------------------------------------------------- the mutations */

static size_t mut_erase(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    size_t n, pos;
    (void)max;
    if (s < 2)
        return 0;
    n = 1 + rnd(m, PFZ_MIN(PFZ_MAX(s / 2, (size_t)1), (size_t)64));
    if (n >= s)
        n = s - 1;
    pos = rnd(m, s - n + 1);
    memmove(d + pos, d + pos + n, s - pos - n);
    return s - n;
}

static size_t mut_insert_byte(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    size_t pos;
    if (s >= max)
        return 0;
    pos = rnd(m, s + 1);
    memmove(d + pos + 1, d + pos, s - pos);
    d[pos] = random_byte(m);
    return s + 1;
}

static size_t mut_insert_repeated(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    size_t room = max - s, n, pos;
    uint8_t b;
    if (s > max || room < 3)
        return 0;
    n = 3 + rnd(m, PFZ_MIN(room, (size_t)128) - 2);
    pos = rnd(m, s + 1);
    b = coin(m) ? random_byte(m) : (coin(m) ? 0xff : 0);
    memmove(d + pos + n, d + pos, s - pos);
    memset(d + pos, b, n);
    return s + n;
}

static size_t mut_change_byte(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    (void)max;
    if (s == 0)
        return 0;
    d[rnd(m, s)] ^= (uint8_t)(1 + rnd(m, 255));
    return s;
}

static size_t mut_change_bit(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    (void)max;
    if (s == 0)
        return 0;
    d[rnd(m, s)] ^= (uint8_t)(1u << rnd(m, 8));
    return s;
}

static size_t mut_shuffle(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    uint8_t before[8];
    size_t n, pos, i;
    (void)max;
    if (s < 2)
        return 0;
    n = 2 + rnd(m, PFZ_MIN(s, (size_t)8) - 1);
    pos = rnd(m, s - n + 1);
    memcpy(before, d + pos, n);
    for (i = 1; i < n; i++)
        if (before[i] != before[0])
            break;
    if (i == n)
        return 0; /* all equal: no permutation changes anything */
    for (i = n - 1; i > 0; i--) {
        size_t j = rnd(m, i + 1);
        uint8_t t = d[pos + i];
        d[pos + i] = d[pos + j];
        d[pos + j] = t;
    }
    if (memcmp(before, d + pos, n) == 0) { /* rotate by one: differs unless all equal */
        uint8_t t = d[pos];
        memmove(d + pos, d + pos + 1, n - 1);
        d[pos + n - 1] = t;
    }
    return s;
}

static size_t mut_change_ascii_int(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    size_t start, i, k, b, e;
    uint64_t v = 0, nv;
    char tmp[24];
    size_t tl = 0;
    int found = 0;
    if (s == 0)
        return 0;
    start = rnd(m, s);
    for (k = 0; k < s; k++) {
        i = (start + k) % s;
        if (d[i] >= '0' && d[i] <= '9') {
            found = 1;
            break;
        }
    }
    if (!found)
        return 0;
    b = i;
    while (b > 0 && d[b - 1] >= '0' && d[b - 1] <= '9' && i - b < 18)
        b--;
    e = i + 1;
    while (e < s && d[e] >= '0' && d[e] <= '9' && e - b < 18)
        e++;
    for (k = b; k < e; k++)
        v = v * 10 + (uint64_t)(d[k] - '0');
    switch (rnd(m, 5)) {
    case 0: nv = v + 1; break;
    case 1: nv = v ? v - 1 : 1; break;
    case 2: nv = v / 2; break;
    case 3: nv = v * 2; break;
    default: nv = pfz__rng_next(&m->rng) % (v * v + 1000); break;
    }
    if (nv == v)
        nv = v + 1;
    do {
        tmp[tl++] = (char)('0' + nv % 10);
        nv /= 10;
    } while (nv);
    for (k = 0; k < tl / 2; k++) { /* reverse into reading order */
        char t = tmp[k];
        tmp[k] = tmp[tl - 1 - k];
        tmp[tl - 1 - k] = t;
    }
    return replace_bytes(d, s, max, b, e - b, (const uint8_t *)tmp, tl);
}

static size_t mut_change_bin_int(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    unsigned w = pick_width(m, s, 8);
    int be = coin(m);
    size_t pos;
    uint64_t v, nv;
    (void)max;
    if (w < 2)
        return 0;
    pos = rnd(m, s - w + 1);
    v = load_uint(d + pos, w, be);
    switch (rnd(m, 4)) {
    case 0: /* a length field: the size of the input or of what follows */
        nv = (coin(m) ? s : s - pos - w) + rnd(m, 5) - 2;
        break;
    case 1:
        nv = (uint64_t)0 - v;
        break;
    default: {
        uint64_t delta = 1 + rnd(m, 10);
        nv = coin(m) ? v + delta : v - delta;
        break;
    }
    }
    if (w < 8)
        nv &= ((uint64_t)1 << (8 * w)) - 1;
    if (nv == v)
        nv = v ^ 1;
    store_uint(d + pos, w, be, nv);
    return s;
}

static size_t mut_copy_part(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    size_t n, from, to;
    if (s < 2)
        return 0;
    if (coin(m) || s >= max) { /* overwrite */
        n = 1 + rnd(m, s - 1);
        from = rnd(m, s - n + 1);
        to = rnd(m, s - n + 1);
        if (from == to)
            to = (to + 1) % (s - n + 1);
        if (memcmp(d + from, d + to, n) == 0)
            return 0;
        memmove(d + to, d + from, n);
        return s;
    }
    n = 1 + rnd(m, PFZ_MIN(s, max - s));
    from = rnd(m, s - n + 1);
    to = rnd(m, s + 1);
    if (!ensure_scratch(m, n))
        return 0;
    memcpy(m->scratch, d + from, n);
    return replace_bytes(d, s, max, to, 0, m->scratch, n);
}

static size_t mut_crossover(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max,
                            const uint8_t *o, size_t os)
{
    size_t n, p, q;
    if (o == NULL || os == 0)
        return 0;
    if (pfz__hooks.custom_crossover != NULL) {
        if (!ensure_scratch(m, max))
            return 0;
        n = pfz__hooks.custom_crossover(d, s, o, os, m->scratch, max,
                                        (unsigned int)pfz__rng_next(&m->rng));
        if (n == 0 || n > max)
            return 0;
        memcpy(d, m->scratch, n);
        return n;
    }
    switch (rnd(m, 3)) {
    case 0: /* splice: a head of ours, a tail of theirs */
        p = rnd(m, s + 1);
        q = rnd(m, os);
        n = PFZ_MIN(os - q, max - p);
        if (p + n == 0)
            return 0;
        if (p + n == s && memcmp(d + p, o + q, n) == 0)
            return 0;
        memmove(d + p, o + q, n);
        return p + n;
    case 1: /* insert a piece of theirs */
        if (s >= max)
            return 0;
        n = 1 + rnd(m, PFZ_MIN(os, max - s));
        q = rnd(m, os - n + 1);
        if (!ensure_scratch(m, n))
            return 0;
        memcpy(m->scratch, o + q, n); /* o may alias d */
        return replace_bytes(d, s, max, rnd(m, s + 1), 0, m->scratch, n);
    default: /* overwrite with a piece of theirs */
        if (s == 0)
            return 0;
        n = 1 + rnd(m, PFZ_MIN(os, s));
        q = rnd(m, os - n + 1);
        p = rnd(m, s - n + 1);
        if (memcmp(d + p, o + q, n) == 0)
            return 0;
        memmove(d + p, o + q, n);
        return s;
    }
}

static size_t mut_dict(pfz__mutator_t *m, const pfz__dict_t *dict, uint8_t *d, size_t s,
                       size_t max)
{
    apr_size_t n = pfz__dict_count(dict), len;
    const uint8_t *e;
    if (n == 0)
        return 0;
    e = pfz__dict_entry(dict, rnd(m, n), &len);
    return put_bytes(m, d, s, max, e, len);
}

static size_t cmp_int(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    const pfz__cmp_int_t *e = NULL;
    pfz__cmp_int_t snap;
    uint8_t from[8], to[8];
    uint64_t a, b;
    unsigned w;
    int be, found = 0, k;
    size_t pos = 0, r, tries, start;

    /* From a random slot, the next filled one: the table may be sparse. */
    start = rnd(m, PFZ__TORC_INT_SIZE);
    for (tries = 0; tries < PFZ__TORC_INT_SIZE && e == NULL; tries++) {
        const pfz__cmp_int_t *c = &pfz__torc.ints[(start + tries) % PFZ__TORC_INT_SIZE];
        if (c->width)
            e = c;
    }
    if (e == NULL)
        return 0;
    /* A copy: the table can change under us (a sanitizer's memcmp hook fires
     * for our own memcmp calls when the engine runs under ASan without the
     * running-target gate). */
    snap = *e;
    e = &snap;
    w = e->width;
    if (coin(m)) {
        a = e->a;
        b = e->b;
    } else {
        a = e->b;
        b = e->a;
    }
    /* Now and then aim just past the constant: for <, <=, > and >=. */
    if (rnd(m, 8) == 0)
        b += coin(m) ? 1 : (uint64_t)-1;
    be = coin(m);
    for (k = 0; k < 2 && !found; k++, be = !be) {
        store_uint(from, w, be, a);
        pos = find_bytes(m, d, s, from, w, &found);
    }
    if (found) {
        be = !be; /* undo the loop's last flip */
        store_uint(to, w, be, b);
        if (memcmp(d + pos, to, w) == 0)
            return 0;
        memcpy(d + pos, to, w);
        r = s;
    } else {
        store_uint(to, w, coin(m), b);
        r = put_bytes(m, d, s, max, to, w);
    }
    if (r && w > 1)
        note_used(m, to, w);
    return r;
}

static size_t cmp_mem(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    const pfz__cmp_mem_t *e = NULL;
    pfz__cmp_mem_t snap;
    const uint8_t *from, *to;
    size_t flen, tlen, pos, r, tries, start;
    int found = 0;

    start = rnd(m, PFZ__TORC_MEM_SIZE);
    for (tries = 0; tries < PFZ__TORC_MEM_SIZE && e == NULL; tries++) {
        const pfz__cmp_mem_t *c = &pfz__torc.mems[(start + tries) % PFZ__TORC_MEM_SIZE];
        if (c->alen || c->blen)
            e = c;
    }
    if (e == NULL)
        return 0;
    snap = *e; /* see cmp_int */
    e = &snap;
    if (e->alen == 0 || (e->blen && coin(m))) {
        from = e->a; flen = e->alen; to = e->b; tlen = e->blen;
    } else {
        from = e->b; flen = e->blen; to = e->a; tlen = e->alen;
    }
    /* A C string's operand carries its NUL; the input's copy of it usually
     * does not (the harness added it), so search without. */
    while (flen > 0 && from[flen - 1] == 0)
        flen--;
    if (tlen == 0)
        return 0;
    pos = flen >= 2 ? find_bytes(m, d, s, from, flen, &found) : 0;
    if (found) {
        if (flen == tlen && memcmp(d + pos, to, tlen) == 0)
            return 0;
        r = replace_bytes(d, s, max, pos, flen, to, tlen);
    } else {
        r = put_bytes(m, d, s, max, to, tlen);
    }
    if (r)
        note_used(m, to, tlen);
    return r;
}

static size_t mut_cmp(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    int have_int = pfz__torc.nints != 0, have_mem = pfz__torc.nmems != 0;
    if (!m->use_cmp || (!have_int && !have_mem))
        return 0;
    if (have_mem && (!have_int || coin(m))) {
        size_t r = cmp_mem(m, d, s, max);
        if (r || !have_int)
            return r;
    }
    return cmp_int(m, d, s, max);
}

static size_t mut_interesting(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    unsigned w = pick_width(m, s, 4);
    uint8_t buf[4];
    uint64_t v;
    size_t pos;
    (void)max;
    if (w == 0)
        return 0;
    if (w == 1)
        v = (uint64_t)(int64_t)interesting8[rnd(m, PFZ_ARRAY_LEN(interesting8))];
    else if (w == 2)
        v = (uint64_t)(int64_t)interesting16[rnd(m, PFZ_ARRAY_LEN(interesting16))];
    else
        v = (uint64_t)(int64_t)interesting32[rnd(m, PFZ_ARRAY_LEN(interesting32))];
    pos = rnd(m, s - w + 1);
    store_uint(buf, w, coin(m), v);
    if (memcmp(d + pos, buf, w) == 0)
        return 0;
    memcpy(d + pos, buf, w);
    return s;
}

static size_t mut_arith(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max)
{
    unsigned w = pick_width(m, s, 4);
    uint64_t v, delta = 1 + rnd(m, 35); /* AFL's ARITH_MAX */
    size_t pos;
    int be = coin(m);
    (void)max;
    if (w == 0)
        return 0;
    pos = rnd(m, s - w + 1);
    v = load_uint(d + pos, w, be);
    v = coin(m) ? v + delta : v - delta;
    store_uint(d + pos, w, be, v);
    return s;
}

/* ------------------------------------------------------------ the stack */

size_t pfz__mutate_one(pfz__mutator_t *m, int kind, uint8_t *d, size_t s, size_t max,
                       const uint8_t *other, size_t other_size)
{
    if (s > max)
        s = max;
    if (max == 0)
        return 0;
    switch (kind) {
    case PFZ__MUT_ERASE_BYTES: return mut_erase(m, d, s, max);
    case PFZ__MUT_INSERT_BYTE: return mut_insert_byte(m, d, s, max);
    case PFZ__MUT_INSERT_REPEATED: return mut_insert_repeated(m, d, s, max);
    case PFZ__MUT_CHANGE_BYTE: return mut_change_byte(m, d, s, max);
    case PFZ__MUT_CHANGE_BIT: return mut_change_bit(m, d, s, max);
    case PFZ__MUT_SHUFFLE_BYTES: return mut_shuffle(m, d, s, max);
    case PFZ__MUT_CHANGE_ASCII_INT: return mut_change_ascii_int(m, d, s, max);
    case PFZ__MUT_CHANGE_BINARY_INT: return mut_change_bin_int(m, d, s, max);
    case PFZ__MUT_COPY_PART: return mut_copy_part(m, d, s, max);
    case PFZ__MUT_CROSSOVER: return mut_crossover(m, d, s, max, other, other_size);
    case PFZ__MUT_DICT: return mut_dict(m, m->dict, d, s, max);
    case PFZ__MUT_AUTO_DICT: return mut_dict(m, m->auto_dict, d, s, max);
    case PFZ__MUT_CMP: return mut_cmp(m, d, s, max);
    case PFZ__MUT_INTERESTING: return mut_interesting(m, d, s, max);
    case PFZ__MUT_ARITH: return mut_arith(m, d, s, max);
    default: return 0;
    }
}

/* libFuzzer's -only_ascii: keep printable characters and whitespace. */
static void to_ascii(uint8_t *d, size_t s)
{
    size_t i;
    for (i = 0; i < s; i++) {
        uint8_t c = d[i] & 0x7f;
        if (!((c >= 0x20 && c < 0x7f) || (c >= '\t' && c <= '\r')))
            c = ' ';
        d[i] = c;
    }
}

static const uint8_t *applicable_deck(pfz__mutator_t *m, const uint8_t *other, unsigned *len)
{
    int key = (other != NULL) | (m->dict != NULL && pfz__dict_count(m->dict) > 0) << 1 |
              (pfz__dict_count(m->auto_dict) > 0) << 2 |
              (m->use_cmp && (pfz__torc.nints != 0 || pfz__torc.nmems != 0)) << 3 | 1 << 4;
    size_t i;

    if (key != m->deck_key) {
        m->deck_len = 0;
        for (i = 0; i < sizeof(kind_deck); i++) {
            int k = kind_deck[i];
            if ((k == PFZ__MUT_CROSSOVER && !(key & 1)) || (k == PFZ__MUT_DICT && !(key & 2)) ||
                (k == PFZ__MUT_AUTO_DICT && !(key & 4)) || (k == PFZ__MUT_CMP && !(key & 8)))
                continue;
            m->deck[m->deck_len++] = (uint8_t)k;
        }
        m->deck_key = key;
    }
    *len = m->deck_len;
    return m->deck;
}

static size_t mutate_builtin(pfz__mutator_t *m, uint8_t *d, size_t s, size_t max,
                             const uint8_t *other, size_t other_size)
{
    const uint8_t *deck;
    unsigned deck_len;
    unsigned depth, i, t;
    if (max == 0)
        return 0;
    if (s > max)
        s = max;
    if (s == 0) { /* nothing to mutate: start from one random byte */
        d[0] = random_byte(m);
        s = 1;
    }
    deck = applicable_deck(m, other, &deck_len);
    depth = 1 + (unsigned)rnd(m, MAX_DEPTH);
    for (i = 0; i < depth; i++) {
        for (t = 0; t < MAX_TRIES; t++) {
            int kind = deck[rnd(m, deck_len)];
            size_t r = pfz__mutate_one(m, kind, d, s, max, other, other_size);
            if (r) {
                s = r;
                break;
            }
        }
    }
    if (m->only_ascii)
        to_ascii(d, s);
    return s;
}

size_t pfz__mutate(pfz__mutator_t *m, uint8_t *data, size_t size, size_t max_size,
                   const uint8_t *other, size_t other_size)
{
    size_t r;
    if (max_size == 0)
        return 0;
    if (size > max_size)
        size = max_size;
    m->nused = 0;
    if (pfz__hooks.custom_mutator == NULL)
        return mutate_builtin(m, data, size, max_size, other, other_size);
    r = pfz__hooks.custom_mutator(data, size, max_size, (unsigned int)pfz__rng_next(&m->rng));
    if (r == 0 || r > max_size) /* a broken custom mutator: stay in bounds */
        r = mutate_builtin(m, data, size, max_size, NULL, 0);
    if (m->only_ascii)
        to_ascii(data, r);
    return r;
}

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
    if (current == NULL)
        return size <= max_size ? size : max_size;
    return mutate_builtin(current, data, size, max_size, NULL, 0);
}

void pfz__mutator_set_current(pfz__mutator_t *m)
{
    current = m;
}

int pfz__mutator_i2s(pfz__mutator_t *m, uint8_t *data, size_t size, uint64_t a, uint64_t b,
                     unsigned width)
{
    uint8_t from[8], to[8];
    size_t pos;
    int pass, found;

    if (width != 4 && width != 8)
        return 0;
    for (pass = 0; pass < 4; pass++) {
        int be = pass >= 2;
        unsigned k;

        store_uint(from, width, be, pass & 1 ? a : b);
        store_uint(to, width, be, pass & 1 ? b : a);
        for (k = 1; k < width && from[k] == from[0]; k++)
            ;
        if (k == width)
            continue; /* one repeated byte (0, 0xffffffff...): matches by accident */
        pos = find_bytes(m, data, size, from, width, &found);
        if (found) {
            memcpy(data + pos, to, width);
            return 1;
        }
    }
    return 0;
}

void pfz__mutator_note_new(pfz__mutator_t *m)
{
    unsigned i;
    for (i = 0; i < m->nused; i++)
        pfz__dict_auto_add(m->auto_dict, m->used[i], m->used_len[i]);
    m->nused = 0;
}

const pfz__dict_t *pfz__mutator_auto_dict(const pfz__mutator_t *m)
{
    return m->auto_dict;
}

static apr_status_t mutator_cleanup(void *p)
{
    pfz__mutator_t *m = (pfz__mutator_t *)p;
    if (current == m)
        current = NULL;
    free(m->scratch);
    free(m);
    return APR_SUCCESS;
}

apr_status_t pfz__mutator_create(pfz__mutator_t **mp, const pfz__mutator_opts_t *opts,
                                 apr_pool_t *pool)
{
    /* malloc, not the pool: LeakSanitizer does not scan APR's pool memory, so
     * the scratch buffer would look leaked if only a pool object pointed to it. */
    pfz__mutator_t *m = calloc(1, sizeof(*m));
    apr_status_t st;
    *mp = NULL;
    if (m == NULL)
        return APR_ENOMEM;
    pfz__rng_seed(&m->rng, opts->seed);
    m->only_ascii = opts->only_ascii;
    m->use_cmp = opts->use_cmp;
    m->dict = opts->dict;
    st = pfz__dict_auto_create(&m->auto_dict, AUTO_DICT_CAPACITY, pool);
    if (st != APR_SUCCESS) {
        free(m);
        return st;
    }
    apr_pool_cleanup_register(pool, m, mutator_cleanup, apr_pool_cleanup_null);
    *mp = m;
    return APR_SUCCESS;
}
