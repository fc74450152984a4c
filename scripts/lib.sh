# scripts/lib.sh -- shared by demo.sh and test.sh: installs what a fresh Debian
# machine lacks (as root, with apt-get) and configures + builds portfuzz in a
# build directory. Sourced, not run.

PFZ_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PFZ_JOBS=${PFZ_JOBS:-$(nproc 2>/dev/null || echo 2)}

pfz_say() { printf '==> %s\n' "$*" >&2; }
pfz_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Sets SUDO to what runs a command as root ("" when we are root); WHAT says
# what needs it, for the error message.
pfz_need_root() {
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || pfz_die "need root (or sudo) to $1"
    SUDO=sudo
  else
    SUDO=
  fi
}

# apt-get, waiting (bounded) for another apt/dpkg run to finish instead of
# failing on its lock: two of our scripts (or unattended-upgrades) may install
# at the same time.
pfz_apt_get() {
  $SUDO flock -w 600 /var/lib/apt/lists/.portfuzz-lock \
    apt-get -o DPkg::Lock::Timeout=600 "$@"
}

# Installs the Debian packages given (only the missing ones).
pfz_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  pfz_say "installing Debian packages: ${missing[*]}"
  pfz_need_root "install: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  pfz_apt_get update -q >/dev/null || pfz_die "apt-get update failed"
  pfz_apt_get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    pfz_die "apt-get install failed for: ${missing[*]}"
}

# pfz_deb_src PKG: makes `apt-get source PKG` possible. When apt knows no
# source of PKG: adds deb-src twins of the deb822 entries of debian.sources
# (when no deb-src entry exists, or the existing ones do not list PKG) and
# updates the package lists.
pfz_deb_src() {
  local list=/etc/apt/sources.list.d/portfuzz-src.sources
  pfz_has_src "$1" && return 0
  pfz_need_root "update apt's lists for the source package $1"
  if [ ! -e "$list" ] && { ! pfz_deb_src_configured || { pfz_apt_get update -q >/dev/null &&
                                                        ! pfz_has_src "$1"; }; }; then
    [ -f /etc/apt/sources.list.d/debian.sources ] ||
      pfz_die "apt knows no source package $1 and there is no /etc/apt/sources.list.d/debian.sources to derive deb-src entries from: add a deb-src line for Debian main"
    pfz_say "adding deb-src entries: $list"
    { echo "# Added by portfuzz scripts/lib.sh (for apt-get source)"
      sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources
    } | $SUDO tee "$list" >/dev/null
  fi
  pfz_apt_get update -q >/dev/null || pfz_die "apt-get update failed"
  pfz_has_src "$1" ||
    pfz_die "apt knows no source package $1 (check the deb-src entries under /etc/apt)"
}
pfz_has_src() { apt-cache showsrc "$1" 2>/dev/null | grep -x "Package: $1" >/dev/null; }
pfz_deb_src_configured() {
  grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
    /etc/apt/sources.list /etc/apt/sources.list.d/
}

# pfz_apt_source PKG DIR [UPSTREAM]: downloads the source package PKG (its
# .dsc and tarballs, not unpacked) into DIR and echoes the .dsc's path. The
# archive may no longer serve the newest version apt lists (a security
# update's source answers 404 on some mirrors): every version
# `apt-cache showsrc` lists is tried, newest first, each in a scratch
# directory so a half-fetched one leaves nothing behind. UPSTREAM (e.g.
# 1.7.2) limits the versions to that upstream release. Dies naming the
# versions tried and the last apt-get output.
pfz_apt_source() {
  local pkg=$1 dir=$2 want=${3:-} v vs=() sorted=() i j tmp log tried=
  pfz_deb_src "$pkg"
  mkdir -p "$dir" || pfz_die "cannot create $dir"
  for v in $(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | sort -u); do
    if [ -n "$want" ]; then
      local up=${v#*:}
      up=${up%-*}
      case $up in "$want" | "$want"[-.+~]*) ;; *) continue ;; esac
    fi
    vs+=("$v")
  done
  # newest first, in dpkg's order (sort -V is not dpkg's)
  for v in "${vs[@]}"; do
    for ((i = 0; i < ${#sorted[@]}; i++)); do
      dpkg --compare-versions "$v" gt "${sorted[$i]}" && break
    done
    sorted=("${sorted[@]:0:$i}" "$v" "${sorted[@]:$i}")
  done
  [ ${#sorted[@]} -gt 0 ] ||
    pfz_die "apt lists no source of $pkg${want:+ $want} (apt-cache showsrc $pkg)"
  log=$(mktemp "${TMPDIR:-/tmp}/portfuzz-src-$pkg.XXXXXX")
  for v in "${sorted[@]}"; do
    tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
    # Sandbox user root: the scratch directory is ours (no _apt warning).
    if (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root source --download-only \
          "$pkg=$v") >"$log" 2>&1; then
      j=$(ls "$tmp"/*.dsc 2>/dev/null | head -n1 || true)
      if [ -n "$j" ]; then
        mv "$tmp"/* "$dir"/ && rmdir "$tmp" && rm -f "$log" &&
          echo "$dir/$(basename "$j")" && return 0
        pfz_die "cannot move the source of $pkg $v into $dir"
      fi
    fi
    rm -rf "$tmp"
    tried="$tried $v"
    pfz_say "$pkg $v: source not downloadable; trying an older version"
  done
  tail -n 20 "$log" >&2
  rm -f "$log"
  pfz_die "apt-get source $pkg failed for every version apt lists:$tried (output of the last attempt above)"
}

# The build needs: a C compiler, autotools, pkg-config, APR and CUnit; clang and
# its runtimes for the clang/TSan/ASan builds; cmake for tests/cmake.sh.
pfz_install_build_deps() {
  pfz_apt ca-certificates gcc g++ make autoconf automake libtool pkg-config libapr1-dev \
    libcunit1-dev clang libclang-rt-14-dev cmake
}

# pfz_build DIR [configure args...]: (re)configures and builds in DIR.
pfz_build() {
  local dir=$1; shift
  if [ ! -x "$PFZ_TOP/configure" ] || [ "$PFZ_TOP/configure.ac" -nt "$PFZ_TOP/configure" ] ||
     [ "$PFZ_TOP/Makefile.am" -nt "$PFZ_TOP/Makefile.in" ]; then
    pfz_say "autoreconf"
    (cd "$PFZ_TOP" && autoreconf -fi >/dev/null 2>&1) || (cd "$PFZ_TOP" && autoreconf -fi) ||
      pfz_die "autoreconf failed"
  fi
  mkdir -p "$dir"
  local stamp="$dir/.pfz-configure-args" want="$*"
  if [ ! -f "$dir/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    pfz_say "configure ($dir): $want"
    (cd "$dir" && "$PFZ_TOP/configure" -q "$@") >"$dir/configure.out" 2>&1 ||
      { cat "$dir/configure.out" "$dir/config.log" | tail -40 >&2; pfz_die "configure failed in $dir"; }
    printf '%s' "$want" >"$stamp"
  fi
  pfz_say "make ($dir)"
  make -C "$dir" -j"$PFZ_JOBS" >"$dir/make.out" 2>&1 ||
    { tail -40 "$dir/make.out" >&2; pfz_die "build failed in $dir (full log: $dir/make.out)"; }
}
