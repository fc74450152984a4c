#!/usr/bin/env bash
# scripts/demo.sh -- a real fuzzing demo from a fresh Debian 12 machine:
# installs what is missing, builds portfuzz and examples/planted_crash (a small
# record parser with a bug several checks deep, compiled with coverage
# instrumentation), fuzzes it with 2 worker processes until the crash is
# found, then reproduces the crash from the saved artifact.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

pfz_install_build_deps
B=${PFZ_BUILD_ROOT:-$PFZ_TOP/build}/demo
pfz_build "$B" CC=clang
work=$(mktemp -d "${TMPDIR:-/tmp}/portfuzz-demo.XXXXXX")
fuzzer="$B/examples/planted_crash"
pfz_say "fuzzing $fuzzer with 2 workers (corpus: $work/corpus, artifacts: $work/)"
set +e
"$fuzzer" -workers=2 -max_total_time=300 -artifact_prefix="$work/" "$work/corpus"
rc=$?
set -e
[ $rc = 77 ] || pfz_die "expected the planted crash (exit status 77), got $rc"
art=$(ls "$work"/crash-* | grep -v '\.log$' | head -n1)
pfz_say "found it: $art ($(wc -c <"$art") bytes):"
od -c "$art" | head -5 >&2
pfz_say "reproducing: $fuzzer $art"
set +e
"$fuzzer" "$art"
rc=$?
set -e
[ $rc != 0 ] || pfz_die "the artifact did not reproduce the crash"
pfz_say "reproduced (exit status $rc). Demo done; files are in $work"
