#!/usr/bin/env bash
# bench/bigcorpus.sh -- a 50,000-file corpus: restart, merge and -reload
# costs of portfuzz against libFuzzer, on libxml2's fuzz/xml.c (built by
# bench/real.sh --build-only). bench/bigcorpus.py says what is measured.
#
#   bench/bigcorpus.sh [--files N] [--reps R] [--harness NAME] [--only merge]
#
# The corpus is made once in bench/_build/bigcorpus/corpus (reused while it
# has N files). Prints the table and keeps it in
# bench/results/bigcorpus-<date>.txt.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$REPO/scripts/lib.sh"
"$HERE/real.sh" --build-only
stamp=$(date -u +%Y-%m-%dT%H%M)
mkdir -p "$HERE/results"
{
  echo "# bench/bigcorpus.sh $*"
  echo "# $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown), $(nproc) CPUs, $(clang --version | head -n1)"
  python3 "$HERE/bigcorpus.py" --bin "$HERE/_build/real/bin" --work "$HERE/_build/bigcorpus" "$@"
} | tee "$HERE/results/bigcorpus-$stamp.txt"
