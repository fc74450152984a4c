#!/usr/bin/env bash
# build-win-deps.sh - cross-build portfuzz's Windows dependencies with mingw-w64.
#
# Builds, for x86_64-w64-mingw32, from Debian's own source packages:
#   * APR 1.7.2   -> static libapr-1.a   (APR's CMakeLists.txt, target apr-1 only)
#   * CUnit 2.1-3 -> static libcunit.a   (autoconf, unchanged)
# and installs them into a cache outside the source tree:
#   ${PORTFUZZ_WIN_DEPS:-$HOME/.cache/portfuzz/mingw64}/
#     include/apr-1/*.h   include/CUnit/*.h
#     lib/libapr-1.a      lib/libcunit.a
#     lib/pkgconfig/apr-1.pc   lib/pkgconfig/cunit.pc
#
# Use it with:
#   PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig pkg-config --cflags --libs apr-1 cunit
#
# Idempotent: a stamp file ($prefix/.portfuzz-stamp) records a hash of this
# script (the "recipe"), of the prefix path and of the cross compiler's
# version; when it matches, the script is a no-op. Edit this file, move the
# prefix or upgrade the compiler, and it rebuilds.
# PORTFUZZ_WIN_DEPS_FORCE=1 rebuilds unconditionally.
#
# Needs root (or passwordless sudo) only for what is missing: it installs its
# tools with apt-get and, when no deb-src entry exists, adds
# /etc/apt/sources.list.d/portfuzz-src.sources (deb-src twin of debian.sources).
# Runs without a terminal. Environment:
#   PORTFUZZ_WIN_DEPS        install prefix (default ~/.cache/portfuzz/mingw64)
#   PORTFUZZ_WIN_DEPS_FORCE  1 = rebuild even if the stamp matches
#   PORTFUZZ_KEEP_BUILD      1 = keep the temporary build directory
#
# Why the APR patches below exist: see shared/reference/windows-on-linux.md.
set -Eeuo pipefail

readonly APR_VERSION=1.7.2
readonly CUNIT_VERSION=2.1-3
readonly TARGET=x86_64-w64-mingw32
readonly JOBS=2

PREFIX=${PORTFUZZ_WIN_DEPS:-$HOME/.cache/portfuzz/mingw64}
PREFIX=${PREFIX%/}
STAMP=$PREFIX/.portfuzz-stamp
SELF=$(readlink -f "${BASH_SOURCE[0]}")

log() { printf '[build-win-deps] %s\n' "$*" >&2; }
die() { printf '[build-win-deps] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'die "command failed (line $LINENO, exit $?): $BASH_COMMAND"' ERR

[[ $PREFIX == /* ]] || die "PORTFUZZ_WIN_DEPS must be an absolute path (got '$PREFIX')"
[[ $PREFIX != *[[:space:]]* ]] || die "PORTFUZZ_WIN_DEPS must not contain spaces (pkg-config cannot quote them)"

# Recipe hash: this script + the prefix (the .pc files hold absolute paths)
# + the cross compiler it would use.
recipe_hash() {
    {
        cat "$SELF"
        echo "target=$TARGET prefix=$PREFIX"
        "$TARGET-gcc" -dumpversion 2>/dev/null || echo "no-compiler"
    } | sha256sum | cut -c1-16
}

is_up_to_date() {
    [[ ${PORTFUZZ_WIN_DEPS_FORCE:-0} != 1 ]] &&
    [[ -f $STAMP && -f $PREFIX/lib/libapr-1.a && -f $PREFIX/lib/libcunit.a ]] &&
    grep -qxF "recipe=$(recipe_hash)" "$STAMP"
}

# ---- fast path: nothing to do -------------------------------------------------
if is_up_to_date; then
    log "up to date: $PREFIX ($(grep -m1 '^recipe=' "$STAMP"))"
    exit 0
fi

# ---- tools ------------------------------------------------------------------
# scripts/lib.sh: apt-get installs (waiting for another apt run's lock) and
# the source-package fetch that falls back to older versions.
# shellcheck source=lib.sh
source "$(dirname "$SELF")/lib.sh"

# command -> Debian package that provides it
declare -A TOOL_PKG=(
    [$TARGET-gcc]=gcc-mingw-w64-x86-64
    [cc]=gcc
    [make]=make
    [cmake]=cmake
    [dpkg-source]=dpkg-dev
    [patch]=patch
    [bzip2]=bzip2
    [xz]=xz-utils
    [pkg-config]=pkg-config
)
missing=()
for tool in "${!TOOL_PKG[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${TOOL_PKG[$tool]}")
done
((${#missing[@]} == 0)) || pfz_apt "${missing[@]}"

# ---- serialise concurrent runs; re-check after waiting --------------------------
mkdir -p "$(dirname "$PREFIX")"
exec 9>"$PREFIX.lock"
flock 9
if is_up_to_date; then
    log "up to date (built by a concurrent run): $PREFIX"
    exit 0
fi
HASH=$(recipe_hash)

# ---- temporary build directory ------------------------------------------------
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/portfuzz-win-deps.XXXXXX")
STAGE=
cleanup() {
    local rc=$?
    [[ -n $STAGE && -d $STAGE ]] && rm -rf "$STAGE"
    if [[ $rc -ne 0 || ${PORTFUZZ_KEEP_BUILD:-0} == 1 ]]; then
        log "build directory kept: $BUILD"
    else
        rm -rf "$BUILD"
    fi
}
trap cleanup EXIT

# run_step NAME CMD... : run CMD with output to $BUILD/NAME.log; on failure,
# show the end of the log and stop.
run_step() {
    local name=$1; shift
    log "$name ..."
    if ! "$@" >"$BUILD/$name.log" 2>&1; then
        tail -n 40 "$BUILD/$name.log" >&2
        die "$name failed; full log: $BUILD/$name.log"
    fi
}

# ---- sources ------------------------------------------------------------------
cd "$BUILD"
# The newest Debian revision of each upstream release the archive serves.
log "fetch-sources ..."
APR_DSC=$(pfz_apt_source apr "$BUILD/dl" "$APR_VERSION") || die "no source of apr $APR_VERSION"
CUNIT_DSC=$(pfz_apt_source cunit "$BUILD/dl" "$CUNIT_VERSION") || die "no source of cunit $CUNIT_VERSION"
APR_DEB=$(sed -n 's/^Version: //p' "$APR_DSC")
CUNIT_DEB=$(sed -n 's/^Version: //p' "$CUNIT_DSC")
# dpkg-source -x applies Debian's patches (e.g. the CVE-2023-49582 fix).
run_step unpack-apr dpkg-source -x "$APR_DSC" apr-src
run_step unpack-cunit dpkg-source -x "$CUNIT_DSC" cunit-src

# ---- APR: our patches for a mingw-w64 static build ------------------------------
# 1. gen_test_char must run on the build machine: build it with the host cc
#    (-DWIN32 selects the Windows table, so the header is identical).
# 2. -DCOM_NO_WINDOWS_H: mingw's wtypes.h otherwise pulls windows.h/ole2.h,
#    which break under the NOUSER that apr.h defines.
# 3. mingw's iphlpapi.h breaks the same way: take NET_IFINDEX from <ifdef.h>
#    and define NETIOAPI_API_/IF_NAMESIZE, and let sockaddr.c use the
#    late-bound if_indextoname like MSVC does.
# 4. gcc on x86_64 would pick USE_ATOMICS_IA32 + NEED_ATOMICS_GENERIC64, but the
#    Windows build compiles atomic/win32 (Interlocked*) and no generic64 code,
#    so apr_initialize fails to link (apr__atomic_generic64_init). Select
#    USE_ATOMICS_GENERIC for _WIN32, which is what MSVC ends up with.
cat >"$BUILD/apr-mingw.patch" <<'EOF'
--- a/CMakeLists.txt
+++ b/CMakeLists.txt
@@ -50,6 +50,18 @@
 CONFIGURE_FILE(include/apr.hwc
                ${PROJECT_BINARY_DIR}/apr.h)
 
+IF(CMAKE_CROSSCOMPILING)
+# portfuzz: a cross-built gen_test_char.exe cannot run on the build machine;
+# build it with the host compiler (-DWIN32 gives the same Windows table).
+SET(APR_HOST_CC cc CACHE STRING "Host C compiler for gen_test_char")
+ADD_CUSTOM_COMMAND(
+  COMMENT "Generating character tables, apr_escape_test_char.h (host cc)"
+  DEPENDS ${PROJECT_SOURCE_DIR}/tools/gen_test_char.c
+  COMMAND ${APR_HOST_CC} -DWIN32 -o ${PROJECT_BINARY_DIR}/gen_test_char_host ${PROJECT_SOURCE_DIR}/tools/gen_test_char.c
+  COMMAND ${PROJECT_BINARY_DIR}/gen_test_char_host > ${PROJECT_BINARY_DIR}/apr_escape_test_char.h
+  OUTPUT ${PROJECT_BINARY_DIR}/apr_escape_test_char.h
+)
+ELSE()
 ADD_EXECUTABLE(gen_test_char tools/gen_test_char.c)
 
 ADD_CUSTOM_COMMAND(
@@ -58,6 +70,7 @@
   COMMAND $<TARGET_FILE:gen_test_char> > ${PROJECT_BINARY_DIR}/apr_escape_test_char.h
   OUTPUT ${PROJECT_BINARY_DIR}/apr_escape_test_char.h
 )
+ENDIF()
 ADD_CUSTOM_TARGET(
   test_char_header ALL
   DEPENDS ${PROJECT_BINARY_DIR}/apr_escape_test_char.h
@@ -86,6 +99,12 @@
 
 INCLUDE_DIRECTORIES(${APR_INCLUDE_DIRECTORIES})
 
+IF(MINGW)
+  # portfuzz: mingw's wtypes.h pulls in windows.h/ole2.h, which break under
+  # the NOUSER that apr.h defines.
+  ADD_DEFINITIONS(-DCOM_NO_WINDOWS_H)
+ENDIF()
+
 SET(APR_PUBLIC_HEADERS_STATIC
   include/apr_allocator.h
   include/apr_atomic.h
--- a/include/arch/win32/apr_arch_misc.h
+++ b/include/arch/win32/apr_arch_misc.h
@@ -49,6 +49,16 @@
 
 #if defined(HAVE_IF_INDEXTONAME) && defined(_MSC_VER)
 #include <Iphlpapi.h>
+#elif defined(HAVE_IF_INDEXTONAME) && defined(__MINGW32__)
+/* portfuzz: mingw's iphlpapi.h breaks under apr.h's NOUSER; take just
+ * NET_IFINDEX from ifdef.h and define what netioapi.h would. */
+#include <ifdef.h>
+#ifndef NETIOAPI_API_
+#define NETIOAPI_API_ WINAPI
+#endif
+#ifndef IF_NAMESIZE
+#define IF_NAMESIZE IF_MAX_STRING_SIZE
+#endif
 #endif
 
 struct apr_other_child_rec_t {
--- a/network_io/unix/sockaddr.c
+++ b/network_io/unix/sockaddr.c
@@ -29,7 +29,8 @@
 #include <net/if.h>
 #endif
 
-#if defined(HAVE_IF_INDEXTONAME) && defined(_MSC_VER)
+/* portfuzz: mingw needs the same late-bound if_indextoname as MSVC */
+#if defined(HAVE_IF_INDEXTONAME) && (defined(_MSC_VER) || defined(__MINGW32__))
 #include "arch/win32/apr_arch_misc.h"
 #endif
 
--- a/include/arch/unix/apr_arch_atomic.h
+++ b/include/arch/unix/apr_arch_atomic.h
@@ -24,6 +24,9 @@
 
 #if defined(USE_ATOMICS_GENERIC)
 /* noop */
+#elif defined(_WIN32)
+/* portfuzz: Win32 uses atomic/win32 (no generic64 code), as MSVC builds do */
+#   define USE_ATOMICS_GENERIC
 #elif HAVE_ATOMIC_BUILTINS
 #   define USE_ATOMICS_BUILTINS
 #   if HAVE_ATOMIC_BUILTINS64
EOF
run_step patch-apr patch -d apr-src -p1 --forward --no-backup-if-mismatch -i "$BUILD/apr-mingw.patch"

cat >"$BUILD/mingw64.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER $TARGET-gcc)
set(CMAKE_RC_COMPILER $TARGET-windres)
set(CMAKE_FIND_ROOT_PATH /usr/$TARGET)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
EOF

run_step configure-apr cmake -S apr-src -B apr-build -G "Unix Makefiles" \
    -DCMAKE_TOOLCHAIN_FILE="$BUILD/mingw64.cmake" -DCMAKE_BUILD_TYPE=Release
# Only the static library: the DLL target needs further .rc/ShellAPI.h fixes.
run_step build-apr make -C apr-build -j"$JOBS" apr-1

# ---- CUnit: unchanged ---------------------------------------------------------
configure_cunit() (
    cd cunit-src &&
    ./configure --host="$TARGET" --prefix="$BUILD/cunit-inst" \
        --disable-shared --enable-static --disable-curses
)
run_step configure-cunit configure_cunit
run_step build-cunit make -C cunit-src -j"$JOBS"
run_step install-cunit make -C cunit-src install

# ---- staging (same filesystem as the prefix, so the final mv is a rename) --------
STAGE=$(mktemp -d "$(dirname "$PREFIX")/.$(basename "$PREFIX").stage.XXXXXX")
mkdir -p "$STAGE/include/apr-1" "$STAGE/lib/pkgconfig"
# All public headers (APR's CMake install list misses apr_encode.h) + generated apr.h.
cp apr-src/include/*.h apr-build/apr.h "$STAGE/include/apr-1/"
cp apr-build/libapr-1.a "$STAGE/lib/"
cp -r cunit-inst/include/CUnit "$STAGE/include/"
cp cunit-inst/lib/libcunit.a "$STAGE/lib/"

cat >"$STAGE/lib/pkgconfig/apr-1.pc" <<EOF
prefix=$PREFIX
exec_prefix=\${prefix}
libdir=\${prefix}/lib
includedir=\${prefix}/include/apr-1

Name: APR
Description: Apache Portable Runtime, static, $TARGET (Debian $APR_DEB)
Version: $APR_VERSION
Cflags: -DAPR_DECLARE_STATIC -I\${includedir}
Libs: -L\${libdir} -lapr-1 -lws2_32 -lmswsock -lrpcrt4
EOF
cat >"$STAGE/lib/pkgconfig/cunit.pc" <<EOF
prefix=$PREFIX
exec_prefix=\${prefix}
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: CUnit
Description: C unit testing framework, static, $TARGET (Debian $CUNIT_DEB)
Version: $CUNIT_VERSION
Cflags: -I\${includedir}
Libs: -L\${libdir} -lcunit
EOF

# ---- smoke test: link a program against the staged libraries -------------------
cat >"$BUILD/smoke.c" <<'EOF'
#include <apr_general.h>
#include <apr_pools.h>
#include <CUnit/Basic.h>
int main(void)
{
    apr_pool_t *p;
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&p, NULL) != APR_SUCCESS)
        return 1;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_cleanup_registry();
    apr_terminate();
    return 0;
}
EOF
# shellcheck disable=SC2046  # word splitting of pkg-config output is intended
run_step smoke-link "$TARGET-gcc" -o "$BUILD/smoke.exe" "$BUILD/smoke.c" \
    $(PKG_CONFIG_LIBDIR="$STAGE/lib/pkgconfig" pkg-config --define-variable=prefix="$STAGE" \
        --cflags --libs apr-1 cunit) -static-libgcc

cat >"$STAGE/.portfuzz-stamp" <<EOF
recipe=$HASH
apr=$APR_VERSION (Debian $APR_DEB)
cunit=$CUNIT_VERSION (Debian $CUNIT_DEB)
compiler=$("$TARGET-gcc" --version | head -n1)
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF

# ---- install: swap the staged tree into place ----------------------------------
if [[ -e $PREFIX ]]; then
    OLD=$(mktemp -d "$(dirname "$PREFIX")/.$(basename "$PREFIX").old.XXXXXX")
    mv "$PREFIX" "$OLD/"
    mv "$STAGE" "$PREFIX"
    rm -rf "$OLD"
else
    mv "$STAGE" "$PREFIX"
fi
STAGE=
chmod 755 "$PREFIX"
log "installed APR $APR_VERSION (Debian $APR_DEB) and CUnit $CUNIT_VERSION (Debian $CUNIT_DEB) into $PREFIX"
log "use: PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig pkg-config --cflags --libs apr-1 cunit"
