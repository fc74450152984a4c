#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build script for examples/cflite, with portfuzz
# as the fuzzing engine. It runs in the base-builder image with the usual
# environment: CC, CXX, CFLAGS, CXXFLAGS (instrumentation and sanitizer),
# SRC, OUT, WORK. Only LIB_FUZZING_ENGINE changes: the image's default
# (-fsanitize=fuzzer, libFuzzer) becomes portfuzz. The compile and link
# lines are the ones any OSS-Fuzz project uses.
LIB_FUZZING_ENGINE="$("$SRC/portfuzz/scripts/oss-fuzz-engine.sh")" # its own line: an export would hide a failure
export LIB_FUZZING_ENGINE

ex="$SRC/portfuzz/examples/cflite"
$CC $CFLAGS -c "$ex/kv.c" -o "$WORK/kv.o"
$CC $CFLAGS -c "$ex/fuzz_kv.c" -o "$WORK/fuzz_kv.o"
$CXX $CXXFLAGS -c "$ex/fuzz_kv_cxx.cc" -o "$WORK/fuzz_kv_cxx.o"
$CXX $CXXFLAGS "$WORK/fuzz_kv.o" "$WORK/kv.o" $LIB_FUZZING_ENGINE -o "$OUT/fuzz_kv"
$CXX $CXXFLAGS "$WORK/fuzz_kv_cxx.o" "$WORK/kv.o" $LIB_FUZZING_ENGINE -o "$OUT/fuzz_kv_cxx"

# Seed corpus and dictionary, under the names ClusterFuzz looks for.
for f in fuzz_kv fuzz_kv_cxx; do
  (cd "$ex/seeds" && zip -q -r "$OUT/${f}_seed_corpus.zip" .)
  cp "$ex/kv.dict" "$OUT/$f.dict"
done
