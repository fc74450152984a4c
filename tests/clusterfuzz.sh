#!/usr/bin/env bash
# tests/clusterfuzz.sh -- drives portfuzz the way OSS-Fuzz, ClusterFuzz and
# ClusterFuzzLite drive a libFuzzer target, and checks every line and exit
# status they parse. Nothing of theirs is run (no network, no Docker): their
# build environment and command lines are reproduced, and the patterns below
# are written to accept exactly what their parsers accept (see
# google/clusterfuzz src/clusterfuzz/_internal/bot/fuzzers/libFuzzer/ and
# src/clusterfuzz/stacktraces/, google/oss-fuzz infra/base-images/base-runner/
# bad_build_check).
#
#  1. Build: .clusterfuzzlite/build.sh in a simulated base-builder
#     environment (CC/CXX/CFLAGS/CXXFLAGS/SRC/OUT/WORK), sanitizer "address"
#     and "none" (coverage only), plus tests/clusterfuzz/cf_target.c built the
#     same way (compile flags at compile time, $LIB_FUZZING_ENGINE at link).
#  2. bad_build_check's libFuzzer checks on every fuzzer.
#  3. For each kind of finding (crash, deadly signal, abort, timeout, rss OOM,
#     malloc OOM, exit(), leak, a crash that needs several runs): a fuzzing
#     run with ClusterFuzz's flags, stopped as it stops one (SIGTERM at
#     max_total_time + 10 s, SIGKILL 10 s later), then reproduction with
#     -runs=100, checking the testcase path line, the crash type line, the
#     stat:: lines, the crash state (the target's frames, not the engine's)
#     and the exit status.
#  4. Minimization (-minimize_crash=1 -exact_artifact_path), two-step merge
#     with -merge_control_file and its MERGE-OUTER stats, pruning, -fork=N,
#     -jobs=N -workers=N, SIGTERM while fuzzing and while minimizing.
#
# Usage: tests/clusterfuzz.sh [WORKDIR]   (default: build/clusterfuzz)
# Needs clang, clang++, autotools, APR, zip (scripts/test.sh installs them).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$top/build/clusterfuzz}
fails=0
checks=0
say() { printf '==> %s\n' "$*" >&2; }
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); printf 'FAIL: %s\n' "$*" >&2; }
show() { printf -- '---- %s (last 40 lines) ----\n' "$1" >&2; tail -40 "$1" >&2; printf -- '----\n' >&2; }

for t in clang clang++ zip; do
  command -v $t >/dev/null || { echo "ERROR: $t is missing (scripts/test.sh installs it)" >&2; exit 1; }
done

# ClusterFuzz's constants (libFuzzer/constants.py, libfuzzer.py).
CF_TIMEOUT=25
CF_RSS=2560
CLEAN_EXIT=10 # SIGTERM at max_total_time + 10 s, SIGKILL 10 s after that
# What ClusterFuzz sets for ASan (set_sanitizer_options: exitcode=77, and the
# OSS-Fuzz defaults that matter here).
export ASAN_OPTIONS="exitcode=77:detect_leaks=1:handle_abort=1:handle_segv=1:handle_sigbus=1:handle_sigfpe=1:handle_sigill=1:allocator_may_return_null=1:symbolize=1:dedup_token_length=3"
export UBSAN_OPTIONS="exitcode=77:print_stacktrace=1:symbolize=1"

# --- 1. build, the OSS-Fuzz way ------------------------------------------
common="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
build_mode() { # MODE (address|none)
  local mode=$1 san=""
  [ "$mode" = address ] && san="-fsanitize=address -fsanitize-address-use-after-scope"
  local d="$root/$mode"
  rm -rf "$d/out" "$d/work" && mkdir -p "$d/out" "$d/work" "$d/src"
  ln -sfn "$top" "$d/src/portfuzz"
  (
    export CC=clang CXX=clang++ SRC="$d/src" OUT="$d/out" WORK="$d/work" SANITIZER=$mode
    export CFLAGS="$common $san -fsanitize=fuzzer-no-link"
    export CXXFLAGS="$CFLAGS"
    export LIB_FUZZING_ENGINE="-fsanitize=fuzzer" # base-builder's default; build.sh replaces it
    # One engine build for both modes (it does not depend on them).
    export PFZ_ENGINE_PREFIX="$root/engine"
    bash -eu "$top/.clusterfuzzlite/build.sh" &&
      engine=$("$top/scripts/oss-fuzz-engine.sh") &&
      $CC $CFLAGS -c "$top/tests/clusterfuzz/cf_target.c" -o "$WORK/cf_target.o" &&
      $CXX $CXXFLAGS "$WORK/cf_target.o" $engine -o "$OUT/cf_target" &&
      for k in crash signal abort timeout oom malloc exit leak nth; do cp "$OUT/cf_target" "$WORK/cf_$k"; done
  ) >"$d/build.log" 2>&1
}
for mode in address none; do
  say "building the OSS-Fuzz way (SANITIZER=$mode)"
  if build_mode $mode; then ok; else bad "build (SANITIZER=$mode)"; show "$root/$mode/build.log"; fi
done
[ $fails = 0 ] || { echo "$fails of $checks checks failed (the builds); see above" >&2; exit 1; }

# --- helpers ----------------------------------------------------------------
# run LOG TIMEOUT_S cmd...: runs as ClusterFuzz does (own process group,
# SIGTERM at the limit, SIGKILL 10 s later); sets rc and secs.
run() {
  local log=$1 lim=$2; shift 2
  local t0; t0=$(date +%s%N)
  timeout -s TERM -k $CLEAN_EXIT "$lim" "$@" >"$log" 2>&1 </dev/null
  rc=$?
  secs=$(( ($(date +%s%N) - t0) / 1000000000 ))
}
has() { grep -qP -- "$2" "$1"; }
# The testcase path, as libfuzzer.py's CRASH_TESTCASE_REGEX takes it.
testcase_of() { grep -oP '.*Test unit written to\s*\K(.*(crash|oom|timeout|leak)-.*)' "$1" | head -n1; }
# stat:: lines: every value a number (libfuzzer.py skips others as corrupt).
check_stats() { # LOG WHAT
  if ! has "$1" '^stat::number_of_executed_units:\s*\d+$'; then bad "$2: no stat:: lines"; show "$1"; return; fi
  if grep -P '^stat::' "$1" | grep -vqP '^stat::[A-Za-z_]+:\s*\d+$'; then
    bad "$2: a stat:: value is not a number"; grep -P '^stat::' "$1" >&2; return
  fi
  ok
}
# The crash state: the first three frames of the first stack after the
# crash line, once the frames ClusterFuzz ignores are dropped. These are a
# few of its rules, the ones that apply to a C harness: the harness entry
# point, main, libFuzzer's namespace, libc and sanitizer runtime frames. The
# engine's own frames must not be left over: the state must name only the
# target's functions, as it does for the same bug found by libFuzzer.
crash_state() { # LOG
  sed -n '/ERROR: \(libFuzzer\|AddressSanitizer\|LeakSanitizer\|UndefinedBehaviorSanitizer\)/,$p' "$1" |
    grep -P '^\s*#\d+\s+0x[0-9a-fA-F]+' | awk '/#0 /{n++} n==1' |
    sed -E 's/^\s*#[0-9]+\s+0x[0-9a-fA-F]+\s+//; s/^in //' |
    awk '{print $1}' |
    grep -vP '^(LLVMFuzzerTestOneInput|main|fuzzer::|__libc_|_start|__GI_|abort|raise$|gsignal|exit$|tgkill|pthread_kill$|__pthread_kill|(__)?(memcmp|memcpy|memmove|memset|strcmp|strcpy|strdup|strlen|strncpy)|__sanitizer|__asan|__lsan|__interceptor_|malloc|calloc|realloc|free|operator|\(.*libc\.so)' |
    head -n3 | paste -sd' '
}

# --- 2. bad_build_check ----------------------------------------------------
for mode in address none; do
  for f in "$root/$mode"/out/*; do
    [ -x "$f" ] && [ -f "$f" ] || continue
    name=$(basename "$f")
    log="$root/$mode/bbc-$name.log"
    run "$log" 120 "$f" -seed=1337 -runs=4
    if [ $rc = 0 ] && has "$log" '^Done 4 runs' &&
       has "$log" 'INFO: Loaded [[:digit:]]+ module.*\(.*(counters|guards)\):[[:space:]]+[[:digit:]]+' &&
       ! has "$log" 'ERROR: no interesting inputs were found. Is the code instrumented'; then ok
    else bad "bad_build_check ($mode/$name): exit $rc, 'Done 4 runs' and the 'INFO: Loaded' line expected"; show "$log"; fi
  done
  # check_seed_corpus: the seeds run with -runs=0 and exit 0.
  seeds="$root/$mode/seeds" && rm -rf "$seeds" && mkdir -p "$seeds" &&
    (cd "$seeds" && unzip -q "$root/$mode/out/fuzz_kv_seed_corpus.zip")
  log="$root/$mode/seeds.log"
  run "$log" 120 "$root/$mode/out/fuzz_kv" -rss_limit_mb=$CF_RSS -timeout=$CF_TIMEOUT -runs=0 "$seeds"
  if [ $rc = 0 ]; then ok; else bad "check_seed_corpus ($mode): exit $rc"; show "$log"; fi
done

# ... and a build without coverage instrumentation is one it calls bad.
d="$root/uninstrumented" && rm -rf "$d" && mkdir -p "$d"
if clang $common -c "$top/tests/clusterfuzz/cf_target.c" -o "$d/t.o" >"$d/build.log" 2>&1 &&
   clang++ "$d/t.o" $(PFZ_ENGINE_PREFIX="$root/engine" "$top/scripts/oss-fuzz-engine.sh" 2>>"$d/build.log") \
     -o "$d/cf_target" >>"$d/build.log" 2>&1; then
  run "$d/bbc.log" 120 "$d/cf_target" -seed=1337 -runs=4
  if has "$d/bbc.log" 'ERROR: no interesting inputs were found. Is the code instrumented'; then ok
  else bad "bad_build_check: an uninstrumented build is not reported as one"; show "$d/bbc.log"; fi
else bad "uninstrumented build"; show "$d/build.log"; fi

# --- 3. every kind of finding ------------------------------------------------
# kind @ seed @ artifact prefix @ crash type pattern @ crash state ("-": not
# checked) @ build modes. Without ASan, -fsanitize=fuzzer-no-link on the link
# line brings UBSan's runtime, whose SEGV report comes instead of the
# engine's (as with libFuzzer).
kinds=(
  "crash@CRASH..@crash@ERROR: AddressSanitizer: heap-buffer-overflow@overflow@address"
  "signal@CRASH..@crash@(ERROR:\s*libFuzzer:\s*deadly signal|ERROR: UndefinedBehaviorSanitizer: SEGV)@@none"
  "abort@ABORT@crash@(ERROR: AddressSanitizer: ABRT|ERROR:\s*libFuzzer:\s*deadly signal)@@address none"
  "timeout@HANG@timeout@==\d+== ERROR:\s*libFuzzer:\s*timeout after \d+ seconds@-@address none"
  "oom@OOM@oom@==\d+== ERROR:\s*libFuzzer:\s*out-of-memory \(used: \d+Mb; exceeds: \d+Mb\)@-@address none"
  "malloc@BIGMAL@oom@==\d+== ERROR:\s*libFuzzer:\s*out-of-memory \(malloc\(\d+\)\)@-@address"
  "exit@EXIT@crash@==\d+== ERROR:\s*libFuzzer:\s*fuzz target exited@-@address none"
  "leak@LEAK@leak@ERROR: LeakSanitizer: detected memory leaks@-@address"
  "nth@NTH@crash@(ERROR:\s*libFuzzer:\s*deadly signal|ERROR: (Address|UndefinedBehavior)Sanitizer: SEGV)@@address none"
)
for spec in "${kinds[@]}"; do
  IFS='@' read -r kind seed prefix pattern state modes <<<"$spec"
  for mode in $modes; do
    d="$root/$mode/$kind" && rm -rf "$d" && mkdir -p "$d/corpus" "$d/new" "$d/art"
    printf '%s' "$seed" >"$d/corpus/seed"
    fz="$root/$mode/work/cf_$kind"
    tmo=$CF_TIMEOUT rss=$CF_RSS
    [ $kind = timeout ] && tmo=3
    [ $kind = oom ] && rss=512
    # fuzz: LibFuzzerCommon.fuzz's command line (new-units dir first).
    log="$d/fuzz.log"
    T=60
    run "$log" $((T + CLEAN_EXIT)) "$fz" -timeout=$tmo -rss_limit_mb=$rss -max_total_time=$T \
      -print_final_stats=1 -artifact_prefix="$d/art/" "$d/new" "$d/corpus"
    what="fuzz $kind ($mode)"
    tc=$(testcase_of "$log")
    if [ $rc = 0 ] || [ $rc = 1 ] || [ $rc = 72 ]; then bad "$what: exit $rc (0, 1 and 72 mean no finding to ClusterFuzz)"; show "$log"
    elif [ -z "$tc" ] || [ ! -f "$tc" ]; then bad "$what: no 'Test unit written to' line naming a file"; show "$log"
    elif [ "$(basename "$tc" | cut -d- -f1)" != "$prefix" ]; then bad "$what: testcase '$tc' is not a $prefix- file"; show "$log"
    elif ! has "$log" "$pattern"; then bad "$what: no line matching '$pattern'"; show "$log"
    else ok; fi
    check_stats "$log" "$what"
    if [ "$state" != "-" ]; then
      got=$(crash_state "$log")
      if [ "$got" = "$state" ]; then ok; else bad "$what: crash state '$got', expected '$state' (engine frames must not be in it)"; show "$log"; fi
    fi
    [ -n "$tc" ] && [ -f "$tc" ] || continue
    # reproduce: Engine.reproduce (-runs=100 appended, a higher -timeout).
    log="$d/repro.log"
    rtmo=$((CF_TIMEOUT - 5))
    [ $kind = timeout ] && rtmo=3
    run "$log" 120 "$fz" -rss_limit_mb=$rss -timeout=$rtmo -runs=100 "$tc"
    what="reproduce $kind ($mode)"
    if [ $rc = 0 ] || [ $rc = 1 ] || [ $rc -ge 124 ]; then bad "$what: exit $rc (a crash must reproduce with a non-zero status, within the time)"; show "$log"
    elif ! has "$log" "$pattern"; then bad "$what: no line matching '$pattern'"; show "$log"
    else ok; fi
  done
done

# --- 4. minimize, merge, prune, fork, jobs, SIGTERM ---------------------
mode=address
fz="$root/$mode/out/cf_target"
d="$root/$mode/min" && rm -rf "$d" && mkdir -p "$d/tmp"
{ printf 'CRASH'; head -c 300 /dev/zero | tr '\0' 'x'; } >"$d/input"
log="$d/min.log"
# LibFuzzerCommon.minimize_crash: max_total_time = (timeout - 10) / 2.
run "$log" 60 "$fz" -timeout=$CF_TIMEOUT -rss_limit_mb=$CF_RSS -max_total_time=20 \
  -exact_artifact_path="$d/out" -minimize_crash=1 -artifact_prefix="$d/tmp/" "$d/input"
if [ -f "$d/out" ] && [ "$(wc -c <"$d/out")" -lt "$(wc -c <"$d/input")" ]; then
  run "$d/min-repro.log" 60 "$fz" -runs=100 "$d/out"
  if [ $rc != 0 ]; then ok; else bad "minimize: $d/out does not crash"; fi
else bad "minimize: no smaller $d/out (exit $rc, ${secs}s)"; show "$log"; fi
[ "$secs" -le 30 ] && ok || bad "minimize: took ${secs}s with -max_total_time=20"

# -minimize_crash=1 on an input that does not crash is an error (non-zero).
printf 'fine' >"$d/fine"
run "$d/min-fine.log" 60 "$fz" -minimize_crash=1 -max_total_time=5 -exact_artifact_path="$d/fine.out" "$d/fine"
[ $rc != 0 ] && ok || { bad "minimize of a non-crashing input exited 0"; show "$d/min-fine.log"; }

# Two-step merge (Engine._minimize_corpus_two_step).
if grep -qa 'fuzz target overwrites its const input' "$fz"; then ok
else bad "the binary lacks 'fuzz target overwrites its const input' (ClusterFuzz then never uses -merge_control_file)"; fi
d="$root/$mode/merge" && rm -rf "$d" && mkdir -p "$d/corpus" "$d/new" "$d/out" "$d/mcf" "$d/art"
printf '{' >"$d/corpus/a"; printf '{{}}' >"$d/corpus/b"; printf 'plain' >"$d/corpus/c"
printf '{{{}}}' >"$d/new/x"; printf '{}{}{}{' >"$d/new/y"; printf 'NTI' >"$d/new/z"
merge_stats() { grep -oP 'MERGE-OUTER:\s+\d+\s+new files with\s+\K\d+\s+new features added;\s+\d+' "$1" | tail -n1 |
  sed -E 's/ new features added; +/ /'; }
margs=(-timeout=$CF_TIMEOUT -rss_limit_mb=$CF_RSS -artifact_prefix="$d/art/" -merge=1 -merge_control_file="$d/mcf/MCF")
TMPDIR="$d/mcf" run "$d/step1.log" 300 "$fz" "${margs[@]}" "$d/out" "$d/corpus"
s1=$(merge_stats "$d/step1.log")
rm -rf "$d/out" && mkdir -p "$d/out"
TMPDIR="$d/mcf" run "$d/step2.log" 300 "$fz" "${margs[@]}" "$d/out" "$d/corpus" "$d/new"
rc2=$rc
s2=$(merge_stats "$d/step2.log")
if [ -z "$s1" ] || [ -z "$s2" ] || [ $rc2 != 0 ]; then bad "two-step merge: MERGE-OUTER stats missing or exit $rc2"; show "$d/step1.log"; show "$d/step2.log"
else
  read -r f1 e1 <<<"$s1"; read -r f2 e2 <<<"$s2"
  if [ "$f2" -gt "$f1" ] && [ "$e2" -ge "$e1" ] && [ "$e1" -gt 0 ] && [ -n "$(ls "$d/out")" ]; then ok
  else bad "two-step merge: step 1 '$s1', step 2 '$s2' (features must grow with the new inputs; edges > 0); out: $(ls "$d/out" | wc -l) files"; show "$d/step2.log"; fi
fi
# Prune (Engine.minimize_corpus): merge into an empty directory.
rm -rf "$d/pruned" && mkdir -p "$d/pruned"
run "$d/prune.log" 300 "$fz" -timeout=$CF_TIMEOUT -rss_limit_mb=$CF_RSS -merge=1 "$d/pruned" "$d/corpus" "$d/new"
n=$(ls "$d/pruned" | wc -l)
if [ $rc = 0 ] && [ "$n" -gt 0 ] && [ "$n" -le 6 ]; then ok; else bad "prune: exit $rc, $n files"; show "$d/prune.log"; fi

# -fork=N (ClusterFuzz's fork strategy) and -jobs=N -workers=N
# (ClusterFuzzLite's parallel fuzzing) on a target without findings: run to
# -max_total_time, exit 0, stats printed.
kv="$root/$mode/out/fuzz_kv"
for par in "-fork=2" "-jobs=2 -workers=2"; do
  d="$root/$mode/par" && rm -rf "$d" && mkdir -p "$d/new" "$d/corpus"
  # shellcheck disable=SC2086
  run "$d/run.log" $((8 + CLEAN_EXIT)) "$kv" $par -timeout=$CF_TIMEOUT -rss_limit_mb=$CF_RSS -max_total_time=8 \
    -print_final_stats=1 -artifact_prefix="$d/" "$d/new" "$d/corpus"
  if [ $rc = 0 ] && has "$d/run.log" '(#\d+\s+INITED\s+|INFO:\s+-fork=\d+:\s+fuzzing in separate process)' &&
     has "$d/run.log" '^stat::number_of_executed_units:\s*[1-9]' && [ "$secs" -le 14 ]; then ok
  else bad "$par: exit $rc after ${secs}s (0 within ~8 s, INITED and stat:: lines expected)"; show "$d/run.log"; fi
done

# SIGTERM (how ClusterFuzz ends a run that overstays): while fuzzing, and
# while minimizing a crash just found. Exit within the 10 s ClusterFuzz
# grants, findings saved, no process left behind.
sigterm_case() { # NAME SEED EXPECT_ARTIFACT
  local d="$root/$mode/term-$1"
  rm -rf "$d" && mkdir -p "$d/new" "$d/corpus"
  [ -n "$2" ] && printf '%s' "$2" >"$d/corpus/seed"
  "$fz" -fork=2 -timeout=$CF_TIMEOUT -rss_limit_mb=$CF_RSS -max_total_time=600 -print_final_stats=1 \
    -artifact_prefix="$d/" "$d/new" "$d/corpus" >"$d/run.log" 2>&1 </dev/null &
  local pid=$! i
  sleep 4
  kill -TERM $pid
  for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then
    bad "SIGTERM ($1): still running 10 s after SIGTERM"; kill -KILL $pid; show "$d/run.log"
  else
    wait $pid; rc=$?
    if [ "$3" = 1 ] && [ -z "$(testcase_of "$d/run.log")" ]; then bad "SIGTERM ($1): the finding was not saved"; show "$d/run.log"
    else ok; fi
  fi
  sleep 0.5
  if pgrep -f "$d/" >/dev/null; then bad "SIGTERM ($1): processes left behind"; pgrep -af "$d/" >&2; pkill -KILL -f "$d/"
  else ok; fi
}
sigterm_case fuzzing "" 0
{ printf 'CRASH'; head -c 4000 /dev/zero | tr '\0' 'y'; } >"$root/big-crash"
sigterm_case minimizing "$(cat "$root/big-crash")" 1

echo "clusterfuzz contract: $((checks - fails)) of $checks checks passed" >&2
[ $fails = 0 ]
