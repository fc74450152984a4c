#!/usr/bin/env bash
# scripts/real-harnesses.sh -- real projects' own libFuzzer harnesses, built
# the OSS-Fuzz way against portfuzz and fuzzed for a short, bounded time.
#
# From Debian 12's source packages (apt-get source; dpkg-source -x applies
# Debian's patches):
#   libxml2  fuzz/xml.c + fuzz/fuzz.c         C
#   sqlite3  test/ossfuzz.c + the amalgamation  C
#   re2      re2/fuzzing/re2_fuzzer.cc         C++
# Each project library and harness is compiled with OSS-Fuzz's flags
# (CFLAGS/CXXFLAGS = -O1 -fno-omit-frame-pointer -gline-tables-only
# -fsanitize=fuzzer-no-link) and linked in a separate step,
#   $CXX $LINK_FLAGS harness.o... $LIB_FUZZING_ENGINE project-lib
# with LIB_FUZZING_ENGINE="$(pkg-config --libs portfuzz)" and no -fsanitize
# on the link line (OSS-Fuzz's SANITIZER=none; a build whose link step never
# sees the compile options). libxml2 is built a second time with
# -fsanitize=address (on both lines, as OSS-Fuzz's ASan build does). Every
# fuzzer then runs -workers=2 for PFZ_REAL_SECONDS (default 20) seconds and
# must end normally (exit 0, or 77 if it found a bug, which is reported, not
# failed), with executions and real coverage, and no engine error.
#
# For bench/real.sh: PFZ_REAL_OUT=DIR also links each harness with libFuzzer
# (clang -fsanitize=fuzzer, same objects and libraries) and puts both in DIR
# as NAME-portfuzz and NAME-libfuzzer; PFZ_REAL_SECONDS=0 builds without
# fuzzing; PFZ_REAL_ASAN=0 skips the ASan build.
#
# Usage: scripts/real-harnesses.sh [PORTFUZZ_BUILD_DIR]
#   PORTFUZZ_BUILD_DIR  a portfuzz build directory (default: $B/clang, built
#                       here with clang if needed); pkg-config reads its
#                       portfuzz-uninstalled.pc, the installed file's twin.
# Caches downloads and the instrumented project libraries in
# ${PORTFUZZ_REAL_CACHE:-~/.cache/portfuzz/real} (keyed by package version,
# flags and clang version); the harnesses are always re-linked against the
# current portfuzz. Installs what it needs with apt-get.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

B=${PFZ_BUILD_ROOT:-$PFZ_TOP/build}
PFZ_DIR=${1:-$B/clang}
CACHE=${PORTFUZZ_REAL_CACHE:-$HOME/.cache/portfuzz/real}
SECONDS_EACH=${PFZ_REAL_SECONDS:-20}
t0=$(date +%s)
say() { pfz_say "[real $(($(date +%s) - t0))s] $*"; }

pfz_apt ca-certificates clang libclang-rt-14-dev pkg-config make autoconf automake libtool \
  dpkg-dev python3 perl unicode-data tcl
if [ ! -f "$PFZ_DIR/portfuzz-uninstalled.pc" ]; then
  [ "$#" -eq 0 ] || pfz_die "$PFZ_DIR is not a configured portfuzz build directory"
  pfz_install_build_deps
  pfz_build "$PFZ_DIR" CC=clang --enable-werror
fi
[ -f "$PFZ_DIR/.libs/libportfuzz.a" ] || pfz_die "$PFZ_DIR has no .libs/libportfuzz.a: run make there"

export CC=clang CXX=clang++
BASE="-O1 -fno-omit-frame-pointer -gline-tables-only"
LIB_FUZZING_ENGINE=$(PKG_CONFIG_PATH=$PFZ_DIR pkg-config --libs portfuzz) ||
  pfz_die "pkg-config --libs portfuzz failed (PKG_CONFIG_PATH=$PFZ_DIR)"
CLANG_ID=$(clang --version | head -n1)
mkdir -p "$CACHE/dl"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/portfuzz-real.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# unpack PKG MODE: the patched source of PKG, unpacked for MODE; echoes its
# directory. Downloads once (pfz_apt_source: when the newest version cannot
# be fetched, the older versions apt knows are tried).
unpack() {
  local pkg=$1 mode=$2 dsc ver
  dsc=$(ls "$CACHE/dl/${pkg}_"*.dsc 2>/dev/null | head -n1 || true)
  [ -n "$dsc" ] || dsc=$(pfz_apt_source "$pkg" "$CACHE/dl") || exit 1
  ver=$(sed -n 's/^Version: //p' "$dsc")
  local dir="$CACHE/$mode/$pkg-$ver"
  if [ ! -d "$dir" ]; then
    mkdir -p "$CACHE/$mode"
    dpkg-source -x "$dsc" "$dir.tmp" >"$WORK/unpack-$pkg.log" 2>&1 ||
      { cat "$WORK/unpack-$pkg.log" >&2; pfz_die "dpkg-source -x $dsc failed"; }
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# begin PKG MODE FLAGS: sets SRC (PKG's source unpacked for MODE), O (a
# fresh directory for the harness) and KEY (what the cached library was built
# with: FLAGS and the clang version); true when SRC's library must be built,
# which `stamp` then records.
begin() {
  SRC=$(unpack "$1" "$2")
  KEY="$CLANG_ID|$3"
  O="$WORK/$1-$2"
  mkdir -p "$O"
  [ "$(cat "$SRC/.pfz-real-stamp" 2>/dev/null)" = "$KEY" ] && return 1
  say "building $1 ($2) in $SRC"
}
stamp() { printf '%s' "$KEY" >"$SRC/.pfz-real-stamp"; }

# run_step LOG CMD...: runs CMD quietly; on failure shows LOG's tail and dies.
run_step() {
  local log=$1; shift
  nice -n 10 "$@" >>"$log" 2>&1 || { tail -30 "$log" >&2; pfz_die "failed: $* (log: $log)"; }
}

# export_both NAME BINARY LINKFLAGS OBJ... -- LIB...: with PFZ_REAL_OUT, puts
# BINARY (linked with portfuzz) there as NAME-portfuzz and links the same
# objects and libraries with libFuzzer as NAME-libfuzzer.
export_both() {
  [ -n "${PFZ_REAL_OUT:-}" ] || return 0
  local name=$1 bin=$2 lf=$3 objs=()
  shift 3
  while [ "$1" != -- ]; do objs+=("$1"); shift; done
  shift
  mkdir -p "$PFZ_REAL_OUT"
  cp "$bin" "$PFZ_REAL_OUT/$name-portfuzz"
  run_step "$O/build.log" $CXX $lf -fsanitize=fuzzer "${objs[@]}" -o "$PFZ_REAL_OUT/$name-libfuzzer" "$@"
}

# fuzz NAME BINARY: a bounded run; checks that the engine ran it properly.
fuzz() {
  local name=$1 bin=$2 dir="$WORK/run-$1" rc=0 runs cov
  [ "$SECONDS_EACH" -gt 0 ] || return 0
  mkdir -p "$dir/corpus"
  say "fuzzing $name for ${SECONDS_EACH}s with 2 workers"
  timeout --kill-after=10 $((SECONDS_EACH + 60)) "$bin" -workers=2 -seed=1 \
    -max_total_time="$SECONDS_EACH" -artifact_prefix="$dir/" "$dir/corpus" >"$dir/out.txt" 2>&1 ||
    rc=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$dir/out.txt" | tail -n1)
  cov=$(grep -o 'cov: [0-9]*' "$dir/out.txt" | tail -n1 | cut -d' ' -f2)
  # Exit 77 is a finding in the project; the engine's own errors never pass.
  if { [ "$rc" != 0 ] && [ "$rc" != 77 ]; } || [ "${runs:-0}" -le 0 ] || [ "${cov:-0}" -lt 100 ] ||
    grep -q 'no coverage instrumentation' "$dir/out.txt" ||
    grep -qE '^(==[0-9]+== )?ERROR: portfuzz|ended outside the fuzz target' "$dir/out.txt"; then
    tail -40 "$dir/out.txt" >&2
    pfz_die "$name: the fuzzer did not run as expected (exit $rc, ${runs:-no} runs, cov ${cov:-none})"
  fi
  if [ "$rc" = 77 ]; then
    mkdir -p "$CACHE/findings"
    cp "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$CACHE/findings/" 2>/dev/null || true
    say "$name: found a bug in the project (kept in $CACHE/findings)"
  fi
  say "$name: $runs runs, cov $cov, exit $rc"
}

# The project builders: MODE (none, address), SANFLAGS (compile),
# LINKFLAGS (the link line's $CXXFLAGS). Word splitting of the flag lists
# is intended throughout.
# shellcheck disable=SC2086

# ---- libxml2: fuzz/xml.c (OSS-Fuzz's libxml2 build, without zlib/lzma) --------
build_libxml2() {
  local cf="$BASE $2 -fsanitize=fuzzer-no-link"
  if begin libxml2 "$1" "$cf"; then
    # autoreconf, as OSS-Fuzz's autogen.sh: Debian's patches touch Makefile.am.
    (cd "$SRC" && run_step "$SRC/pfz-build.log" autoreconf -fi &&
      run_step "$SRC/pfz-build.log" env CFLAGS="$cf" ./configure --disable-shared \
        --without-debug --without-ftp --without-http --without-legacy --without-python \
        --without-zlib --without-lzma --without-threads &&
      run_step "$SRC/pfz-build.log" make -j"$PFZ_JOBS" libxml2.la)
    stamp
  fi
  run_step "$O/build.log" $CC $cf -I"$SRC/include" -c "$SRC/fuzz/xml.c" -o "$O/xml.o"
  run_step "$O/build.log" $CC $cf -I"$SRC/include" -c "$SRC/fuzz/fuzz.c" -o "$O/fuzz.o"
  run_step "$O/build.log" $CXX $3 "$O/xml.o" "$O/fuzz.o" -o "$O/xml" $LIB_FUZZING_ENGINE \
    "$SRC/.libs/libxml2.a" -lm
  export_both "libxml2-xml-$1" "$O/xml" "$3" "$O/xml.o" "$O/fuzz.o" -- "$SRC/.libs/libxml2.a" -lm
  fuzz "libxml2-xml-$1" "$O/xml"
}

# ---- sqlite3: test/ossfuzz.c + the amalgamation (OSS-Fuzz's sqlite3 build) ------
SQLITE_DEFS="-DSQLITE_MAX_LENGTH=128000000 -DSQLITE_MAX_SQL_LENGTH=128000000 \
-DSQLITE_MAX_MEMORY=25000000 -DSQLITE_PRINTF_PRECISION_LIMIT=1048576 -DSQLITE_DEBUG=1 \
-DSQLITE_MAX_PAGE_COUNT=16384"
build_sqlite3() {
  local cf="$BASE $2 -fsanitize=fuzzer-no-link $SQLITE_DEFS"
  if begin sqlite3 "$1" "$cf"; then
    mkdir -p "$SRC/bld"
    # The amalgamation generator needs only tclsh and a host compiler.
    (cd "$SRC/bld" && run_step "$SRC/pfz-build.log" env CFLAGS=-O1 ../configure &&
      run_step "$SRC/pfz-build.log" make sqlite3.c &&
      run_step "$SRC/pfz-build.log" $CC $cf -I. -c sqlite3.c -o sqlite3.o)
    stamp
  fi
  run_step "$O/build.log" $CC $cf -I"$SRC/bld" -c "$SRC/test/ossfuzz.c" -o "$O/ossfuzz.o"
  run_step "$O/build.log" $CXX $3 "$O/ossfuzz.o" -o "$O/ossfuzz" $LIB_FUZZING_ENGINE \
    "$SRC/bld/sqlite3.o" -lpthread -ldl -lm
  export_both "sqlite3-ossfuzz-$1" "$O/ossfuzz" "$3" "$O/ossfuzz.o" -- "$SRC/bld/sqlite3.o" \
    -lpthread -ldl -lm
  fuzz "sqlite3-ossfuzz-$1" "$O/ossfuzz"
}

# ---- re2: re2/fuzzing/re2_fuzzer.cc (C++; OSS-Fuzz's re2 build) ---------------
build_re2() {
  local cf="$BASE $2 -fsanitize=fuzzer-no-link"
  if begin re2 "$1" "$cf"; then
    # REBUILD_TABLES: Debian's +dfsg source regenerates the Unicode tables
    # from the unicode-data package.
    run_step "$SRC/pfz-build.log" make -C "$SRC" -j"$PFZ_JOBS" REBUILD_TABLES=1 \
      CXX="$CXX" CXXFLAGS="$cf" obj/libre2.a
    stamp
  fi
  run_step "$O/build.log" $CXX $cf -I"$SRC" -I"$SRC/re2/fuzzing/compiler-rt/include" \
    -c "$SRC/re2/fuzzing/re2_fuzzer.cc" -o "$O/re2_fuzzer.o"
  run_step "$O/build.log" $CXX $3 "$O/re2_fuzzer.o" -o "$O/re2_fuzzer" $LIB_FUZZING_ENGINE \
    "$SRC/obj/libre2.a" -pthread
  export_both "re2-fuzzer-$1" "$O/re2_fuzzer" "$3" "$O/re2_fuzzer.o" -- "$SRC/obj/libre2.a" -pthread
  fuzz "re2-fuzzer-$1" "$O/re2_fuzzer"
}

say "portfuzz from $PFZ_DIR: LIB_FUZZING_ENGINE=$LIB_FUZZING_ENGINE"
ASAN="-fsanitize=address"
build_libxml2 none "" "$BASE"
build_sqlite3 none "" "$BASE"
build_re2 none "" "$BASE"
[ "${PFZ_REAL_ASAN:-1}" = 0 ] || build_libxml2 address "$ASAN" "$BASE $ASAN -fsanitize=fuzzer-no-link"
say "all real harnesses built with the plain link line and fuzzed, in $(($(date +%s) - t0)) s"
