#!/usr/bin/env bash
# bench/run.sh [--quick] [--skip-build] -- portfuzz vs libFuzzer vs AFL++.
#
# Installs what it needs (apt-get, idempotent), builds portfuzz out of tree in
# bench/_build/portfuzz, fetches zlib's Debian source package (the newest version the archive serves), builds every
# target for portfuzz (clang -fsanitize=fuzzer-no-link + libportfuzz.a),
# libFuzzer (clang -fsanitize=fuzzer) and AFL++ (afl-clang-fast, persistent
# mode with shared-memory input via bench/afl_driver.c; plus a CMPLOG build),
# then runs bench/bench.py, which runs the engines alternately and prints a
# table of ratios portfuzz/peer. The table also goes to bench/results/<date>.txt.
#
#   --quick       < 10 minutes (3 reps x 3 s, 3 seeds, 12 s crash cap, 10 s coverage)
#   (default)     < 60 minutes (5 reps x 10 s, 5 seeds, 30 s crash cap, 60 s coverage)
#   --skip-build  reuse bench/_build as is
# Environment: BENCH_JOBS (make -j, default nproc), CC_PF (default clang).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
B=$HERE/_build
MODE=full
SKIP_BUILD=0
for a in "$@"; do
    case $a in
    --quick) MODE=quick ;;
    --full) MODE=full ;;
    --skip-build) SKIP_BUILD=1 ;;
    -h|--help) sed -n 2,16p "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown argument: $a" >&2; exit 1 ;;
    esac
done
JOBS=${BENCH_JOBS:-$(nproc)}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'die "command failed (line $LINENO, exit $?): $BASH_COMMAND"' ERR

# ---- dependencies -------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
SUDO=()
if [[ $EUID -ne 0 ]]; then
    SUDO=(sudo -n)
fi
APT_UPDATED=0
apt_update_once() {
    if [[ $APT_UPDATED == 0 ]]; then
        log "apt-get update"
        "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
        APT_UPDATED=1
    fi
}
# package -> a file or command that proves it is installed
declare -A PKG_PROOF=(
    [clang]=/usr/bin/clang
    [libfuzzer-14-dev]=/usr/lib/llvm-14/lib/libFuzzer.a
    [afl++]=/usr/bin/afl-fuzz
    [make]=/usr/bin/make
    [autoconf]=/usr/bin/autoreconf
    [automake]=/usr/bin/automake
    [libtool]=/usr/bin/libtoolize
    [pkg-config]=/usr/bin/pkg-config
    [libapr1-dev]=/usr/bin/apr-1-config
    [dpkg-dev]=/usr/bin/dpkg-source
    [python3]=/usr/bin/python3
    [time]=/usr/bin/time
    [linux-perf]=/usr/bin/perf
    [valgrind]=/usr/bin/valgrind
)
missing=()
for p in "${!PKG_PROOF[@]}"; do
    [[ -e ${PKG_PROOF[$p]} ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    apt_update_once
    log "installing: ${missing[*]}"
    "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# libFuzzer's runtime for clang's default version (clang may be 14 or newer)
CLANG_RES=$(clang -print-resource-dir)
if ! ls "$CLANG_RES"/lib/*/libclang_rt.fuzzer*-x86_64.a >/dev/null 2>&1 &&
   ! ls "$CLANG_RES"/lib/x86_64*/libclang_rt.fuzzer.a >/dev/null 2>&1; then
    die "clang at $(command -v clang) has no libFuzzer runtime in $CLANG_RES (install libfuzzer-<ver>-dev for it)"
fi

mkdir -p "$B"
if [[ $SKIP_BUILD == 0 ]]; then
    # ---- portfuzz, out of tree ------------------------------------------------
    if [[ ! -x $REPO/configure ]]; then
        log "autoreconf -fi (no configure in the repo)"
        (cd "$REPO" && autoreconf -fi)
    fi
    mkdir -p "$B/portfuzz"
    if [[ ! -f $B/portfuzz/Makefile ]]; then
        log "configure portfuzz (CC=clang) in $B/portfuzz"
        (cd "$B/portfuzz" && "$REPO/configure" CC=clang -q)
    fi
    log "make portfuzz"
    make -C "$B/portfuzz" -j"$JOBS" >"$B/portfuzz-make.log" 2>&1 ||
        { tail -30 "$B/portfuzz-make.log"; die "portfuzz build failed"; }
    PFLIB=$B/portfuzz/.libs/libportfuzz.a
    [[ -f $PFLIB ]] || die "no $PFLIB after make"

    # ---- zlib from Debian's source package ------------------------------------
    mkdir -p "$B/src"
    ZSRC=$(ls -d "$B"/src/zlib-*/ 2>/dev/null | head -1 || true)
    if [[ -z $ZSRC || ! -f $ZSRC/inflate.c ]]; then
        # scripts/lib.sh's fetch falls back to an older version when the
        # archive no longer serves the newest (a security update's source)
        log "apt-get source zlib"
        ZDSC=$(source "$REPO/scripts/lib.sh" && pfz_apt_source zlib "$B/src/dl") ||
            die "could not fetch zlib's source package (see above)"
        rm -rf "$B/src/zlib-src"
        dpkg-source -x "$ZDSC" "$B/src/zlib-src" >"$B/src/unpack.log" 2>&1 ||
            { tail -20 "$B/src/unpack.log" >&2; die "dpkg-source -x $ZDSC failed"; }
        ZSRC=$B/src/zlib-src
    fi
    ZSRC=${ZSRC%/}
    ZFILES=(adler32 crc32 inffast inflate inftrees zutil)

    # ---- targets ----------------------------------------------------------------
    T=$HERE/targets
    OUT=$B/bin
    mkdir -p "$OUT"/{pf,lf,afl,aflcmp} "$B/obj"
    APRLIBS=$(pkg-config --libs apr-1)
    CFLAGS_COMMON=(-O2 -g -w -I"$HERE/../include")
    export AFL_QUIET=1
    # flavour -> compiler and instrumentation flags
    cc_for() {
        case $1 in
        pf|lf) echo clang ;;
        afl|aflcmp) echo afl-clang-fast ;;
        esac
    }
    instr_for() { # $1 flavour, $2 asan(0/1)
        local s=""
        [[ $2 == 1 ]] && s=,address
        case $1 in
        pf|lf) echo "-fsanitize=fuzzer-no-link$s" ;;
        afl|aflcmp) [[ $2 == 1 ]] && echo "-fsanitize=address" || echo "" ;;
        esac
    }
    env_for() { [[ $1 == aflcmp ]] && echo "AFL_LLVM_CMPLOG=1" || echo "-u AFL_LLVM_CMPLOG"; }

    build_zlib() { # $1 flavour -> $B/obj/$1/libz.a
        local f=$1 o=$B/obj/$1 cc; cc=$(cc_for "$f")
        mkdir -p "$o"
        if [[ -f $o/libz.a && $o/libz.a -nt $ZSRC/inflate.c ]]; then return; fi
        rm -f "$o"/*.o "$o/libz.a"
        for z in "${ZFILES[@]}"; do
            env $(env_for "$f") $cc "${CFLAGS_COMMON[@]}" $(instr_for "$f" 0) -I"$ZSRC" \
                -c "$ZSRC/$z.c" -o "$o/$z.o"
        done
        ar rcs "$o/libz.a" "$o"/*.o
    }
    build_target() { # $1 flavour, $2 name, $3 asan, extra args...
        local f=$1 n=$2 asan=$3; shift 3
        local out=$OUT/$f/$n cc; cc=$(cc_for "$f")
        local src=$T/$n.c
        if [[ -f $out && $out -nt $src && $out -nt $HERE/afl_driver.c && $out -nt ${PFLIB} ]]; then return; fi
        case $f in
        pf) clang "${CFLAGS_COMMON[@]}" $(instr_for pf "$asan") "$src" "$@" "$PFLIB" $APRLIBS -lpthread -lm -o "$out" ;;
        lf) clang "${CFLAGS_COMMON[@]}" $(instr_for lf "$asan") -fsanitize=fuzzer "$src" "$@" -o "$out" ;;
        afl|aflcmp) env $(env_for "$f") afl-clang-fast "${CFLAGS_COMMON[@]}" $(instr_for "$f" "$asan") \
                        "$src" "$HERE/afl_driver.c" "$@" -o "$out" ;;
        esac
    }
    log "building zlib (3 instrumentations) and targets"
    for f in pf afl aflcmp; do build_zlib "$f"; done
    # pf and lf share zlib objects (both -fsanitize=fuzzer-no-link)
    for f in pf lf afl aflcmp; do
        zf=$f; [[ $f == lf ]] && zf=pf
        build_target "$f" empty 0
        build_target "$f" parser 0
        build_target "$f" zlib_inflate 0 -I"$ZSRC" "$B/obj/$zf/libz.a"
        for n in magic cmp64 switch checksum crc_payload crash_always; do build_target "$f" "$n" 0; done
        for n in strcmp heap_overflow; do build_target "$f" "$n" 1; done
    done
    log "built: $(ls "$OUT"/* | wc -l) binaries"
fi

# ---- run ------------------------------------------------------------------------
mkdir -p "$HERE/results"
[[ ${BENCH_BUILD_ONLY:-0} == 1 ]] && exit 0
exec python3 "$HERE/bench.py" --mode "$MODE" --bin "$B/bin" --work "$B/work" \
    --results "$HERE/results" --command "bench/run.sh${1:+ $*}"
