#!/usr/bin/env bash
# scripts/test-windows.sh -- the Windows build of portfuzz, tested on Linux:
# cross-builds it with mingw-w64 and runs its tests under headless Wine.
#   1. APR + CUnit for x86_64-w64-mingw32 (scripts/build-win-deps.sh; cached);
#   2. autotools: ./configure --host=x86_64-w64-mingw32 in $B/mingw, the whole
#      CUnit runner (unit, cross-process, stress, end-to-end) under Wine;
#   3. CMake: the same sources through CMakeLists.txt + cmake/mingw-w64.cmake
#      in $B/cmake-mingw, then ctest through Wine (every suite but the client
#      stress and e2e, which step 2 already ran on identical code: together
#      4 of the Wine run's 6 minutes; examples/cmake below is this build's
#      end-to-end run); installs it and
#      builds examples/cmake against the install (find_package(portfuzz)),
#      whose .exe must find its planted crash under Wine;
#   4. stops the Wine prefix's wineserver, whatever happened.
# B=${PFZ_BUILD_ROOT:-<repo>/build}. Exits non-zero on any failure.
# Usage: scripts/test-windows.sh [--no-cmake]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cmake_too=1
[ "${1:-}" = "--no-cmake" ] && cmake_too=0
B=${PFZ_BUILD_ROOT:-$PFZ_TOP/build}
TRIPLET=x86_64-w64-mingw32
DEPS=${PORTFUZZ_WIN_DEPS:-$HOME/.cache/portfuzz/mingw64}
export PORTFUZZ_WIN_DEPS=$DEPS
t0=$(date +%s)
step() { printf '==> [windows %3ss] %s\n' "$(( $(date +%s) - t0 ))" "$*" >&2; }

pfz_apt gcc-mingw-w64-x86-64 cmake
step "dependencies (scripts/build-win-deps.sh)"
"$PFZ_TOP/scripts/build-win-deps.sh"

step "Wine prefix (scripts/wine-env.sh)"
# A prefix of this build tree's own: its wineserver serves nobody else, so no
# other run's `wineserver -k` can end this run's processes (they would exit
# with status 0, mid-suite), and this run's stop ends only its own.
export PORTFUZZ_WINEPREFIX=${PORTFUZZ_WINEPREFIX:-$B/wineprefix}
# shellcheck source=scripts/wine-env.sh
source "$PFZ_TOP/scripts/wine-env.sh" || pfz_die "Wine setup failed"
trap 'pfz_wine_stop' EXIT

# Runs a Windows program under Wine with a time limit; Wine's own noise
# ("wine: Unhandled page fault" of intended crashes) stays in the log.
wine_run() { # LOG TIMEOUT EXE ARGS...
  local log=$1 limit=$2; shift 2
  timeout --kill-after=10 "$limit" wine "$@" >"$log" 2>&1
}

# --- autotools -----------------------------------------------------------------
step "autotools build ($B/mingw)"
# No --enable-werror: pfz__log's format(printf) attribute means ms_printf to
# mingw gcc, which knows no %zu (the runtime, mingw's C99 stdio, does). The
# Win32 layer itself must stay warning-free: checked below.
pfz_build "$B/mingw" --host=$TRIPLET PKG_CONFIG_LIBDIR="$DEPS/lib/pkgconfig"
make -C "$B/mingw" -j"$PFZ_JOBS" check TESTS= >>"$B/mingw/make.out" 2>&1 ||
  { tail -30 "$B/mingw/make.out" >&2; pfz_die "building the Windows tests failed ($B/mingw/make.out)"; }
if grep -E '(src/win32/|tests/test-(shm|misc|e2e)\.c).*warning:' "$B/mingw/make.out" >&2; then
  pfz_die "warnings in the Win32 layer or its tests (see above)"
fi
for exe in tests/runner.exe examples/planted_crash.exe tests/targets/kinds.exe; do
  [ -f "$B/mingw/$exe" ] || pfz_die "$B/mingw/$exe was not built"
done

step "CUnit runner under Wine (all suites, each in its own process and job)"
# The runner limits each suite itself (600 s e2e, 300 s others; see
# tests/runner.c) and names a suite that hangs; the outer limit is only the
# backstop for the runner itself.
log=$B/mingw/runner-wine.log
summary() { # LOG: the per-suite lines and the totals of the isolating runner
  tr -d '\r' <"$1" | grep -aE '^suite [a-z0-9_]+[: ]' >&2 || true
  tr -d '\r' <"$1" | sed -n '/^Run Summary (every suite/,$p' |
    grep -aE '^(Run Summary|  *(suites|tests|asserts) |[0-9]+ passed, [0-9]+ failed$|    [a-z0-9_]+: )' >&2 || true
}
if ! (cd "$B/mingw" && wine_run "$log" 2400 tests/runner.exe); then
  tr -d '\r' <"$log" | grep -av '^    #[0-9]* 0x' | tail -120 >&2
  summary "$log"
  pfz_die "Windows runner failed under Wine (full log: $log)"
fi
summary "$log"
# Exit status 0 is not enough: a runner that Wine ends early (a console
# event's default handling exits with 0) never printed its totals.
tr -d '\r' <"$log" | grep -aqE '^[1-9][0-9]* passed, 0 failed$' ||
  pfz_die "the Windows runner exited 0 without its totals line (ended early?); log: $log"

step "source lists (tests/check-source-lists.sh)"
sh "$PFZ_TOP/tests/check-source-lists.sh" "$PFZ_TOP"

# --- CMake -----------------------------------------------------------------------
if [ $cmake_too = 1 ]; then
  step "CMake build with cmake/mingw-w64.cmake ($B/cmake-mingw)"
  cm=$B/cmake-mingw
  cmake -S "$PFZ_TOP" -B "$cm" -DCMAKE_TOOLCHAIN_FILE="$PFZ_TOP/cmake/mingw-w64.cmake" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$B/cmake-mingw.configure.out" 2>&1 ||
    { tail -30 "$B/cmake-mingw.configure.out" >&2; pfz_die "cmake configure failed"; }
  cmake --build "$cm" -j"$PFZ_JOBS" >"$cm/build.out" 2>&1 ||
    { tail -30 "$cm/build.out" >&2; pfz_die "cmake build failed ($cm/build.out)"; }
  step "ctest through Wine"
  if ! (cd "$cm" && ctest --output-on-failure -E '^(client|e2e)$' >"$cm/ctest.out" 2>&1); then
    tr -d '\r' <"$cm/ctest.out" | grep -av '^    #[0-9]* 0x' | tail -120 >&2
    pfz_die "ctest of the CMake build failed under Wine (log: $cm/ctest.out)"
  fi
  grep -E 'tests passed|Total Test time' "$cm/ctest.out" >&2 || true
  step "examples/cmake: find_package(portfuzz) against the installed CMake build, run under Wine"
  rm -rf "$cm/prefix"
  cmake --install "$cm" --prefix "$cm/prefix" >"$cm/install.out" 2>&1 ||
    { tail -30 "$cm/install.out" >&2; pfz_die "cmake --install of the mingw build failed ($cm/install.out)"; }
  PFZ_RUN=wine "$PFZ_TOP/tests/cmake-example.sh" "$cm/prefix" "$cm/example" \
    -DCMAKE_TOOLCHAIN_FILE="$PFZ_TOP/cmake/mingw-w64.cmake" -DCMAKE_BUILD_TYPE=RelWithDebInfo ||
    pfz_die "examples/cmake (mingw-w64, under Wine) failed"
fi

step "Windows build passed"
