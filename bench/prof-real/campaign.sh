#!/usr/bin/env bash
# campaign.sh BIN_DIR OUT_DIR SECS REPS HARNESS...
# 1 worker (-workers=1) vs libFuzzer (one process) from an empty corpus for
# SECS seconds, seed = repetition, the engine order alternating with it, with
# bench/real.py's 1w options; prints and appends to OUT_DIR/summary.txt one
# line per run (stat::average_exec_per_sec). Summary: campaign-summary.py.
set -u
BIN=$1 OUT=$(realpath -m "$2") SECS=$3 REPS=$4; shift 4
mkdir -p "$OUT"
for rep in $(seq 1 "$REPS"); do
  for h in "$@"; do
    if [ $((rep % 2)) = 1 ]; then order="portfuzz libfuzzer"; else order="libfuzzer portfuzz"; fi
    for e in $order; do
      w=$OUT/$h-$e-r$rep; rm -rf "$w"; mkdir -p "$w/corpus"
      extra=""; [ "$e" = portfuzz ] && extra="-workers=1 -feature_cache=0"
      # shellcheck disable=SC2086 # $extra: two words or none
      ( cd "$w" && timeout -k 10 $((SECS + 90)) nice -n 10 "$BIN/$h-$e" -seed="$rep" -max_total_time="$SECS" -print_final_stats=1 \
        -artifact_prefix="$w/" -rss_limit_mb=2048 -timeout=25 $extra corpus > log 2>&1 )
      eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$w/log" | tail -1 | grep -o '[0-9]*$')
      echo "$h $e r$rep eps=$eps files=$(find "$w/corpus" -type f ! -name '.*' | wc -l)" | tee -a "$OUT/summary.txt"
    done
  done
done
