#!/bin/sh
# cmake-example.sh -- builds examples/cmake against an installed portfuzz
# (find_package(portfuzz) through CMAKE_PREFIX_PATH), fuzzes it and checks
# that it finds its planted crash as libFuzzer would: exit status 77 and a
# crash-<sha1> artifact.
# Usage: tests/cmake-example.sh PREFIX WORKDIR [cmake configure args...]
#   PREFIX   where portfuzz was installed (cmake --install ... --prefix)
#   WORKDIR  scratch directory (the example's build, findings, logs)
# Environment: PFZ_RUN runs the fuzzer through a command (e.g. wine);
# PFZ_EXAMPLE_TIME bounds the fuzzing (-max_total_time, default 120 s).
set -u
[ $# -ge 2 ] || { echo "usage: $0 PREFIX WORKDIR [cmake args...]" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
prefix=$1 work=$2
shift 2
limit=${PFZ_EXAMPLE_TIME:-120}
fail() { echo "cmake-example: $*" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work/findings" || fail "cannot create $work"
cmake -S "$top/examples/cmake" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" "$@" \
  >"$work/configure.out" 2>&1 ||
  { tail -30 "$work/configure.out" >&2; fail "configuring examples/cmake against $prefix failed (log: $work/configure.out)"; }
cmake --build "$work/build" >"$work/build.out" 2>&1 ||
  { tail -30 "$work/build.out" >&2; fail "building examples/cmake failed (log: $work/build.out)"; }
if grep -E 'warning:' "$work/build.out" >&2; then
  fail "warnings building examples/cmake (see above)"
fi
exe=$work/build/tlv_fuzzer
[ -f "$exe" ] || exe=$exe.exe
[ -f "$exe" ] || fail "no tlv_fuzzer in $work/build"

# The outer timeout is only a backstop behind -max_total_time.
code=0
(cd "$work" && timeout --kill-after=10 $((limit + 60)) ${PFZ_RUN:-} "$exe" -workers=2 -seed=1 \
  -max_total_time="$limit" -artifact_prefix="findings/") >"$work/fuzz.out" 2>&1 || code=$?
found=$(ls "$work/findings" | grep -c '^crash-')
if [ "$code" != 77 ] || [ "$found" -lt 1 ]; then
  tr -d '\r' <"$work/fuzz.out" | tail -40 >&2
  fail "tlv_fuzzer exited with $code and wrote $found crash artifact(s); expected 77 and at least one (log: $work/fuzz.out)"
fi
echo "cmake-example: found the planted crash ($(tr -d '\r' <"$work/fuzz.out" | grep -m1 -o 'Test unit written to .*'))"
