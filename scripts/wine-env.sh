#!/usr/bin/env bash
# wine-env.sh - a private, headless Wine prefix for running portfuzz's .exe files.
#
# Source it:   . scripts/wine-env.sh && wine ./test.exe; pfz_wine_stop
# or run it:   scripts/wine-env.sh wine ./test.exe   (sets up, runs, stops wineserver)
#
# What it does (each step only once per prefix, remembered by stamp files):
#   * installs wine + wine64 with apt-get if `wine` is missing (needs root/sudo);
#   * sets up a template prefix, ${PORTFUZZ_WINE_TEMPLATE:-$HOME/.cache/portfuzz/wineprefix},
#     and exports WINEPREFIX=${PORTFUZZ_WINEPREFIX:-<the template>}; a
#     PORTFUZZ_WINEPREFIX other than the template is a private copy of it (made
#     once, ~1 s), with a wineserver of its own. scripts/test-windows.sh uses
#     one per build tree: `wineserver -k` (pfz_wine_stop) ends every process
#     of a prefix, and a Wine process whose wineserver goes away exits with
#     status 0 -- so a second run sharing the prefix (a developer's, another
#     clone's) would end this run's test runner "successfully", mid-suite;
#   * exports WINEDEBUG=-all (also silences Debian's "wine32 is missing" hint), and unsets
#     DISPLAY, so no window, Xvfb, Mono or Gecko is involved;
#   * runs `wineboot --init` (about 10 s the first time);
#   * sets AeDebug\Debugger=false: Wine ignores SEM_NOGPFAULTERRORBOX and would
#     otherwise start winedbg on every crash (register dump on the child's
#     stdout, +0.5-1 s per crash).
# It defines pfz_wine_stop, which stops this prefix's wineserver (`wineserver -k`).
#
# When sourced it does not change the caller's shell options: the setup runs
# in a subshell with `set -euo pipefail`; a failure makes `source` return 1.

_pfz_wine_log() { printf '[wine-env] %s\n' "$*" >&2; }

# The one-time setup; a function whose body is a subshell, so `set -euo
# pipefail`, `cd` and `exit` stay inside it.
_pfz_wine_setup() (
    set -euo pipefail
    die() { _pfz_wine_log "ERROR: $*"; exit 1; }

    if ! command -v wine >/dev/null 2>&1 || ! command -v wineserver >/dev/null 2>&1; then
        sudo=()
        if [[ $EUID -ne 0 ]]; then
            command -v sudo >/dev/null || die "wine is missing; not root and no sudo to install it"
            sudo=(sudo -n)
        fi
        _pfz_wine_log "installing wine wine64"
        export DEBIAN_FRONTEND=noninteractive
        "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed"
        "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends wine wine64 >/dev/null ||
            die "apt-get install wine wine64 failed"
        command -v wine >/dev/null || die "wine still not on PATH after installing it"
    fi

    mkdir -p "$_pfz_wine_template"
    # Serialise concurrent first-time setups (and copies) of the template.
    exec 8>"$_pfz_wine_template.lock"
    flock -w 600 8 || die "waited 10 min for $_pfz_wine_template.lock (another setup hung?)"
    export WINEPREFIX=$_pfz_wine_template
    _pfz_wine_template_setup
    if [[ $_pfz_wine_prefix != "$_pfz_wine_template" && ! -f $_pfz_wine_prefix/.portfuzz-copy ]]; then
        _pfz_wine_log "private Wine prefix $_pfz_wine_prefix (a copy of $_pfz_wine_template)"
        rm -rf "$_pfz_wine_prefix"
        mkdir -p "$(dirname "$_pfz_wine_prefix")"
        cp -a "$_pfz_wine_template" "$_pfz_wine_prefix.tmp" &&
            touch "$_pfz_wine_prefix.tmp/.portfuzz-copy" &&
            mv "$_pfz_wine_prefix.tmp" "$_pfz_wine_prefix" ||
            die "cannot copy $_pfz_wine_template to $_pfz_wine_prefix"
    fi
)

# The template's one-time steps (in the subshell above, lock held).
_pfz_wine_template_setup() {
    boot=0 aedebug=0
    [[ -f $WINEPREFIX/.portfuzz-wineboot && -f $WINEPREFIX/system.reg ]] || boot=1
    [[ -f $WINEPREFIX/.portfuzz-aedebug ]] || aedebug=1
    ((boot || aedebug)) || return 0

    if ((boot)); then
        _pfz_wine_log "initialising Wine prefix $WINEPREFIX (wineboot --init)"
        # mscoree/mshtml disabled: never try to fetch or install Mono/Gecko.
        WINEDLLOVERRIDES="mscoree,mshtml=" wineboot --init >/dev/null 2>&1 ||
            die "wineboot --init failed for $WINEPREFIX (run with WINEDEBUG=err+all to see why)"
    fi
    if ((aedebug)); then
        _pfz_wine_log "disabling the crash debugger (AeDebug\\Debugger=false)"
        key='HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug'
        wine reg add "$key" /v Debugger /t REG_SZ /d false /f >/dev/null 2>&1 ||
            die "wine reg add $key failed"
        wine reg query "$key" /v Debugger 2>/dev/null | grep -q 'REG_SZ[[:space:]]*false' ||
            die "AeDebug\\Debugger is not 'false' after setting it"
    fi

    # wineboot and reg return before the wineserver has saved the registry
    # (system.reg appears only when it exits): wait for it to exit by itself
    # (~3 s of persistence) so the stamps never claim more than is on disk.
    wineserver -w
    if ((boot)); then
        [[ -f $WINEPREFIX/system.reg ]] || die "wineboot did not create $WINEPREFIX/system.reg"
        wine --version >"$WINEPREFIX/.portfuzz-wineboot" 2>/dev/null
    fi
    if ((aedebug)); then
        grep -q '^"Debugger"="false"' "$WINEPREFIX/system.reg" ||
            die "AeDebug\\Debugger=false did not reach $WINEPREFIX/system.reg"
        touch "$WINEPREFIX/.portfuzz-aedebug"
    fi
}

# Stop every Wine process of this prefix (and its wineserver).
pfz_wine_stop() {
    wineserver -k 2>/dev/null || true
}

_pfz_wine_template=${PORTFUZZ_WINE_TEMPLATE:-$HOME/.cache/portfuzz/wineprefix}
_pfz_wine_prefix=${PORTFUZZ_WINEPREFIX:-$_pfz_wine_template}
export WINEPREFIX=$_pfz_wine_prefix
export WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
    # Sourced: report failure without killing the caller's shell.
    _pfz_wine_setup || { _pfz_wine_log "ERROR: Wine setup failed"; return 1; }
else
    # Executed: strict mode, then run the given command (if any) in the prefix.
    set -euo pipefail
    _pfz_wine_setup
    if (($#)); then
        rc=0
        "$@" || rc=$?
        pfz_wine_stop
        exit "$rc"
    fi
fi
