#!/usr/bin/env bash
# tests/tools.sh -- checks the campaign tools against a clang build:
#  1. portfuzz-plot: two -plot_data files of real runs (and one in the format
#     before the header) drawn as valid PNG (signature) and SVG (well-formed
#     XML with an <svg> root), both runs in the overlaid pictures; a missing,
#     empty or malformed plot file and a missing gnuplot are errors that name
#     the file or the tool.
#  2. portfuzz-coverage: tests/tools/cov_target.c built with clang
#     -fprofile-instr-generate -fcoverage-mapping (linked with the build's
#     libportfuzz, as README.md says); its corpus has a crashing and a hanging
#     input, and a file after them that reaches a function of its own: the
#     report names the function no input reaches, counts the one after the
#     crash, lists the two failures, and has none of the engine's files; a
#     binary without coverage is an error saying how to build one.
#  3. Progress lines: a merge of 3000 files, the run of a 3000-file corpus and
#     a crash minimization print "INFO: portfuzz: ..." progress lines (with
#     PORTFUZZ_PROGRESS_MS=20 so that a fast machine shows some), with counts
#     that grow, and nothing a libFuzzer parser would take for its own. The
#     corpus run uses tests/tools/slow_target.c (0.2 ms per input): start-up
#     runs the seeds in batches of up to 256 per call, and planted_crash runs
#     all 3000 of them in a few milliseconds, before any progress tick.
#
# Usage: tests/tools.sh BUILD_DIR [WORKDIR]
#   BUILD_DIR: a clang build (examples/planted_crash, .libs/libportfuzz.a)
#   WORKDIR:   scratch directory (default: BUILD_DIR/tools)
# Needs gnuplot, xmllint, clang, llvm-profdata, llvm-cov (scripts/test.sh
# installs them).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:?usage: tests/tools.sh BUILD_DIR [WORKDIR]}" && pwd)
W=${2:-$B/tools}
fails=0 checks=0
say() { printf '==> %s\n' "$*" >&2; }
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); printf 'FAIL: %s\n' "$*" >&2; }
check() { # DESCRIPTION COMMAND...
  local d=$1; shift
  if "$@"; then ok; else bad "$d"; fi
}
show() { printf -- '---- %s (last 30 lines) ----\n' "$1" >&2; tail -30 "$1" >&2; printf -- '----\n' >&2; }

for t in gnuplot xmllint clang llvm-profdata llvm-cov; do
  command -v $t >/dev/null || { echo "ERROR: $t is missing (scripts/test.sh installs it)" >&2; exit 1; }
done
fuzzer=$B/examples/planted_crash
[ -x "$fuzzer" ] || { echo "ERROR: $fuzzer is missing: build $B first" >&2; exit 1; }
plot=$top/scripts/portfuzz-plot
coverage=$top/scripts/portfuzz-coverage
rm -rf "$W" && mkdir -p "$W"
cd "$W" || exit 1
t0=$(date +%s)

is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
is_svg() { xmllint --noout "$1" 2>/dev/null && xmllint --xpath 'local-name(/*)' "$1" 2>/dev/null | grep -qx svg; }

# --- 1. portfuzz-plot -------------------------------------------------------
say "portfuzz-plot"
for r in 1 2; do
  mkdir -p "a$r"
  "$fuzzer" -workers=$r -max_total_time=3 -keep_going=1 -plot_data="run$r.plot" \
    -artifact_prefix="$W/a$r/" "corpus$r" >"fuzz$r.log" 2>&1
  check "run $r wrote a plot file with its header" \
    grep -qx '# time_s,execs,edges,features,corpus,findings,execs_per_s,corpus_bytes,rss_mb' "run$r.plot"
  check "run $r: every data line has 9 numbers" \
    awk -F, '!/^#/ { if (NF != 9) exit 1; for (i = 1; i <= NF; i++) if ($i !~ /^[0-9.]+$/) exit 1; n++ } END { exit n < 2 }' "run$r.plot"
done
# The format before the header: six columns, read by position.
printf '1.0,1000,5,9,3,0\n2.0,3000,7,12,4,1\n3.0,6000,8,15,5,1\n' >legacy.plot
if "$plot" -o pics -t "two runs" "first run=run1.plot" run2.plot legacy.plot >plot.log 2>&1; then
  ok
  for n in coverage corpus execs findings overview; do
    check "pics/$n.png is a PNG" is_png "pics/$n.png"
    check "pics/$n.svg is well-formed SVG" is_svg "pics/$n.svg"
  done
  for l in "first run" run2.plot legacy.plot; do
    check "the runs are overlaid: '$l' is in the coverage legend" grep -q ">$l edges<" pics/coverage.svg
    check "the runs are overlaid: '$l' is in the exec/s legend" grep -q ">$l<" pics/execs.svg
  done
else
  bad "portfuzz-plot on two runs"; show plot.log
fi
# Errors: status 2 and a message naming the file.
plot_error() { # DESCRIPTION PATTERN ARGS...
  local d=$1 pat=$2 rc=0; shift 2
  "$@" >err.log 2>&1 || rc=$?
  if [ $rc = 2 ] && grep -q -- "$pat" err.log && [ ! -e pics-bad/coverage.png ]; then ok; else
    bad "$d (status $rc, want 2 and a message matching '$pat')"; show err.log; fi
}
printf '# time_s,execs,edges,features,corpus,findings\n1.0,10,2,3,1,0\n2.0,oops,2,3,1,0\n' >bad.plot
plot_error "a malformed plot file" "bad.plot: line 3, column 2: \"oops\" is not a number" "$plot" -o pics-bad bad.plot
printf 'hello,world\n' >notplot.plot
plot_error "a file that is not a plot file" "notplot.plot: line 1" "$plot" -o pics-bad notplot.plot
printf '# time,cov\n1,2\n' >oddhdr.plot
plot_error "a header without portfuzz's columns" 'oddhdr.plot: its header (line 1) names no "time_s" column' "$plot" -o pics-bad oddhdr.plot
: >empty.plot
plot_error "an empty plot file" "'empty.plot' is empty" "$plot" -o pics-bad run1.plot empty.plot
printf '# time_s,execs,edges,features,corpus,findings\n' >headonly.plot
plot_error "a plot file without data" "headonly.plot has no data lines" "$plot" -o pics-bad headonly.plot
plot_error "a missing plot file" "'nosuch.plot' does not exist" "$plot" -o pics-bad nosuch.plot
plot_error "no gnuplot" "gnuplot is not installed" env PATH=/nonexistent "$(command -v bash)" "$plot" -o pics-bad run1.plot

# --- 2. portfuzz-coverage ---------------------------------------------------
say "portfuzz-coverage"
mkdir -p cov/a cov/b
printf 'A1' >cov/a/1-plain
printf 'D123' >cov/a/2-digits
printf 'CRASH' >cov/a/3-crash
printf 'LATE' >cov/a/4-late # sorts after the crash: reached only if the report went on
printf 'HANG' >cov/b/hang
for i in $(seq 1 30); do printf 'D%d' "$i" >"cov/b/d$i"; done
# The build line README.md gives (the build tree's portfuzz through its
# uninstalled .pc file, as an installed one would be found).
if clang -g -fprofile-instr-generate -fcoverage-mapping "$top/tests/tools/cov_target.c" \
     $(PKG_CONFIG_PATH=$B pkg-config --cflags --libs portfuzz) -o cov_target >cc.log 2>&1; then
  ok
  if "$coverage" -o covrep -t 1 -b 16 ./cov_target cov/a cov/b >cov.log 2>&1; then
    ok
    check "summary.txt names the function the corpus never reaches" \
      grep -qE '^/.*cov_target\.c:[0-9]+: (cov_target\.c:)?only_zz_reaches_this$' covrep/summary.txt
    check "never-reached.txt has it and only it" \
      bash -c '[ "$(wc -l <covrep/never-reached.txt)" = 1 ] && grep -q only_zz_reaches_this covrep/never-reached.txt'
    check "the input after the crash was counted (reached_after_crash ran)" \
      awk -F'\t' '$4 ~ /reached_after_crash$/ && $3 > 0 { f = 1 } END { exit !f }' covrep/functions.tsv
    check "count_digits ran 31 times (every D input, once)" \
      awk -F'\t' '$4 ~ /count_digits$/ && $3 == 31 { f = 1 } END { exit !f }' covrep/functions.tsv
    check "failed.txt lists the crash and the hang" \
      bash -c 'grep -qP "^cov/a/3-crash\tcrash$" covrep/failed.txt && grep -qP "^cov/b/hang\ttimeout" covrep/failed.txt && [ "$(wc -l <covrep/failed.txt)" = 2 ]'
    check "the per-function table has the harness's functions" \
      grep -qE '^ *(cov_target\.c:)?count_digits +[0-9]+' covrep/summary.txt
    check "the engine's sources are not in the report" \
      bash -c '! grep -qE "src/(common|posix|win32)/" covrep/summary.txt covrep/lcov.info'
    check "the HTML report exists" test -s covrep/html/index.html
  else
    bad "portfuzz-coverage on a corpus with a crash and a hang"; show cov.log
  fi
  rc=0; "$coverage" -o covrep-bad "$fuzzer" cov/a >covbad.log 2>&1 || rc=$?
  if [ $rc = 2 ] && grep -q "wrote no coverage profile: build it .*-fprofile-instr-generate -fcoverage-mapping" covbad.log; then ok; else
    bad "a binary without coverage (status $rc)"; show covbad.log; fi
else
  bad "building the coverage harness"; show cc.log
fi

# --- 3. progress lines --------------------------------------------------------
say "progress lines (merge, corpus run, minimization)"
mkdir -p many
for i in $(seq 1 3000); do printf 'x%05d' "$i" >"many/f$i"; done
# A progress line: what, done/total (percent), rate, elapsed, time left.
prog_re() { echo "^INFO: portfuzz: $1: [0-9]+/[0-9]+ $2 \\([0-9]+%\\) rate: [0-9]+/s elapsed: [0-9]+\\.[0-9]s left: ~[0-9]+\\.[0-9]s"; }
grows() { # FILE: the done counts of the lines grow
  sed -E 's/^[^:]*: [^:]*: [^:]*: ([0-9]+)\/.*/\1/' "$1" | awk 'NR > 1 && $1 <= p { exit 1 } { p = $1 }'
}
no_collision() { # LOG: no progress text on lines libFuzzer parsers read
  ! grep -E '^(#[0-9]+|MERGE-(OUTER|INNER)|stat::).*(rate:|left:)' "$1" && ! grep -q $'\e' "$1"
}
PORTFUZZ_PROGRESS_MS=20 "$fuzzer" -merge=1 merged many >merge.log 2>&1
check "the merge ended well" grep -q '^MERGE-OUTER: [0-9]* new files' merge.log
grep -E "$(prog_re merge inputs)" merge.log >merge.prog
check "a merge of 3000 files prints progress lines ($(wc -l <merge.prog))" test "$(wc -l <merge.prog)" -ge 2
check "their totals are the 3000 inputs" bash -c '! grep -v "/3000 inputs" merge.prog'
check "their counts grow" grows merge.prog
check "they collide with no libFuzzer line, and have no control codes" no_collision merge.log
if clang -g -O1 -fsanitize=fuzzer-no-link "$top/tests/tools/slow_target.c" \
     $(PKG_CONFIG_PATH=$B pkg-config --cflags --libs portfuzz) -o slow_target >cc-slow.log 2>&1; then
  ok
  PORTFUZZ_PROGRESS_MS=20 ./slow_target -workers=2 -runs=0 many >seeds.log 2>&1
  grep -E "$(prog_re 'running the corpus' inputs)" seeds.log >seeds.prog
  check "running a 3000-file corpus prints progress lines ($(wc -l <seeds.prog))" test "$(wc -l <seeds.prog)" -ge 2
  check "their totals are the 3000 inputs" bash -c '! grep -v "/3000 inputs" seeds.prog'
  check "they come before INITED" bash -c 'p=$(grep -n "running the corpus" seeds.log | head -1 | cut -d: -f1); i=$(grep -n "INITED" seeds.log | cut -d: -f1); [ -n "$p" ] && [ -n "$i" ] && [ "$p" -lt "$i" ]'
  check "INITED comes after all 3000 inputs ran" grep -q '^#3000[[:space:]]INITED' seeds.log
else
  bad "building the slow harness"; show cc-slow.log
fi
# planted_crash's bug (README.md), then 20000 bytes a minimization removes.
{ printf 'TL\003\313X\001\000'; head -c 20000 /dev/zero | tr '\0' E; } >bigcrash
PORTFUZZ_PROGRESS_MS=100 "$fuzzer" -minimize_crash=1 -max_total_time=30 -exact_artifact_path="$W/minimized" bigcrash >min.log 2>&1
grep -E "$(prog_re 'minimizing the crash' 'execs \(est\.\)') size: [0-9]+/20007 bytes$" min.log >min.prog
check "a minimization prints progress lines ($(wc -l <min.prog))" test "$(wc -l <min.prog)" -ge 2
check "the minimization ended smaller" bash -c '[ -f minimized ] && [ "$(wc -c <minimized)" -lt 100 ]'

if [ $fails -gt 0 ]; then
  echo "tests/tools.sh: $fails of $checks checks failed (work directory: $W)" >&2
  exit 1
fi
echo "tests/tools.sh: all $checks checks passed in $(( $(date +%s) - t0 )) s"
