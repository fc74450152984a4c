/* parser.c -- a small realistic target: a strict JSON validator/walker
 * (objects, arrays, strings with escapes and \u, numbers, literals) that
 * counts what it sees. Bounded recursion, no bugs: measures speed and
 * coverage on a branchy parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const uint8_t *p, *end;
    int depth;
    unsigned objects, arrays, strings, numbers, literals, keys;
} parser_t;

static int value(parser_t *ps);

static void skip_ws(parser_t *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int string(parser_t *ps)
{
    if (ps->p >= ps->end || *ps->p != '"')
        return 0;
    ps->p++;
    while (ps->p < ps->end) {
        uint8_t c = *ps->p++;
        if (c == '"') {
            ps->strings++;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            if (ps->p >= ps->end)
                return 0;
            c = *ps->p++;
            switch (c) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                break;
            case 'u': {
                int i;
                unsigned cp = 0;
                if (ps->end - ps->p < 4)
                    return 0;
                for (i = 0; i < 4; i++) {
                    int h = hexval(ps->p[i]);
                    if (h < 0)
                        return 0;
                    cp = cp << 4 | (unsigned)h;
                }
                ps->p += 4;
                if (cp >= 0xd800 && cp <= 0xdbff) { /* a surrogate pair must follow */
                    if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u')
                        return 0;
                    ps->p += 6;
                }
                break;
            }
            default:
                return 0;
            }
        } else if (c >= 0x80) { /* UTF-8: check the continuation bytes */
            int n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
            if (n < 0 || ps->end - ps->p < n)
                return 0;
            while (n--)
                if ((*ps->p++ & 0xc0) != 0x80)
                    return 0;
        }
    }
    return 0;
}

static int number(parser_t *ps)
{
    const uint8_t *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end)
        return 0;
    if (*ps->p == '0')
        ps->p++;
    else if (*ps->p >= '1' && *ps->p <= '9')
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    else
        return 0;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return 0;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return 0;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    ps->numbers++;
    return ps->p > s;
}

static int literal(parser_t *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return 0;
    ps->p += n;
    ps->literals++;
    return 1;
}

static int container(parser_t *ps, uint8_t close, int is_object)
{
    ps->p++; /* the opening bracket */
    if (++ps->depth > MAX_DEPTH)
        return 0;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return 1;
    }
    for (;;) {
        skip_ws(ps);
        if (is_object) {
            if (!string(ps))
                return 0;
            ps->keys++;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p++ != ':')
                return 0;
        }
        if (!value(ps))
            return 0;
        skip_ws(ps);
        if (ps->p >= ps->end)
            return 0;
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p++ != close)
            return 0;
        ps->depth--;
        if (is_object)
            ps->objects++;
        else
            ps->arrays++;
        return 1;
    }
}

static int value(parser_t *ps)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return 0;
    switch (*ps->p) {
    case '{': return container(ps, '}', 1);
    case '[': return container(ps, ']', 0);
    case '"': return string(ps);
    case 't': return literal(ps, "true");
    case 'f': return literal(ps, "false");
    case 'n': return literal(ps, "null");
    default: return number(ps);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parser_t ps;
    memset(&ps, 0, sizeof ps);
    ps.p = data;
    ps.end = data + size;
    if (value(&ps)) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            return 0; /* trailing garbage */
    }
    return 0;
}
