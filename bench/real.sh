#!/usr/bin/env bash
# bench/real.sh -- portfuzz vs libFuzzer on real projects' own fuzz harnesses
# (libxml2 fuzz/xml.c, sqlite3 test/ossfuzz.c, re2 re2/fuzzing/re2_fuzzer.cc),
# from Debian's source packages, built the OSS-Fuzz way (-fsanitize=
# fuzzer-no-link) and linked both ways from the same objects.
#
#   bench/real.sh [--minutes M] [--seeds "1 2 3"] [--pairs "1w 2w-fork 2w-jobs"]
#                 [--harness "libxml2-xml-none ..."] [--smoke] [--build-only]
#
# Defaults: 10-minute campaigns, seeds 1 2 3, every pairing (bench/real.py
# says what they are), the three harnesses: 3 x 3 x 3 x 2 runs of 10
# minutes, about 9 hours on one machine. --smoke: 1 minute, seed 1, 1w only,
# libxml2 only (a check that the benchmark works, not a result).
# --build-only: build the harnesses into bench/_build/real/bin and stop
# (bench/bigcorpus.sh uses them).
# Installs what it needs (apt-get); builds portfuzz with clang in
# bench/_build/real/portfuzz; the project libraries are cached by
# scripts/real-harnesses.sh. Results: bench/results/real-<date>.txt (the
# table) and bench/results/real-<date>/ (logs, coverage curves, PNGs).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$REPO/scripts/lib.sh"

MINUTES=10
SEEDS="1 2 3"
PAIRS="1w 2w-fork 2w-jobs"
HARNESS="libxml2-xml-none sqlite3-ossfuzz-none re2-fuzzer-none"
BUILD_ONLY=0
while [ $# -gt 0 ]; do
  case $1 in
  --minutes) MINUTES=$2; shift 2 ;;
  --seeds) SEEDS=$2; shift 2 ;;
  --pairs) PAIRS=$2; shift 2 ;;
  --harness) HARNESS=$2; shift 2 ;;
  --smoke) MINUTES=1; SEEDS=1; PAIRS=1w; HARNESS=libxml2-xml-none; shift ;;
  --build-only) BUILD_ONLY=1; shift ;;
  -h | --help) sed -n 2,21p "${BASH_SOURCE[0]}"; exit 0 ;;
  *) pfz_die "bench/real.sh: unknown argument '$1' (see --help)" ;;
  esac
done

pfz_install_build_deps
pfz_apt time python3 gnuplot-nox
CLANG_RES=$(clang -print-resource-dir)
ls "$CLANG_RES"/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1 ||
  pfz_die "clang at $(command -v clang) has no libFuzzer runtime in $CLANG_RES (install libclang-rt-<ver>-dev)"

B=$HERE/_build/real
pfz_build "$B/portfuzz" CC=clang
rm -rf "$B/bin"
PFZ_REAL_OUT=$B/bin PFZ_REAL_SECONDS=0 PFZ_REAL_ASAN=0 "$REPO/scripts/real-harnesses.sh" "$B/portfuzz"
[ "$BUILD_ONLY" = 0 ] || { pfz_say "harnesses in $B/bin"; exit 0; }

stamp=$(date -u +%Y-%m-%dT%H%M)
out=$HERE/results/real-$stamp
mkdir -p "$out"
{
  echo "# bench/real.sh --minutes $MINUTES --seeds \"$SEEDS\" --pairs \"$PAIRS\" --harness \"$HARNESS\""
  echo "# $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown), $(nproc) CPUs, $(clang --version | head -n1)"
  # shellcheck disable=SC2086 # word splitting of the lists is intended
  python3 "$HERE/real.py" --bin "$B/bin" --work "$B/work" --out "$out" --minutes "$MINUTES" \
    --seeds $SEEDS --pairs $PAIRS --harness $HARNESS
} | tee "$HERE/results/real-$stamp.txt"
pfz_say "table: bench/results/real-$stamp.txt; logs, curves and plots: $out/"
