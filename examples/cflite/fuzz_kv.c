/* fuzz_kv.c -- libFuzzer-style harness for kv_parse (C). */
#include <stdint.h>
#include <string.h>

#include "kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_doc_t doc;
    const kv_pair_t *p;

    if (kv_parse(&doc, (const char *)data, size) != 0)
        return -1; /* not a valid document: do not keep it in the corpus */
    if ((p = kv_get(&doc, "name")) != NULL && p->value_len > 0) {
        /* Every value must lie inside the input. */
        if (p->value < (const char *)data || p->value + p->value_len > (const char *)data + size)
            __builtin_trap();
    }
    return 0;
}
