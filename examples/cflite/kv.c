/* kv.c -- see kv.h. */
#include <ctype.h>
#include <string.h>

#include "kv.h"

static size_t trim(const char **s, size_t n)
{
    while (n > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)(*s)[n - 1]))
        n--;
    return n;
}

static int parse_line(kv_doc_t *doc, const char *s, size_t n)
{
    const char *eq;
    size_t klen;

    n = trim(&s, n);
    if (n == 0 || s[0] == '#' || s[0] == ';')
        return 0;
    if (s[0] == '[') {
        if (n < 3 || s[n - 1] != ']' || n - 2 > KV_MAX_KEY)
            return -1;
        memcpy(doc->section, s + 1, n - 2);
        doc->section[n - 2] = '\0';
        return 0;
    }
    eq = memchr(s, '=', n);
    if (eq == NULL)
        return -1;
    klen = (size_t)(eq - s);
    {
        const char *k = s, *v = eq + 1;
        size_t vlen = n - klen - 1;
        klen = trim(&k, klen);
        vlen = trim(&v, vlen);
        if (klen == 0 || klen > KV_MAX_KEY || doc->npairs == KV_MAX_PAIRS)
            return -1;
        {
            size_t i;
            for (i = 0; i < klen; i++) /* keys are text: no NUL, no control bytes */
                if (iscntrl((unsigned char)k[i]))
                    return -1;
        }
        if (vlen >= 2 && v[0] == '"') { /* a quoted value keeps its spaces */
            if (v[vlen - 1] != '"')
                return -1;
            v++;
            vlen -= 2;
        }
        memcpy(doc->pairs[doc->npairs].key, k, klen);
        doc->pairs[doc->npairs].key[klen] = '\0';
        doc->pairs[doc->npairs].value = v;
        doc->pairs[doc->npairs].value_len = vlen;
        doc->npairs++;
    }
    return 0;
}

int kv_parse(kv_doc_t *doc, const char *text, size_t len)
{
    size_t pos = 0;
    int line = 1;

    memset(doc, 0, sizeof *doc);
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (parse_line(doc, text + pos, end - pos) != 0)
            return line;
        pos = end + 1;
        line++;
    }
    return 0;
}

const kv_pair_t *kv_get(const kv_doc_t *doc, const char *key)
{
    int i;

    for (i = 0; i < doc->npairs; i++)
        if (strcmp(doc->pairs[i].key, key) == 0)
            return &doc->pairs[i];
    return NULL;
}
