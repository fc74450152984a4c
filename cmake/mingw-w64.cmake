# mingw-w64.cmake -- cross-compile portfuzz for 64-bit Windows with mingw-w64
# and run its executables (ctest) through Wine.
#
#   cmake -S . -B build-cmake -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
#   cmake --build build-cmake -j2 && (cd build-cmake && ctest)
#
# APR and CUnit come from scripts/build-win-deps.sh, found through pkg-config
# in ${PORTFUZZ_WIN_DEPS:-$HOME/.cache/portfuzz/mingw64}/lib/pkgconfig.
# Wine should be set up first (scripts/wine-env.sh): a private, headless prefix.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(PFZ_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${PFZ_MINGW_TRIPLET}-gcc)
set(CMAKE_RC_COMPILER ${PFZ_MINGW_TRIPLET}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${PFZ_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  find_program(PFZ_WINE wine)
  if(PFZ_WINE)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${PFZ_WINE})
  endif()
endif()

if(DEFINED ENV{PORTFUZZ_WIN_DEPS})
  set(PFZ_WIN_DEPS $ENV{PORTFUZZ_WIN_DEPS})
else()
  set(PFZ_WIN_DEPS $ENV{HOME}/.cache/portfuzz/mingw64)
endif()
# The deps prefix is a second root: pkg-config's IMPORTED_TARGET looks its
# libraries up with find_library, which may only search the roots.
list(APPEND CMAKE_FIND_ROOT_PATH ${PFZ_WIN_DEPS})
# Only the cross-built .pc files, never the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} ${PFZ_WIN_DEPS}/lib/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
