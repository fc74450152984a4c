/* dict.c -- dictionaries: the AFL / libFuzzer text format (-dict=FILE) and
 * the fixed-capacity automatic dictionary the mutator fills from comparison
 * operands. All platforms.
 *
 * Accepted lines (anything else is an error "NAME:LINE: reason"):
 *   # a comment            (also: blank lines, lines of spaces)
 *   "value"
 *   name="value"           name is [A-Za-z0-9_]+; spaces around '=' allowed
 *   name@3="value"         AFL's level suffix; accepted, level ignored
 * In values: \\ \" and \xNN (two hex digits); raw control characters are
 * rejected (write them as \xNN); bytes >= 0x80 are taken as they are (UTF-8).
 * A well-formed value longer than DICT_MAX_ENTRY bytes is skipped with a note
 * naming its line (libFuzzer skips words over its own limit, 64 bytes, without
 * a word; ours is AFL's, 128).
 */

#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "dict.h"

#define DICT_MAX_ENTRY 128 /* AFL's limit for dictionary tokens */
#define DICT_MAX_FILE (64u << 20)

typedef struct dict_entry {
    const uint8_t *data;
    apr_size_t len;
    uint32_t hash;
} dict_entry_t;

struct pfz__dict {
    dict_entry_t *e;
    apr_size_t n, cap;
    apr_pool_t *pool;
    /* auto dictionaries only: */
    uint8_t *slots;     /* cap * PFZ__DICT_AUTO_MAX bytes */
    apr_size_t next;    /* ring position of the oldest entry once full */
    int is_auto;
    apr_array_header_t *notes; /* parsed files: lines skipped (char *) */
};

static uint32_t hash_bytes(const uint8_t *p, apr_size_t n)
{
    uint32_t h = 2166136261u;
    apr_size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

apr_size_t pfz__dict_count(const pfz__dict_t *dict)
{
    return dict ? dict->n : 0;
}

const uint8_t *pfz__dict_entry(const pfz__dict_t *dict, apr_size_t i, apr_size_t *len)
{
    if (dict == NULL || i >= dict->n) {
        *len = 0;
        return NULL;
    }
    *len = dict->e[i].len;
    return dict->e[i].data;
}

int pfz__dict_contains(const pfz__dict_t *dict, const uint8_t *data, apr_size_t len)
{
    uint32_t h;
    apr_size_t i;
    if (dict == NULL)
        return 0;
    h = hash_bytes(data, len);
    for (i = 0; i < dict->n; i++)
        if (dict->e[i].hash == h && dict->e[i].len == len && memcmp(dict->e[i].data, data, len) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------ parsing */

static apr_status_t append(pfz__dict_t *d, const uint8_t *val, apr_size_t len)
{
    if (d->n == d->cap) {
        apr_size_t ncap = d->cap ? d->cap * 2 : 32;
        dict_entry_t *ne = apr_palloc(d->pool, ncap * sizeof(*ne));
        if (ne == NULL)
            return APR_ENOMEM;
        if (d->n)
            memcpy(ne, d->e, d->n * sizeof(*ne));
        d->e = ne;
        d->cap = ncap;
    }
    d->e[d->n].data = apr_pmemdup(d->pool, val, len);
    d->e[d->n].len = len;
    d->e[d->n].hash = hash_bytes(val, len);
    d->n++;
    return APR_SUCCESS;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int is_name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Parses one line p[0..n) (no newline). Returns NULL and sets *vlen on
 * success (*vlen == 0: nothing on the line; *toolong: a value over
 * DICT_MAX_ENTRY bytes, not stored), or an error message. */
static const char *parse_line(const char *p, apr_size_t n, uint8_t *val, apr_size_t *vlen,
                              apr_size_t *toolong)
{
    apr_size_t i = 0, o = 0;
    *vlen = 0;
    *toolong = 0;
    while (i < n && is_space((unsigned char)p[i]))
        i++;
    if (i == n || p[i] == '#')
        return NULL;
    if (p[i] != '"') {
        if (!is_name_char((unsigned char)p[i]))
            return "expected a name or a quoted value";
        while (i < n && is_name_char((unsigned char)p[i]))
            i++;
        if (i < n && p[i] == '@') {
            i++;
            if (i == n || p[i] < '0' || p[i] > '9')
                return "expected a level number after '@'";
            while (i < n && p[i] >= '0' && p[i] <= '9')
                i++;
        }
        while (i < n && is_space((unsigned char)p[i]))
            i++;
        if (i == n || p[i] != '=')
            return "expected '=' after the name";
        i++;
        while (i < n && is_space((unsigned char)p[i]))
            i++;
        if (i == n || p[i] != '"')
            return "expected '\"' to open the value";
    }
    i++; /* the opening quote */
    for (;;) {
        unsigned char c;
        if (i == n)
            return "unterminated value (missing closing '\"')";
        c = (unsigned char)p[i++];
        if (c == '"')
            break;
        if (c < 0x20 || c == 0x7f)
            return "control character in value (write it as \\xNN)";
        if (c == '\\') {
            if (i == n)
                return "unterminated escape at end of line";
            c = (unsigned char)p[i++];
            if (c == 'x') {
                int hi = i < n ? hexval((unsigned char)p[i]) : -1;
                int lo = i + 1 < n ? hexval((unsigned char)p[i + 1]) : -1;
                if (hi < 0 || lo < 0)
                    return "bad \\x escape (need two hex digits)";
                c = (unsigned char)(hi * 16 + lo);
                i += 2;
            } else if (c != '\\' && c != '"') {
                return "unknown escape (only \\\\, \\\" and \\xNN)";
            }
        }
        if (o < DICT_MAX_ENTRY)
            val[o] = c;
        o++;
    }
    while (i < n && is_space((unsigned char)p[i]))
        i++;
    if (i != n)
        return "unexpected text after the closing '\"'";
    if (o == 0)
        return "empty value";
    if (o > DICT_MAX_ENTRY)
        *toolong = o;
    else
        *vlen = o;
    return NULL;
}

apr_status_t pfz__dict_parse(pfz__dict_t **dict, const char *text, apr_size_t len,
                             const char *name, char *err, apr_size_t errlen, apr_pool_t *pool)
{
    pfz__dict_t *d = apr_pcalloc(pool, sizeof(*d));
    uint8_t val[DICT_MAX_ENTRY];
    apr_size_t pos = 0, line = 0;

    *dict = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (d == NULL)
        return APR_ENOMEM;
    d->pool = pool;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        apr_size_t end = nl ? (apr_size_t)(nl - text) : len, vlen, toolong = 0;
        const char *why;
        line++;
        if (memchr(text + pos, '\0', end - pos) != NULL)
            why = "NUL byte in line";
        else
            why = parse_line(text + pos, end - pos, val, &vlen, &toolong);
        if (why != NULL) {
            if (err && errlen)
                apr_snprintf(err, errlen, "%s:%lu: %s", name ? name : "dictionary",
                             (unsigned long)line, why);
            return PFZ_EFORMAT;
        }
        if (toolong) {
            if (d->notes == NULL)
                d->notes = apr_array_make(pool, 4, sizeof(const char *));
            APR_ARRAY_PUSH(d->notes, const char *) =
                apr_psprintf(pool, "%s:%lu: value of %lu bytes skipped (the limit is %d bytes)",
                             name ? name : "dictionary", (unsigned long)line,
                             (unsigned long)toolong, DICT_MAX_ENTRY);
        }
        if (vlen && append(d, val, vlen) != APR_SUCCESS)
            return APR_ENOMEM;
        pos = nl ? end + 1 : len;
    }
    *dict = d;
    return APR_SUCCESS;
}

apr_status_t pfz__dict_load(pfz__dict_t **dict, const char *path, char *err,
                            apr_size_t errlen, apr_pool_t *pool)
{
    apr_file_t *f = NULL;
    apr_finfo_t fi;
    apr_status_t st;
    char *buf = NULL;
    apr_size_t got = 0;
    char msg[128];

    *dict = NULL;
    st = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_OS_DEFAULT, pool);
    if (st == APR_SUCCESS)
        st = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    if (st == APR_SUCCESS && (fi.size < 0 || (apr_uint64_t)fi.size > DICT_MAX_FILE))
        st = PFZ_ETOOBIG;
    if (st == APR_SUCCESS) {
        buf = apr_palloc(pool, (apr_size_t)fi.size + 1);
        if (buf == NULL)
            st = APR_ENOMEM;
    }
    if (st == APR_SUCCESS && fi.size > 0)
        st = apr_file_read_full(f, buf, (apr_size_t)fi.size, &got);
    if (f)
        apr_file_close(f);
    if (st != APR_SUCCESS) {
        if (err && errlen)
            apr_snprintf(err, errlen, "cannot read dictionary %s: %s (check the -dict= path)", path,
                         pfz__strerror(st, msg, sizeof(msg)));
        return st;
    }
    return pfz__dict_parse(dict, buf, got, path, err, errlen, pool);
}

apr_size_t pfz__dict_notes(const pfz__dict_t *dict, const char *const **notes)
{
    if (dict == NULL || dict->notes == NULL) {
        *notes = NULL;
        return 0;
    }
    *notes = (const char *const *)dict->notes->elts;
    return (apr_size_t)dict->notes->nelts;
}

/* ------------------------------------------------------ auto dictionary */

apr_status_t pfz__dict_auto_create(pfz__dict_t **dict, apr_size_t capacity, apr_pool_t *pool)
{
    pfz__dict_t *d;
    *dict = NULL;
    if (capacity == 0)
        return APR_EINVAL;
    d = apr_pcalloc(pool, sizeof(*d));
    if (d == NULL)
        return APR_ENOMEM;
    d->e = apr_pcalloc(pool, capacity * sizeof(*d->e));
    d->slots = apr_palloc(pool, capacity * PFZ__DICT_AUTO_MAX);
    if (d->e == NULL || d->slots == NULL)
        return APR_ENOMEM;
    d->cap = capacity;
    d->pool = pool;
    d->is_auto = 1;
    *dict = d;
    return APR_SUCCESS;
}

int pfz__dict_auto_add(pfz__dict_t *dict, const uint8_t *data, apr_size_t len)
{
    apr_size_t i;
    uint8_t *slot;
    if (dict == NULL || !dict->is_auto || len == 0 || len > PFZ__DICT_AUTO_MAX)
        return 0;
    if (pfz__dict_contains(dict, data, len))
        return 0;
    if (dict->n < dict->cap) {
        i = dict->n++;
    } else {
        i = dict->next;
        dict->next = (dict->next + 1) % dict->cap;
    }
    /* Entry i always owns slot i, so a replaced entry reuses its memory. */
    slot = dict->slots + i * PFZ__DICT_AUTO_MAX;
    memcpy(slot, data, len);
    dict->e[i].data = slot;
    dict->e[i].len = len;
    dict->e[i].hash = hash_bytes(data, len);
    return 1;
}
