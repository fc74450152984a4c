#!/usr/bin/env bash
# fixed.sh OUT REPS "HARNESS:CORPUS:RUNS ..." base=BINDIR new=BINDIR lf=BINDIR
# The same -runs from one fixed corpus (read-only, new inputs go to a fresh
# directory) for each build, the order rotating with the repetition; records
# wall, user and system seconds (GNU time) in OUT/summary.txt. "lf" runs
# HARNESS-libfuzzer from its BINDIR, the others HARNESS-portfuzz -workers=1.
# Summary: fixed-summary.py OUT/summary.txt
set -u
OUT=$(realpath -m "$1") REPS=$2 SPECS=$3; shift 3
mkdir -p "$OUT"
for rep in $(seq 1 "$REPS"); do
  for spec in $SPECS; do
    IFS=: read -r h corpus runs <<<"$spec"
    labels=("$@")
    # the order rotates with the repetition
    n=${#labels[@]}; order=()
    for i in $(seq 0 $((n - 1))); do order+=("${labels[$(((i + rep) % n))]}"); done
    for lb in "${order[@]}"; do
      label=${lb%%=*} dir=${lb#*=}
      e=portfuzz; [ "$label" = lf ] && e=libfuzzer
      w=$OUT/$h-$label-r$rep; rm -rf "$w"; mkdir -p "$w/new"
      x=""; [ "$e" = portfuzz ] && x="-workers=1 -feature_cache=0"
      # shellcheck disable=SC2086 # $x: two words or none
      /usr/bin/time -f "%e %U %S" -o "$w/time" nice -n 10 timeout -k 10 600 "$dir/$h-$e" $x -seed="$rep" -max_len=4096 -runs="$runs" \
        -rss_limit_mb=2048 -timeout=25 -artifact_prefix="$w/" "$w/new" "$(realpath "$corpus")" > "$w/log" 2>&1
      echo "$h $label r$rep wall,user,sys=$(tail -1 "$w/time") runs=$runs" | tee -a "$OUT/summary.txt"
    done
  done
done
