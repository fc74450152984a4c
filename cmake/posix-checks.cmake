# posix-checks.cmake -- the POSIX layer's configure checks, for CMake: the
# same AC_SEARCH_LIBS / AC_CHECK_FUNCS / AC_CHECK_HEADERS as configure.ac
# (keep the two in step), written into ${PROJECT_BINARY_DIR}/config.h from
# cmake/config.h.cmake. Sets PFZ_CHECK_LIBS: the libraries the searches
# needed (librt, libdl, libexecinfo on systems that have them apart).
include(CheckFunctionExists)
include(CheckIncludeFile)
include(CheckLibraryExists)

set(PFZ_CHECK_LIBS)
set(pfz_saved_required_libraries ${CMAKE_REQUIRED_LIBRARIES})
# AC_SEARCH_LIBS(FUNC, LIB...): FUNC in the C library, else in the first LIB
# that has it, which is then linked (and used by the checks after it).
function(pfz_search_libs func)
  check_function_exists(${func} PFZ_LIBC_HAS_${func})
  if(PFZ_LIBC_HAS_${func})
    return()
  endif()
  foreach(lib ${ARGN})
    check_library_exists(${lib} ${func} "" PFZ_LIB${lib}_HAS_${func})
    if(PFZ_LIB${lib}_HAS_${func})
      set(PFZ_CHECK_LIBS ${PFZ_CHECK_LIBS} ${lib} PARENT_SCOPE)
      set(CMAKE_REQUIRED_LIBRARIES ${CMAKE_REQUIRED_LIBRARIES} ${lib} PARENT_SCOPE)
      return()
    endif()
  endforeach()
endfunction()

pfz_search_libs(clock_gettime rt)
foreach(f mkostemp posix_spawn pipe2 memfd_create prctl)
  string(TOUPPER ${f} F)
  check_function_exists(${f} HAVE_${F})
endforeach()
check_include_file(sys/prctl.h HAVE_SYS_PRCTL_H)
# Workers' stack traces (src/posix/crash.c); see configure.ac.
check_include_file(execinfo.h HAVE_EXECINFO_H)
check_include_file(dlfcn.h HAVE_DLFCN_H)
check_include_file(link.h HAVE_LINK_H)
check_include_file(ucontext.h HAVE_UCONTEXT_H)
pfz_search_libs(backtrace execinfo)
pfz_search_libs(dladdr dl)
foreach(f backtrace dladdr dladdr1 sigqueue sigaltstack)
  string(TOUPPER ${f} F)
  check_function_exists(${f} HAVE_${F})
endforeach()
set(CMAKE_REQUIRED_LIBRARIES ${pfz_saved_required_libraries})

configure_file(${CMAKE_CURRENT_LIST_DIR}/config.h.cmake ${PROJECT_BINARY_DIR}/config.h)
