// fuzz_kv_cxx.cc -- libFuzzer-style harness for kv_parse (C++): round-trips a
// parsed document through its text form and parses it again.
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" {
#include "kv.h"
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_doc_t doc, again;
    std::string text;

    if (kv_parse(&doc, reinterpret_cast<const char *>(data), size) != 0)
        return 0;
    for (int i = 0; i < doc.npairs; i++) {
        text += doc.pairs[i].key;
        text += " = \"";
        text.append(doc.pairs[i].value, doc.pairs[i].value_len);
        text += "\"\n";
    }
    if (kv_parse(&again, text.data(), text.size()) != 0 || again.npairs != doc.npairs)
        abort(); // what kv_parse produced, it must accept back
    return 0;
}
