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
# (if no deb-src entry exists at all) and updates the package lists.
pfz_deb_src() {
  local list=/etc/apt/sources.list.d/portfuzz-src.sources
  apt-cache showsrc "$1" 2>/dev/null | grep -x "Package: $1" >/dev/null && return 0
  pfz_need_root "update apt's lists for the source package $1"
  if ! grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
      /etc/apt/sources.list /etc/apt/sources.list.d/; then
    [ -f /etc/apt/sources.list.d/debian.sources ] ||
      pfz_die "no deb-src entry and no /etc/apt/sources.list.d/debian.sources to derive one from: add a deb-src line for Debian main"
    pfz_say "adding deb-src entries: $list"
    { echo "# Added by portfuzz scripts/lib.sh (for apt-get source)"
      sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources
    } | $SUDO tee "$list" >/dev/null
  fi
  pfz_apt_get update -q >/dev/null || pfz_die "apt-get update failed"
  apt-cache showsrc "$1" 2>/dev/null | grep -x "Package: $1" >/dev/null ||
    pfz_die "apt knows no source package $1 (check the deb-src entries under /etc/apt)"
}

# The build needs: a C compiler, autotools, pkg-config, APR and CUnit; clang and
# its runtimes for the clang/TSan/ASan builds.
pfz_install_build_deps() {
  pfz_apt ca-certificates gcc g++ make autoconf automake libtool pkg-config libapr1-dev \
    libcunit1-dev clang libclang-rt-14-dev
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
