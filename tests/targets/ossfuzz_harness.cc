// ossfuzz_harness.cc -- the C++ twin of ossfuzz_harness.c (same bug, same
// magic), built by the ossfuzz_link tests with $CXX $CXXFLAGS: a harness that
// uses the standard library (std::string, std::vector, exceptions), so the
// plain link line must also bring in what libc++/libstdc++ code references.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{

void bug(std::size_t size)
{
    std::vector<char> *v = new std::vector<char>(size);
    char *volatile p = v->data();
    p[size] = 1; // one past the end
    delete v;
    std::abort();
}

bool starts_with_magic(const std::string &s)
{
    static const char magic[] = "FUZZ";
    try {
        for (std::size_t i = 0; i < 4; i++)
            if (s.at(i) != magic[i])
                return false;
    } catch (const std::out_of_range &) {
        return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    std::string s(reinterpret_cast<const char *>(data), size);
    if (starts_with_magic(s))
        bug(size);
    return 0;
}
