#!/usr/bin/env bash
# scripts/oss-fuzz-engine.sh -- builds portfuzz as the fuzzing engine of an
# OSS-Fuzz / ClusterFuzzLite build (inside the base-builder image, or any
# machine with clang, APR and autotools) and prints what to put in
# LIB_FUZZING_ENGINE:
#
#     LIB_FUZZING_ENGINE="$("$SRC/portfuzz/scripts/oss-fuzz-engine.sh")"
#     export LIB_FUZZING_ENGINE
#     $CC $CFLAGS -c fuzz_me.c && $CXX $CXXFLAGS fuzz_me.o $LIB_FUZZING_ENGINE -o $OUT/fuzz_me
#
# The engine itself is compiled without the build's CFLAGS: its own code must
# carry neither coverage instrumentation nor a sanitizer (as libFuzzer's
# does not). APR is linked statically when its archive is there, so the fuzzer
# runs in the base-runner image, which has no APR. Everything but the one
# line of output goes to stderr; the build log is kept in the build dir.
#
# Environment: PFZ_ENGINE_PREFIX (default $WORK/portfuzz-engine, or
# /tmp/portfuzz-engine), CC (default clang).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=${PFZ_ENGINE_PREFIX:-${WORK:-/tmp}/portfuzz-engine}
cc=${CC:-clang}
build="$prefix/build"
say() { printf 'portfuzz engine: %s\n' "$*" >&2; }
die() { printf 'portfuzz engine: ERROR: %s\n' "$*" >&2; exit 1; }

command -v "$cc" >/dev/null || die "no C compiler '$cc' (set CC)"
pkg-config --exists apr-1 2>/dev/null ||
  die "APR is missing: apt-get install libapr1-dev pkg-config (in the Dockerfile of the build)"
if [ ! -x "$src/configure" ]; then
  command -v autoreconf >/dev/null || die "autoreconf is missing: apt-get install autoconf automake libtool"
  (cd "$src" && autoreconf -fi >/dev/null 2>&1) || die "autoreconf failed in $src"
fi
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then
  say "configuring in $build (CC=$cc, prefix $prefix)"
  # env -u: the build's CFLAGS/CXXFLAGS/LDFLAGS instrument the code under
  # test; the engine is built plainly, with the same compiler.
  (cd "$build" && env -u CFLAGS -u CXXFLAGS -u LDFLAGS -u CPPFLAGS \
    "$src/configure" -q CC="$cc" CFLAGS="-O2 -g" --prefix="$prefix") >"$build/configure.out" 2>&1 ||
    { tail -30 "$build/configure.out" >&2; die "configure failed (log: $build/configure.out)"; }
fi
say "building and installing into $prefix"
(env -u CFLAGS -u CXXFLAGS -u LDFLAGS -u CPPFLAGS make -C "$build" -j"$(nproc 2>/dev/null || echo 2)" install) \
  >"$build/make.out" 2>&1 || { tail -30 "$build/make.out" >&2; die "build failed (log: $build/make.out)"; }

lib="$prefix/lib/libportfuzz.a"
[ -f "$lib" ] || die "$lib was not installed"
apr_a="$(pkg-config --variable=libdir apr-1)/libapr-1.a"
if [ -f "$apr_a" ]; then
  # The archive's own dependencies, as pkg-config --static names them.
  deps=$(pkg-config --static --libs-only-l apr-1 | sed 's/-lapr-1//')
  printf '%s\n' "$lib $apr_a $deps -lpthread -lm -ldl"
else
  say "WARNING: $apr_a not found: linking APR dynamically (the fuzzer then needs libapr-1.so.0 where it runs)"
  printf '%s\n' "$lib $(pkg-config --libs apr-1) -lpthread -lm -ldl"
fi
