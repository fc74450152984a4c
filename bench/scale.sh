#!/usr/bin/env bash
# bench/scale.sh -- the coordinator's cost as workers are added: -workers=1,
# 2, 4, ... 64 on a target whose workers sleep (2 ms per input) and on one
# that finds new coverage all the time (a generated 524,288-case switch), and
# growth runs toward a large corpus. bench/scale.py says what is measured;
# bench/SCALING.md what it means for a 64-core machine.
#
#   bench/scale.sh [--quick] [--workers 1,2,4,...] [--secs S] [--reps R]
#                  [--grow-secs S] [--grow-workers N] [--grow-flags F1,F2]
#
# Default: 20 s runs, 2 reps, 7 worker counts, 2 targets, then two 60 s
# growth runs with 4 workers (-reload=1 and -reload=0): about 20 minutes
# (deleting each growth run's 150,000-file corpus takes 2 of them).
# --workers "": the growth runs only.
# --quick: 8 s runs, 1 rep, workers 1,4,16,64, 20 s growth runs: about 3
# minutes (a check that the benchmark works, not a result).
# Installs what it needs (apt-get); builds portfuzz with clang in
# bench/_build/scale/portfuzz and the targets beside it. Prints the tables
# and keeps them in bench/results/scale-<date>.txt.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$REPO/scripts/lib.sh"

CMDLINE="bench/scale.sh $*"
ARGS=()
MODE=full
while [ $# -gt 0 ]; do
  case $1 in
  --quick) MODE=quick; shift ;;
  --workers | --secs | --reps | --grow-secs | --grow-workers | --grow-flags)
    [ $# -ge 2 ] || pfz_die "bench/scale.sh: $1 needs a value (see --help)"
    ARGS+=("$1" "$2"); shift 2 ;;
  -h | --help) sed -n 2,19p "${BASH_SOURCE[0]}"; exit 0 ;;
  *) pfz_die "bench/scale.sh: unknown argument '$1' (see --help)" ;;
  esac
done
# Later arguments win in argparse: --quick's values come first.
[ "$MODE" = quick ] &&
  ARGS=(--secs 8 --reps 1 --workers 1,4,16,64 --grow-secs 20 "${ARGS[@]}")

pfz_install_build_deps
pfz_apt python3
CLANG_RES=$(clang -print-resource-dir)
ls "$CLANG_RES"/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1 ||
  pfz_die "clang at $(command -v clang) has no libFuzzer runtime in $CLANG_RES (install libclang-rt-<ver>-dev)"
[ -r /proc/self/smaps_rollup ] ||
  pfz_die "no /proc/self/smaps_rollup: bench/scale.sh needs Linux 4.14 or newer for worker memory"

B=$HERE/_build/scale
pfz_build "$B/portfuzz" CC=clang
PFLIB=$B/portfuzz/.libs/libportfuzz.a
[ -f "$PFLIB" ] || pfz_die "no $PFLIB after building portfuzz in $B/portfuzz"
mkdir -p "$B/bin"
# shellcheck disable=SC2046 # pkg-config's words are separate flags
APRLIBS=($(pkg-config --libs apr-1))
link() { # NAME SOURCE CFLAGS...: the target, instrumented, with libportfuzz
  local name=$1 src=$2; shift 2
  pfz_say "building $name"
  clang "$@" -g -w -fsanitize=fuzzer-no-link -I"$REPO/include" "$src" "$PFLIB" "${APRLIBS[@]}" \
    -lpthread -lm -o "$B/bin/$name" || pfz_die "cannot build $B/bin/$name from $src"
}
link scale_sleep "$HERE/targets/scale_sleep.c" -O2
python3 "$HERE/scale.py" --bin "$B/bin" --work "$B/work" --gen-grow "$B/scale_grow.c"
# -O0: an optimizer turns the generated switches into table lookups (no edges)
link scale_grow "$B/scale_grow.c" -O0

stamp=$(date -u +%Y-%m-%dT%H%M)
mkdir -p "$HERE/results"
{
  echo "# $CMDLINE"
  echo "# $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown), $(nproc) CPUs, $(clang --version | head -n1)"
  python3 "$HERE/scale.py" --bin "$B/bin" --work "$B/work" "${ARGS[@]}"
} | tee "$HERE/results/scale-$stamp.txt"
pfz_say "table: bench/results/scale-$stamp.txt; logs and statistics of each run: $B/work/"
