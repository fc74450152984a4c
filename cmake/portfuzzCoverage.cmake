# portfuzzCoverage.cmake -- sets portfuzz_COVERAGE_FLAGS: the compile options
# that instrument code for portfuzz with the compiler in use (C's, else C++'s).
# portfuzz's own build puts them on its example and test targets (never on
# the engine); find_package(portfuzz) includes this file, so a fuzzer's
# project can write
#   target_compile_options(my_fuzzer PRIVATE ${portfuzz_COVERAGE_FLAGS})
# for the harness and the code under test. They are compile options only:
# the link line needs none of them.
if(CMAKE_C_COMPILER_ID)
  set(pfz_cov_compiler ${CMAKE_C_COMPILER_ID})
else()
  set(pfz_cov_compiler ${CMAKE_CXX_COMPILER_ID})
endif()
if(MSVC)
  # Counters + edges + comparison operands (MSVC and clang-cl).
  set(portfuzz_COVERAGE_FLAGS /fsanitize-coverage=inline-8bit-counters
      /fsanitize-coverage=edge /fsanitize-coverage=trace-cmp)
elseif(pfz_cov_compiler MATCHES "Clang|GNU")
  if(pfz_cov_compiler MATCHES "Clang")
    # What -fsanitize=fuzzer-no-link gives, minus indirect-calls.
    set(portfuzz_COVERAGE_FLAGS -fsanitize-coverage=inline-8bit-counters,pc-table,trace-cmp)
  else()
    set(portfuzz_COVERAGE_FLAGS -fsanitize-coverage=trace-pc,trace-cmp)
  endif()
  # Keep libc compares as calls (as -fsanitize=fuzzer-no-link does): an
  # inlined memcmp/strcmp hides its operands from the interceptors.
  list(APPEND portfuzz_COVERAGE_FLAGS -fno-builtin-memcmp -fno-builtin-bcmp
       -fno-builtin-strcmp -fno-builtin-strncmp -fno-builtin-strcasecmp
       -fno-builtin-strncasecmp -fno-builtin-strstr -fno-builtin-strcasestr
       -fno-builtin-memmem)
else()
  set(portfuzz_COVERAGE_FLAGS)
  message(WARNING "portfuzz: no coverage flags known for the ${pfz_cov_compiler} compiler: "
                  "targets run uninstrumented (blind fuzzing)")
endif()
unset(pfz_cov_compiler)
