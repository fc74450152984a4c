/* kv.h -- a small "key = value" configuration parser: the example project
 * that .clusterfuzzlite/ fuzzes with portfuzz as the engine. */
#ifndef KV_H
#define KV_H

#include <stddef.h>

#define KV_MAX_PAIRS 32
#define KV_MAX_KEY 32

typedef struct kv_pair {
    char key[KV_MAX_KEY + 1];
    const char *value; /* points into the parsed text */
    size_t value_len;
} kv_pair_t;

typedef struct kv_doc {
    kv_pair_t pairs[KV_MAX_PAIRS];
    int npairs;
    char section[KV_MAX_KEY + 1];
} kv_doc_t;

/* Parses text (not NUL-terminated). Lines: "key = value", "[section]",
 * "# comment" or empty. Returns 0, or the 1-based line number of the first
 * line it refuses. */
int kv_parse(kv_doc_t *doc, const char *text, size_t len);

/* The value of key, or NULL. */
const kv_pair_t *kv_get(const kv_doc_t *doc, const char *key);

#endif
