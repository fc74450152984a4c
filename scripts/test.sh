#!/usr/bin/env bash
# scripts/test.sh -- the whole test suite, from a fresh Debian 12 machine:
# installs what is missing, then builds and runs every CUnit suite (unit,
# cross-process, stress, end-to-end) with gcc, with clang, and with clang +
# ThreadSanitizer, the CMake build (tests/cmake.sh: ctest, install and a
# find_package(portfuzz) example), real projects' libFuzzer harnesses built the
# OSS-Fuzz way against the clang build (scripts/real-harnesses.sh), the
# campaign tools (tests/tools.sh: portfuzz-plot, portfuzz-coverage, progress
# lines), and finally the Windows
# build under Wine (scripts/test-windows.sh).
# Usage: ./scripts/test.sh [--quick]   (--quick: gcc build only)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

quick=0
[ "${1:-}" = "--quick" ] && quick=1
pfz_install_build_deps
B=${PFZ_BUILD_ROOT:-$PFZ_TOP/build}
t0=$(date +%s)
# Campaigns started by the tests run every corpus input: none takes its
# features from a cache an earlier test or run filled (the cache's own tests
# name theirs with -feature_cache=DIR).
export PORTFUZZ_FEATURE_CACHE=0

run_check() { # DIR LABEL [env...]
  local dir=$1 label=$2; shift 2
  pfz_say "make check ($label)"
  if ! env "$@" make -C "$dir" -j1 check >"$dir/check.out" 2>&1; then
    cat "$dir/tests/runner.log" 2>/dev/null | tail -150 >&2 || true
    tail -30 "$dir/check.out" >&2
    pfz_die "make check failed ($label); logs: $dir/tests/runner.log, $dir/check.out"
  fi
  # A runner that ended early with status 0 never printed its totals.
  grep -qE '^[1-9][0-9]* passed, 0 failed$' "$dir/tests/runner.log" ||
    pfz_die "the test runner ended without its totals line ($label); log: $dir/tests/runner.log"
  # The runner runs each suite in a process of its own: its per-suite lines
  # and its totals (the last summary; each suite's own CUnit summary is above).
  grep -E '^suite [a-z0-9_]+: ' "$dir/tests/runner.log" || true
  sed -n '/^Run Summary (every suite/,$p' "$dir/tests/runner.log" |
    grep -E '^(Run Summary|  *(suites|tests|asserts) |[0-9]+ passed, [0-9]+ failed$)' || true
}

pfz_build "$B/gcc" CC=gcc --enable-werror
run_check "$B/gcc" gcc
# The same sources through CMakeLists.txt: build, ctest (but the end-to-end
# suites the autotools builds run), install, and a fuzzer built with
# find_package(portfuzz) against the install (examples/cmake; ~1-2 min).
pfz_say "CMake build, ctest, install and examples/cmake (tests/cmake.sh)"
"$PFZ_TOP/tests/cmake.sh" "$B/cmake" -DCMAKE_C_COMPILER=gcc >"$B/cmake.log" 2>&1 ||
  { tail -60 "$B/cmake.log" >&2; pfz_die "tests/cmake.sh failed (log: $B/cmake.log)"; }
tail -1 "$B/cmake.log" >&2
if [ $quick = 0 ]; then
  pfz_build "$B/clang" CC=clang --enable-werror
  run_check "$B/clang" clang
  # Real projects' own harnesses, linked the OSS-Fuzz way against this build.
  pfz_say "real projects' harnesses (scripts/real-harnesses.sh)"
  "$PFZ_TOP/scripts/real-harnesses.sh" "$B/clang"
  # OSS-Fuzz / ClusterFuzz / ClusterFuzzLite, as they drive a libFuzzer
  # target (tests/clusterfuzz.sh says what is checked).
  pfz_apt zip unzip
  pfz_say "the libFuzzer contract, driven as ClusterFuzz drives it (tests/clusterfuzz.sh)"
  "$PFZ_TOP/tests/clusterfuzz.sh" "$B/clusterfuzz" >"$B/clusterfuzz.log" 2>&1 ||
    { tail -150 "$B/clusterfuzz.log" >&2; pfz_die "tests/clusterfuzz.sh failed (log: $B/clusterfuzz.log)"; }
  tail -1 "$B/clusterfuzz.log" >&2
  # portfuzz-plot, portfuzz-coverage and the progress lines (tests/tools.sh).
  pfz_apt gnuplot-nox libxml2-utils llvm
  pfz_say "campaign tools: portfuzz-plot, portfuzz-coverage, progress lines (tests/tools.sh)"
  "$PFZ_TOP/tests/tools.sh" "$B/clang" "$B/tools" >"$B/tools.log" 2>&1 ||
    { tail -80 "$B/tools.log" >&2; pfz_die "tests/tools.sh failed (log: $B/tools.log)"; }
  tail -1 "$B/tools.log" >&2
  pfz_build "$B/tsan" CC=clang --enable-tsan
  # report_signal_unsafe=0: a worker's deadly-signal handler prints the stack
  # with the sanitizer's own __sanitizer_print_stack_trace (which allocates),
  # as libFuzzer's handler does; races are still reported.
  run_check "$B/tsan" "clang + ThreadSanitizer" \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0" PFZ_STRESS_ROUNDS=600
  if [ -x "$PFZ_TOP/scripts/test-windows.sh" ]; then
    pfz_say "Windows (mingw-w64 build, run under Wine)"
    "$PFZ_TOP/scripts/test-windows.sh"
  fi
fi
pfz_say "all tests passed in $(( $(date +%s) - t0 )) s"
