/* test-signature.c -- the de-duplication signature (src/common/signature.c)
 * on real-looking outputs: ours (POSIX deadly signal, requested stack),
 * AddressSanitizer's, UndefinedBehaviorSanitizer's, glibc's assert through
 * our handler, libFuzzer's deadly signal with a sanitizer, and the Win32
 * exception filter's. The property that matters: two different bugs never
 * get the same signature, and one bug gets one signature whatever the
 * addresses (ASLR) and the engine's frames. */
#include <string.h>

#include <apr_strings.h>

#include "tests.h"
#include "signature.h"

static const char *sig(const char *kind, const char *desc, const char *text)
{
    return pfz__signature(kind, desc, text, text != NULL ? strlen(text) : 0, pfz_test_pool);
}

/* Our POSIX handler's report of abort() in a site (module-relative offsets;
 * the absolute addresses differ between runs). */
static const char *posix_abort(const char *base, const char *site, const char *off)
{
    return apr_psprintf(
        pfz_test_pool,
        "some output of the target\n"
        "==5119== ERROR: libFuzzer: deadly signal\n"
        "    #0 0x%s1eec  (/lib/x86_64-linux-gnu/libc.so.6+0x8aeec)\n"
        "    #1 0x%s2fb2 in gsignal (/lib/x86_64-linux-gnu/libc.so.6+0x3bfb2)\n"
        "    #2 0x%sd472 in abort (/lib/x86_64-linux-gnu/libc.so.6+0x26472)\n"
        "    #3 0x%s68c0 in %s (/work/b/tests/targets/sites+%s)\n"
        "    #4 0x%s68ca  (/work/b/tests/targets/sites+0x78ca)\n"
        "    #5 0x%seeb9 in pfz__worker_serve (/work/b/tests/targets/sites+0xfeb9)\n"
        "    #6 0x%s874e in pfz__main (/work/b/tests/targets/sites+0x974e)\n"
        "    #7 0x%s692c in main (/work/b/tests/targets/sites+0x792c)\n"
        "    #8 0x%se24a  (/lib/x86_64-linux-gnu/libc.so.6+0x2724a)\n"
        "    #9 0x%se305 in __libc_start_main (/lib/x86_64-linux-gnu/libc.so.6+0x27305)\n"
        "    #10 0x%s6961 in _start (/work/b/tests/targets/sites+0x7961)\n",
        base, base, base, base, site, off, base, base, base, base, base, base, base);
}

static void test_posix_deadly_signal(void)
{
    const char *one = sig("crash", "signal 6 (SIGABRT)", posix_abort("7f78140", "abort_site_one", "0x78a8"));
    const char *two = sig("crash", "signal 6 (SIGABRT)", posix_abort("7f78140", "abort_site_two", "0x78c0"));
    const char *one_again =
        sig("crash", "signal 6 (SIGABRT)", posix_abort("55d40f0", "abort_site_one", "0x78a8"));

    CU_ASSERT_STRING_NOT_EQUAL(one, two);
    CU_ASSERT_STRING_EQUAL(one, one_again); /* other addresses, same bug */
    CU_ASSERT_STRING_EQUAL(one, "crash|signal 6 (SIGABRT)|abort_site_one@sites+0x78a8|sites+0x78ca");
    /* Neither the engine nor libc's abort path. */
    CU_ASSERT_PTR_NULL(strstr(two, "pfz__"));
    CU_ASSERT_PTR_NULL(strstr(two, "abort|"));
    CU_ASSERT_PTR_NULL(strstr(two, "main"));
    CU_ASSERT_PTR_NULL(strstr(two, "libc"));
}

/* Two abort() calls in one function are two bugs: the crash's top frame
 * keeps its location. */
static void test_same_function_two_sites(void)
{
    const char *a = sig("crash", "signal 6 (SIGABRT)", posix_abort("7f7814", "check", "0x1200"));
    const char *b = sig("crash", "signal 6 (SIGABRT)", posix_abort("7f7814", "check", "0x1234"));

    CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

static const char *requested(const char *site, const char *pc)
{
    return apr_psprintf(
        pfz_test_pool,
        "==10070== INFO: stack of the fuzz target's thread (requested by the coordinator: timeout):\n"
        "    #0 0x5647d6368015 in __sanitizer_cov_trace_pc (/w/sites+0x8015)\n"
        "    #1 0x5647d6367a3d in %s (/w/sites+%s)\n"
        "    #2 0x5647d6367cba in LLVMFuzzerTestOneInput (/w/sites+0x7cba)\n"
        "    #3 0x5647d636feb9 in pfz__worker_serve (/w/sites+0xfeb9)\n"
        "    #4 0x5647d636974e in pfz__main (/w/sites+0x974e)\n"
        "    #5 0x5647d636792c in main (/w/sites+0x792c)\n",
        site, pc);
}

/* A hang is a sample: the same loop at another instruction is the same
 * timeout; another function is another one. */
static void test_timeout_stack(void)
{
    const char *a = sig("timeout", "signal 9 (SIGKILL)", requested("hang_site_one", "0x7a3d"));
    const char *a2 = sig("timeout", "signal 9 (SIGKILL)", requested("hang_site_one", "0x7a41"));
    const char *b = sig("timeout", "signal 9 (SIGKILL)", requested("hang_site_two", "0x7a6d"));

    CU_ASSERT_STRING_EQUAL(a, "timeout|signal 9 (SIGKILL)|hang_site_one|LLVMFuzzerTestOneInput");
    CU_ASSERT_STRING_EQUAL(a, a2);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    /* The kind is part of it: an OOM there is another finding. */
    CU_ASSERT_STRING_NOT_EQUAL(a, sig("oom", "signal 9 (SIGKILL)", requested("hang_site_one", "0x7a3d")));
}

/* A hang in a function without an exported symbol (static, or a binary
 * without -rdynamic): the sampled offset varies, its callers' do not. */
static void test_timeout_unnamed(void)
{
    static const char fmt[] =
        "==9== INFO: stack of the fuzz target's thread (requested by the coordinator: timeout):\n"
        "    #0 0x55d0%s  (/out/kinds+0x%s)\n"
        "    #1 0x55d0b2d0  (/out/kinds+0x%s)\n"
        "    #2 0x55d0c000 in pfz__worker_serve (/out/kinds+0xc000)\n";
    const char *a = sig("timeout", "signal 9 (SIGKILL)", apr_psprintf(pfz_test_pool, fmt, "a2b0", "a2b0", "b2d0"));
    const char *a2 = sig("timeout", "signal 9 (SIGKILL)", apr_psprintf(pfz_test_pool, fmt, "a2b6", "a2b6", "b2d0"));
    const char *b = sig("timeout", "signal 9 (SIGKILL)", apr_psprintf(pfz_test_pool, fmt, "a2b0", "a2b0", "b340"));

    CU_ASSERT_STRING_EQUAL(a, "timeout|signal 9 (SIGKILL)|kinds|kinds+0xb2d0");
    CU_ASSERT_STRING_EQUAL(a, a2);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

static const char asan_report[] =
    "=================================================================\n"
    "==12345==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000015 at pc "
    "0x55d4c8b1a2f3 bp 0x7ffd5d1e0a10 sp 0x7ffd5d1e0a08\n"
    "READ of size 1 at 0x602000000015 thread T0\n"
    "    #0 0x55d4c8b1a2f2 in parse_header /src/proj/parse.c:42:13\n"
    "    #1 0x55d4c8b1a4a1 in parse_file /src/proj/parse.c:80:9\n"
    "    #2 0x55d4c8b1a4a1 in LLVMFuzzerTestOneInput /src/proj/fuzz.c:10:5\n"
    "    #3 0x55d4c8b2b0c3 in pfz__worker_serve /src/portfuzz/src/common/worker_server.c:120:9\n"
    "    #4 0x7f1e2c629d8f  (/lib/x86_64-linux-gnu/libc.so.6+0x29d8f)\n"
    "\n"
    "0x602000000015 is located 0 bytes to the right of 5-byte region [0x602000000010,0x602000000015)\n"
    "allocated by thread T0 here:\n"
    "    #0 0x55d4c8ad7a3e in malloc (/src/build/fuzz+0xa3a3e)\n"
    "    #1 0x55d4c8b2a0f1 in pfz__worker_serve /src/portfuzz/src/common/worker_server.c:99:5\n"
    "\n"
    "SUMMARY: AddressSanitizer: heap-buffer-overflow /src/proj/parse.c:42:13 in parse_header\n";

/* An overflow inside an intercepted memcpy: the caller is the bug. */
static const char asan_memcpy[] =
    "==7==ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffc3c0 at pc 0x4c3a2b\n"
    "WRITE of size 9 at 0x7ffc3c0 thread T0\n"
    "    #0 0x4c3a2b in __asan_memcpy (/out/fuzz+0x4c3a2b)\n"
    "    #1 0x4f1d10 in copy_field /src/a.c:7:3\n"
    "    #2 0x4f1e22 in LLVMFuzzerTestOneInput /src/a.c:20:3\n"
    "    #3 0x4f9000 in pfz__worker_serve (/out/fuzz+0x4f9000)\n";

static void test_asan(void)
{
    const char *s = sig("crash", "exit code 1", asan_report);

    CU_ASSERT_STRING_EQUAL(s, "crash|exit code 1|parse_header@parse.c:42:13|parse_file|"
                              "LLVMFuzzerTestOneInput");
    s = sig("crash", "exit code 1", asan_memcpy);
    CU_ASSERT_STRING_EQUAL(s, "crash|exit code 1|copy_field@a.c:7:3|LLVMFuzzerTestOneInput");
}

/* abort() in an ASan build: ASan leaves SIGABRT to us, and our handler has
 * its runtime print the (symbolized) stack, our own frames on top. */
static void test_asan_deadly_signal(void)
{
    static const char out[] =
        "==28419== ERROR: libFuzzer: deadly signal\n"
        "    #0 0x7f42352c476a in __sanitizer_print_stack_trace ../../../../src/libsanitizer/asan/asan_stack.cpp:87\n"
        "    #1 0x5634e2325644 in pfz__on_deadly_signal /work/src/posix/crash.c:257\n"
        "    #2 0x7f4234f7a04f  (/lib/x86_64-linux-gnu/libc.so.6+0x3c04f)\n"
        "    #3 0x7f4234fc8eeb in __pthread_kill_implementation nptl/pthread_kill.c:43\n"
        "    #4 0x7f4234f79fb1 in __GI_raise ../sysdeps/posix/raise.c:26\n"
        "    #5 0x7f4234f64471 in __GI_abort stdlib/abort.c:79\n"
        "    #6 0x5634e231fa60 in abort_site_one tests/targets/sites.c:28\n"
        "    #7 0x5634e231fbe5 in LLVMFuzzerTestOneInput tests/targets/sites.c:79\n"
        "    #8 0x5634e2331b58 in run_value /work/src/common/worker_server.c:99\n"
        "    #9 0x5634e2331b58 in run_once /work/src/common/worker_server.c:323\n"
        "    #10 0x5634e2331b58 in pfz__worker_serve /work/src/common/worker_server.c:464\n"
        "    #11 0x5634e231f94b in main /work/src/common/main.c:56\n";

    CU_ASSERT_STRING_EQUAL(sig("crash", "signal 6 (SIGABRT)", out),
                           "crash|signal 6 (SIGABRT)|abort_site_one@sites.c:28|LLVMFuzzerTestOneInput");
}

/* LLVM 15+ appends the module's build id: it is not the location. */
static void test_build_id_suffix(void)
{
    static const char fmt[] =
        "==1== ERROR: libFuzzer: deadly signal\n"
        "    #0 0x55a3 in __sanitizer_print_stack_trace (/w/sites+0x34204) (BuildId: 5fecc9a6)\n"
        "    #1 0x7fe1  (/lib/x86_64-linux-gnu/libc.so.6+0x3c04f) (BuildId: 93ac61ec)\n"
        "    #2 0x55a4 in check (/w/sites+0x%s) (BuildId: 5fecc9a6)\n"
        "    #3 0x55a5 in LLVMFuzzerTestOneInput (/w/sites+0x7746) (BuildId: 5fecc9a6)\n";
    const char *a = sig("crash", "d", apr_psprintf(pfz_test_pool, fmt, "7557"));
    const char *b = sig("crash", "d", apr_psprintf(pfz_test_pool, fmt, "7590"));

    CU_ASSERT_STRING_EQUAL(a, "crash|d|check@sites+0x7557|LLVMFuzzerTestOneInput");
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

/* UBSan without a stack (its default): the SUMMARY line tells the bugs apart. */
static void test_ubsan(void)
{
    const char *a = sig("crash", "exit code 1",
                        "/src/a.c:5:12: runtime error: signed integer overflow: 2147483647 + 1 "
                        "cannot be represented in type 'int'\n"
                        "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior /src/a.c:5:12 in \n");
    const char *b = sig("crash", "exit code 1",
                        "/src/a.c:9:7: runtime error: shift exponent 40 is too large\n"
                        "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior /src/a.c:9:7 in \n");
    /* With UBSAN_OPTIONS=print_stacktrace=1. */
    const char *c = sig("crash", "exit code 1",
                        "/src/a.c:5:12: runtime error: signed integer overflow\n"
                        "    #0 0x4c1 in add_sizes /src/a.c:5:12\n"
                        "    #1 0x4c9 in LLVMFuzzerTestOneInput /src/a.c:30:3\n"
                        "    #2 0x4d0 in pfz__worker_serve /p/worker_server.c:1:1\n"
                        "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior /src/a.c:5:12 in \n");

    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "a.c:5:12"));
    CU_ASSERT_STRING_EQUAL(c, "crash|exit code 1|add_sizes@a.c:5:12|LLVMFuzzerTestOneInput");
}

/* glibc's assert() through our handler: __assert_fail and the unnamed libc
 * frames go; the target's function (unnamed: a binary without
 * -rdynamic) is known by its module offset. */
static void test_glibc_assert(void)
{
    static const char out[] =
        "fuzz: /src/a.c:10: check: Assertion `n < 4' failed.\n"
        "==31== ERROR: libFuzzer: deadly signal\n"
        "    #0 0x7f0a1eec  (/lib/x86_64-linux-gnu/libc.so.6+0x8aeec)\n"
        "    #1 0x7f0a2fb2 in raise (/lib/x86_64-linux-gnu/libc.so.6+0x3bfb2)\n"
        "    #2 0x7f0ad472 in abort (/lib/x86_64-linux-gnu/libc.so.6+0x26472)\n"
        "    #3 0x7f0ad395  (/lib/x86_64-linux-gnu/libc.so.6+0x26395)\n"
        "    #4 0x7f0b4eb2 in __assert_fail (/lib/x86_64-linux-gnu/libc.so.6+0x35eb2)\n"
        "    #5 0x55d0a1234  (/out/fuzz+0x1234)\n"
        "    #6 0x55d0a1290  (/out/fuzz+0x1290)\n"
        "    #7 0x55d0a5000  (/out/fuzz+0x5000)\n"
        "    #8 0x55d0a6000  (/out/fuzz+0x6000)\n";
    const char *s = sig("crash", "signal 6 (SIGABRT)", out);

    CU_ASSERT_STRING_EQUAL(s, "crash|signal 6 (SIGABRT)|fuzz+0x1234|fuzz+0x1290|fuzz+0x5000");
}

/* libFuzzer's own deadly-signal report with ASan linked (macOS flavour:
 * "func+0xOFF (module:arch+0xOFF)"). */
static void test_libfuzzer_style(void)
{
    static const char out[] =
        "==28715== ERROR: libFuzzer: deadly signal\n"
        "    #0 0x000105dd53c4 in __sanitizer_print_stack_trace+0x28 (librt.asan.dylib:arm64+0x5d3c4)\n"
        "    #1 0x000101183470 in fuzzer::PrintStackTrace()+0x30 (browser:arm64+0x1003b3470)\n"
        "    #2 0x000101177670 in fuzzer::Fuzzer::CrashCallback()+0x54 (browser:arm64+0x1003a7670)\n"
        "    #3 0x0001997f3740 in _sigtramp+0x34 (libsystem_platform.dylib:arm64+0x3740)\n"
        "    #4 0x0001997e9884 in pthread_kill+0x11c (libsystem_pthread.dylib:arm64+0x6884)\n"
        "    #5 0x0001996eec5c in abort+0x7c (libsystem_c.dylib:arm64+0x79c5c)\n"
        "    #6 0x000100e4b2c0 in render_tree+0x44 (browser:arm64+0x10007b2c0)\n"
        "    #7 0x000100e4b400 in LLVMFuzzerTestOneInput+0x20 (browser:arm64+0x10007b400)\n"
        "    #8 0x000101179000 in fuzzer::Fuzzer::ExecuteCallback(unsigned char const*, unsigned "
        "long)+0x1 (browser:arm64+0x1)\n";
    const char *s = sig("crash", "signal 6 (SIGABRT)", out);

    CU_ASSERT_STRING_EQUAL(s, "crash|signal 6 (SIGABRT)|render_tree@browser:arm64+0x10007b2c0|"
                              "LLVMFuzzerTestOneInput");
}

/* The Win32 exception filter's lines (src/win32/proc.c print_frame):
 * "#N 0xADDR in SYMBOL module+0xOFF", or "in module+0xOFF" without symbols. */
static void test_win32_filter(void)
{
    static const char with_symbols[] =
        "==portfuzz== abort() called (exit code 3)\r\n"
        "    #0 0x00000001400016b0 in pfz__on_sigabrt sites.exe+0x16b0\r\n"
        "    #1 0x00007ffb1c2a3e1d in raise msvcrt.dll+0x73e1d\r\n"
        "    #2 0x00007ffb1c2a5b2c in abort msvcrt.dll+0x75b2c\r\n"
        "    #3 0x0000000140001569 in abort_site_one sites.exe+0x1569\r\n"
        "    #4 0x00000001400015c8 in LLVMFuzzerTestOneInput sites.exe+0x15c8\r\n"
        "    #5 0x0000000140005ee0 in pfz__worker_serve sites.exe+0x5ee0\r\n"
        "    #6 0x00007ffb1e8c7344 in BaseThreadInitThunk KERNEL32.DLL+0x17344\r\n";
    static const char no_symbols[] =
        "==portfuzz== exception 0xc0000005 (access violation) at 0x0000000140001590 "
        "(sites.exe+0x1590): write to 0x10\n"
        "    #0 0x0000000140001590 in sites.exe+0x1590\n"
        "    #1 0x00000001400015d2 in sites.exe+0x15d2\n"
        "    #2 0x00007ffb1e8c7344 in KERNEL32.DLL+0x17344\n"
        "    #3 0x00007ffb1f0026b1 in ntdll.dll+0x526b1\n";
    const char *a = sig("crash", "exit code 3", with_symbols);
    const char *b = sig("crash", "exception 0xC0000005 (access violation)", no_symbols);

    CU_ASSERT_STRING_EQUAL(a, "crash|exit code 3|abort_site_one@sites.exe+0x1569|LLVMFuzzerTestOneInput");
    CU_ASSERT_STRING_EQUAL(b, "crash|exception 0xC0000005 (access violation)|sites.exe+0x1590|"
                              "sites.exe+0x15d2");
}

/* Without frames: kind and desc, as before. Hostile text is harmless. */
static void test_no_frames(void)
{
    static const char junk[] = "#\n#1\n#12 \n# 3 0x1 in x\n#4 0xzz\n\0\n#0 0x1 in nul_hidden (m+0x1)\n";

    CU_ASSERT_STRING_EQUAL(sig("crash", "signal 6 (SIGABRT)", NULL), "crash|signal 6 (SIGABRT)");
    CU_ASSERT_STRING_EQUAL(sig("crash", "signal 6 (SIGABRT)", "just text\nno frames\n"),
                           "crash|signal 6 (SIGABRT)");
    CU_ASSERT_STRING_EQUAL(pfz__signature("crash", "d", junk, 20, pfz_test_pool), "crash|d");
    /* Bytes after a NUL are still read (len, not strlen, bounds the text). */
    CU_ASSERT_STRING_EQUAL(pfz__signature("crash", "d", junk, sizeof junk - 1, pfz_test_pool),
                           "crash|d|nul_hidden@m+0x1");
    /* Only engine frames: no frames of the target. */
    CU_ASSERT_STRING_EQUAL(sig("crash", "d", "    #0 0x1 in pfz__worker_serve (/x/f+0x1)\n"
                                             "    #1 0x2 in main (/x/f+0x2)\n"),
                           "crash|d");
}

void pfz_test_register_signature(void)
{
    CU_pSuite s = pfz_test_suite("signature");
    PFZ_TEST_ADD(s, test_posix_deadly_signal);
    PFZ_TEST_ADD(s, test_same_function_two_sites);
    PFZ_TEST_ADD(s, test_timeout_stack);
    PFZ_TEST_ADD(s, test_timeout_unnamed);
    PFZ_TEST_ADD(s, test_asan);
    PFZ_TEST_ADD(s, test_asan_deadly_signal);
    PFZ_TEST_ADD(s, test_build_id_suffix);
    PFZ_TEST_ADD(s, test_ubsan);
    PFZ_TEST_ADD(s, test_glibc_assert);
    PFZ_TEST_ADD(s, test_libfuzzer_style);
    PFZ_TEST_ADD(s, test_win32_filter);
    PFZ_TEST_ADD(s, test_no_frames);
}
