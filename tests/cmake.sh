#!/bin/sh
# cmake.sh -- the CMake build on Linux/POSIX, end to end: configures
# CMakeLists.txt in BUILD_DIR (warnings are errors), builds it, runs its
# ctest, installs it into BUILD_DIR/prefix and builds examples/cmake against
# that prefix with find_package(portfuzz), with each of gcc and clang that is
# on PATH, which must find its planted crash (tests/cmake-example.sh).
# ctest leaves out the end-to-end suites e2e and hostile (several minutes;
# the autotools builds run them on the same sources); every other suite runs,
# ossfuzz_link included (it links harnesses with the CMake build's
# portfuzz-uninstalled.pc).
# Usage: tests/cmake.sh BUILD_DIR [cmake configure args...]
#   (e.g. tests/cmake.sh build/cmake -DCMAKE_C_COMPILER=clang)
set -u
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [cmake args...]" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
b=$1
shift
jobs=${PFZ_JOBS:-2}
fail() { echo "cmake.sh: $*" >&2; exit 1; }

mkdir -p "$b" && b=$(cd "$b" && pwd) || fail "cannot create $1"
prefix=$b/prefix
cmake -S "$top" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPFZ_WERROR=ON \
  -DCMAKE_INSTALL_PREFIX="$prefix" "$@" >"$b/configure.out" 2>&1 ||
  { tail -30 "$b/configure.out" >&2; fail "cmake configure failed (log: $b/configure.out)"; }
cmake --build "$b" -j"$jobs" >"$b/build.out" 2>&1 ||
  { tail -30 "$b/build.out" >&2; fail "cmake build failed (log: $b/build.out)"; }
if ! (cd "$b" && ctest --output-on-failure -E '^(e2e|hostile)$' >"$b/ctest.out" 2>&1); then
  grep -v '^    #[0-9]* 0x' "$b/ctest.out" | tail -120 >&2
  fail "ctest of the CMake build failed (log: $b/ctest.out)"
fi
grep -E 'tests passed|Total Test time' "$b/ctest.out" >&2
rm -rf "$prefix"
cmake --install "$b" >"$b/install.out" 2>&1 ||
  { tail -30 "$b/install.out" >&2; fail "cmake --install failed (log: $b/install.out)"; }
for f in include/portfuzz.h lib/libportfuzz.a lib/pkgconfig/portfuzz.pc \
         lib/cmake/portfuzz/portfuzzConfig.cmake lib/cmake/portfuzz/portfuzzConfigVersion.cmake; do
  [ -f "$prefix/$f" ] || fail "cmake --install did not install $f into $prefix"
done
n=0
for cc in gcc clang; do
  command -v $cc >/dev/null 2>&1 || continue
  "$top/tests/cmake-example.sh" "$prefix" "$b/example-$cc" -DCMAKE_C_COMPILER=$cc || exit 1
  n=$((n + 1))
done
[ $n -ge 1 ] || fail "neither gcc nor clang on PATH for examples/cmake"
echo "cmake.sh: CMake build, ctest, install and examples/cmake passed ($b)"
