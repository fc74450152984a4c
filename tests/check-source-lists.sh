#!/bin/sh
# check-source-lists.sh -- fails when the source lists of Makefile.am and
# CMakeLists.txt differ (CMake mirrors Makefile.am for MSVC and CMake users).
# Usage: tests/check-source-lists.sh [SRCDIR]   (default: $srcdir, else ..)
# Compared, as sorted sets (Makefile.am name = CMakeLists.txt name):
#   PFZ_COMMON_SRCS PFZ_COMMON_HDRS PFZ_POSIX_SRCS PFZ_WIN32_SRCS PFZ_MAIN_SRCS
#   PFZ_TARGETS PFZ_ASAN_TARGETS   (Makefile.am) = the same names (CMake)
#   tests_runner_SOURCES           (Makefile.am) = PFZ_RUNNER_SRCS (CMake)
# plus every .c/.h under src/ must be in one of the lists of both files, and
# CMake's PFZ_SUITES (one CTest test per suite) must name exactly the suites
# that tests/*.c register with pfz_test_suite("...").
set -u
top=${1:-${srcdir:-$(dirname "$0")/..}}
am=$top/Makefile.am
cm=$top/CMakeLists.txt
for f in "$am" "$cm"; do
  [ -f "$f" ] || { echo "check-source-lists: $f not found" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfz-lists.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# Words assigned to VAR in Makefile.am (continuation lines joined; += appends).
am_list() {
  awk -v var="$1" '
    { line = $0
      while (line ~ /\\$/ && (getline nxt) > 0) { sub(/\\$/, " ", line); line = line nxt }
      if (match(line, "^" var "[ \t]*\\+?=")) {
        rest = substr(line, RLENGTH + 1); n = split(rest, w, /[ \t]+/)
        for (i = 1; i <= n; i++) if (w[i] != "" && w[i] !~ /^\$/) print w[i]
      } }' "$am" | sort
}
# Words of set(VAR ...) in CMakeLists.txt (up to the closing parenthesis).
cm_list() {
  awk -v var="$1" '
    BEGIN { on = 0 }
    { line = $0; sub(/#.*/, "", line) }
    !on && match(line, "^[ \t]*set\\(" var "([ \t]|$)") { on = 1; line = substr(line, RLENGTH + 1) }
    on { done = sub(/\).*/, "", line); n = split(line, w, /[ \t]+/)
         for (i = 1; i <= n; i++) if (w[i] != "" && w[i] !~ /^\$/) print w[i]
         if (done) exit }' "$cm" | sort
}

status=0
compare() { # AM_VAR CMAKE_VAR
  am_list "$1" >"$tmp/am"
  cm_list "$2" >"$tmp/cm"
  if [ ! -s "$tmp/am" ]; then
    echo "check-source-lists: $1 is empty or missing in Makefile.am" >&2
    status=1
    return
  fi
  if ! cmp -s "$tmp/am" "$tmp/cm"; then
    echo "check-source-lists: $1 (Makefile.am) and $2 (CMakeLists.txt) differ:" >&2
    echo "  (- only in Makefile.am, + only in CMakeLists.txt)" >&2
    diff "$tmp/am" "$tmp/cm" | sed -n 's/^< /  - /p; s/^> /  + /p' >&2
    status=1
  fi
}
for v in PFZ_COMMON_SRCS PFZ_COMMON_HDRS PFZ_POSIX_SRCS PFZ_WIN32_SRCS PFZ_MAIN_SRCS \
         PFZ_TARGETS PFZ_ASAN_TARGETS; do
  compare "$v" "$v"
done
compare tests_runner_SOURCES PFZ_RUNNER_SRCS

# A file added to src/ but to neither list is caught too.
for v in PFZ_COMMON_SRCS PFZ_COMMON_HDRS PFZ_POSIX_SRCS PFZ_WIN32_SRCS PFZ_MAIN_SRCS; do
  am_list "$v"
done | sort >"$tmp/listed"
(cd "$top" && find src -name '*.[ch]' | sort) >"$tmp/present"
missing=$(comm -23 "$tmp/present" "$tmp/listed")
if [ -n "$missing" ]; then
  echo "check-source-lists: files under src/ that no list of Makefile.am names:" >&2
  printf '  %s\n' $missing >&2
  status=1
fi
# A suite CTest does not know would never run there.
cm_list PFZ_SUITES >"$tmp/cm"
sed -n 's/.*pfz_test_suite("\([^"]*\)").*/\1/p' "$top"/tests/test-*.c | sort >"$tmp/suites"
if [ ! -s "$tmp/suites" ] || ! cmp -s "$tmp/suites" "$tmp/cm"; then
  echo "check-source-lists: PFZ_SUITES (CMakeLists.txt) differs from the suites tests/*.c register:" >&2
  echo "  (- registered but not in PFZ_SUITES, + only in PFZ_SUITES)" >&2
  diff "$tmp/suites" "$tmp/cm" | sed -n 's/^< /  - /p; s/^> /  + /p' >&2
  status=1
fi

[ $status = 0 ] && echo "check-source-lists: Makefile.am and CMakeLists.txt agree"
exit $status
