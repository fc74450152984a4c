/* tlv_fuzzer.c -- the harness of examples/cmake: a record parser with a bug
 * a few decisions deep (the idea of examples/planted_crash.c, shorter).
 *
 * Input: 'T' 'L' then records [type][length][value...]. A 'K' record whose
 * value is "key" followed by a length byte past the key table's end indexes
 * out of it: a NULL function pointer is called, and the process crashes.
 * Each byte of the way is a new branch, so coverage leads the fuzzer there.
 */
#include <stddef.h>
#include <stdint.h>

#include <portfuzz.h>

typedef int (*key_fn)(const uint8_t *v, size_t len);

static int key_none(const uint8_t *v, size_t len)
{
    (void)v;
    return (int)len;
}

/* Slot 2 was "reserved" and never filled in: the planted bug. */
static const key_fn keys[3] = {key_none, key_none, NULL};

static int parse_key(const uint8_t *v, size_t len)
{
    if (len < 4 || v[0] != 'k' || v[1] != 'e' || v[2] != 'y')
        return -1;
    if (v[3] > 2) /* bounds-checked, but slot 2 is empty */
        return -1;
    return keys[v[3]](v + 4, len - 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 2;

    if (size < 2 || data[0] != 'T' || data[1] != 'L')
        return 0;
    while (pos + 2 <= size) {
        uint8_t type = data[pos];
        size_t len = data[pos + 1];
        if (pos + 2 + len > size)
            return 0;
        if (type == 'K' && parse_key(data + pos + 2, len) < 0)
            return 0;
        if (type == 'E')
            return 0;
        pos += 2 + len;
    }
    return 0;
}
