# Findportfuzz_apr.cmake -- finds APR 1 (apr-1) and defines the imported
# target portfuzz::apr. portfuzz's own CMakeLists.txt uses it, and it is
# installed next to portfuzzConfig.cmake, whose find_dependency(portfuzz_apr)
# gives a fuzzer linked with portfuzz::portfuzz APR too.
#
# Looked for, in order:
#   1. pkg-config's apr-1 (Linux, the BSDs, the mingw cross build);
#   2. apr.h and the library in the directories apr-1-config names, then on
#      CMAKE_PREFIX_PATH (vcpkg's toolchain file sets it on Windows).
# Sets portfuzz_apr_FOUND (and pkg-config's PORTFUZZ_APR_* variables).
if(TARGET portfuzz::apr)
  set(portfuzz_apr_FOUND TRUE)
  return()
endif()

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PORTFUZZ_APR QUIET IMPORTED_TARGET apr-1>=1.6)
endif()
if(TARGET PkgConfig::PORTFUZZ_APR)
  set(PORTFUZZ_APR_FOUND_AS "pkg-config apr-1 ${PORTFUZZ_APR_VERSION}")
  add_library(portfuzz::apr INTERFACE IMPORTED)
  set_target_properties(portfuzz::apr PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::PORTFUZZ_APR)
else()
  set(pfz_apr_hints)
  find_program(PORTFUZZ_APR_CONFIG apr-1-config)
  if(PORTFUZZ_APR_CONFIG)
    foreach(what includedir prefix)
      execute_process(COMMAND ${PORTFUZZ_APR_CONFIG} --${what} OUTPUT_VARIABLE dir
                      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      list(APPEND pfz_apr_hints ${dir} ${dir}/lib)
    endforeach()
  endif()
  find_path(PORTFUZZ_APR_INCLUDE_DIR apr.h HINTS ${pfz_apr_hints} PATH_SUFFIXES apr-1 apr-1.0 apr)
  # vcpkg: libapr-1 is the DLL's import library, apr-1 the static library.
  find_library(PORTFUZZ_APR_LIBRARY NAMES libapr-1 apr-1 HINTS ${pfz_apr_hints})
  if(PORTFUZZ_APR_INCLUDE_DIR AND PORTFUZZ_APR_LIBRARY)
    set(PORTFUZZ_APR_FOUND_AS "${PORTFUZZ_APR_LIBRARY}")
    add_library(portfuzz::apr UNKNOWN IMPORTED)
    set_target_properties(portfuzz::apr PROPERTIES IMPORTED_LOCATION "${PORTFUZZ_APR_LIBRARY}"
                          INTERFACE_INCLUDE_DIRECTORIES "${PORTFUZZ_APR_INCLUDE_DIR}")
    if(WIN32)
      get_filename_component(pfz_apr_name "${PORTFUZZ_APR_LIBRARY}" NAME_WE)
      if(NOT pfz_apr_name MATCHES "^libapr")
        set_property(TARGET portfuzz::apr PROPERTY INTERFACE_COMPILE_DEFINITIONS APR_DECLARE_STATIC)
      endif()
      set_property(TARGET portfuzz::apr PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 mswsock rpcrt4)
    endif()
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(portfuzz_apr REQUIRED_VARS PORTFUZZ_APR_FOUND_AS
  REASON_FAILURE_MESSAGE "APR 1 (apr-1 >= 1.6) not found: install it (Debian: apt-get install \
libapr1-dev, Windows: vcpkg install apr:x64-windows) or add its prefix to CMAKE_PREFIX_PATH")
