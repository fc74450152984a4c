/* planted_crash.c -- the README's demo: a small, realistic parser with a bug
 * hidden a few decisions deep, and the fuzz target (harness) that drives it.
 *
 * Build and run (see README.md for the exact flags of your compiler):
 *     ./examples/planted_crash -workers=2 corpus/
 * portfuzz should report a crash within seconds and save the input that
 * triggers it as crash-<sha1>.
 *
 * The format: a 4-byte header, then a sequence of TLV records.
 *     header:  'T' 'L' [version: 1 byte, 1..3] [flags: 1 byte]
 *     record:  [type: 1 byte] [length: 1 byte] [value: length bytes]
 * Record types:
 *     'N' name      -- value is text, up to 16 bytes
 *     'C' count     -- value is one byte
 *     'X' extension -- value is [extension id: 1 byte] [argument...];
 *                      only allowed in version 3 with the EXTENSIONS flag
 *     'E' end       -- stops parsing
 *
 * How the fuzzer finds the bug: nothing here is a "magic number" that has to
 * be guessed in one go. Each step (a record type byte that is recognised, a
 * version that is accepted, a flag bit that is set, ...) takes the parser
 * down a branch it had not taken before. The compiler's coverage
 * instrumentation reports that new branch, the engine keeps the input in its
 * corpus, and later mutations start from it. Step by step the inputs walk
 * deeper into the parser until they reach the bug.
 */
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

#define FLAG_EXTENSIONS 0x80

struct document {
    int version;
    unsigned flags;
    int extensions_enabled;
    char name[17];
    int count;
    int extension_count;
};

/* Extension handlers, indexed by extension id. Only id 1 exists; the table
 * has a slot for id 2 that was "reserved for later" and never filled in. */
typedef int (*extension_fn)(struct document *doc, const uint8_t *arg, size_t len);

static int ext_comment(struct document *doc, const uint8_t *arg, size_t len)
{
    (void)arg;
    (void)len;
    doc->extension_count++;
    return 0;
}

static const extension_fn extensions[3] = { NULL, ext_comment, NULL };

static int parse_extension(struct document *doc, const uint8_t *v, size_t len)
{
    unsigned id;
    if (len < 1)
        return -1;
    id = v[0];
    if (id > 2) /* bounds-checked... */
        return -1;
    /* THE PLANTED BUG: the check above allows id 2, whose slot is NULL, and
     * nothing checks the pointer before the call. Reaching this line with
     * id == 2 needs: the "TL" magic, version 3, the EXTENSIONS flag, and an
     * 'X' record whose first byte is 2. */
    return extensions[id](doc, v + 1, len - 1);
}

/* Returns 0 if the whole input is a valid document, -1 otherwise. */
static int parse_document(const uint8_t *data, size_t size, struct document *doc)
{
    size_t pos = 4;
    memset(doc, 0, sizeof(*doc));
    if (size < 4 || data[0] != 'T' || data[1] != 'L')
        return -1; /* not our format */
    doc->version = data[2];
    doc->flags = data[3];
    switch (doc->version) {
    case 1:
    case 2:
        break; /* old versions: no extensions */
    case 3:
        if (doc->flags & FLAG_EXTENSIONS)
            doc->extensions_enabled = 1;
        break;
    default:
        return -1; /* unknown version */
    }
    while (pos + 2 <= size) {
        uint8_t type = data[pos];
        size_t len = data[pos + 1];
        const uint8_t *value = data + pos + 2;
        if (pos + 2 + len > size)
            return -1; /* truncated record */
        switch (type) {
        case 'N':
            if (len > 16)
                return -1;
            memcpy(doc->name, value, len);
            doc->name[len] = '\0';
            break;
        case 'C':
            if (len != 1)
                return -1;
            doc->count = value[0];
            break;
        case 'X':
            if (!doc->extensions_enabled)
                return -1;
            if (parse_extension(doc, value, len) != 0)
                return -1;
            break;
        case 'E':
            return 0;
        default:
            return -1; /* unknown record type */
        }
        pos += 2 + len;
    }
    return pos == size ? 0 : -1;
}

/* The fuzz target: portfuzz calls this with each generated input. It must
 * not keep `data` (it is freed after the call) and should be deterministic. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct document doc;
    (void)parse_document(data, size, &doc);
    return 0;
}
