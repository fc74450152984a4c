/* signature.c -- the de-duplication signature of a finding (signature.h).
 *
 * The worker's output is hostile data (the target writes to the same stream),
 * so the parser only reads within [text, text + len), never trusts a NUL and
 * keeps every piece it copies short.
 */
#include <string.h>

#include <apr_strings.h>

#include "signature.h"

#define MAX_FRAMES 3
#define MAX_PIECE 200 /* longest function name or location kept */

typedef struct span {
    const char *s;
    size_t n;
} span_t;

static int span_starts(span_t v, const char *prefix)
{
    size_t k = strlen(prefix);

    return v.n >= k && memcmp(v.s, prefix, k) == 0;
}

static int span_starts_nocase(span_t v, const char *prefix)
{
    size_t k = strlen(prefix), i;

    if (v.n < k)
        return 0;
    for (i = 0; i < k; i++) {
        char a = v.s[i], b = prefix[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

static int span_is(span_t v, const char *word)
{
    return v.n == strlen(word) && memcmp(v.s, word, v.n) == 0;
}

static int span_has(span_t v, const char *needle)
{
    size_t k = strlen(needle), i;

    for (i = 0; k <= v.n && i + k <= v.n; i++)
        if (memcmp(v.s + i, needle, k) == 0)
            return 1;
    return 0;
}

static span_t trim(span_t v)
{
    while (v.n > 0 && (v.s[0] == ' ' || v.s[0] == '\t')) {
        v.s++;
        v.n--;
    }
    while (v.n > 0 && (v.s[v.n - 1] == ' ' || v.s[v.n - 1] == '\t' || v.s[v.n - 1] == '\r'))
        v.n--;
    return v;
}

/* The last path component: "/lib/x86_64-linux-gnu/libc.so.6+0x29d90" and
 * "C:\\w\\kinds.exe+0x1a2b" become "libc.so.6+0x29d90" and "kinds.exe+0x1a2b". */
static span_t base_name(span_t v)
{
    size_t i;

    for (i = v.n; i > 0; i--)
        if (v.s[i - 1] == '/' || v.s[i - 1] == '\\')
            return (span_t){v.s + i, v.n - i};
    return v;
}

/* Frames of the engine, the sanitizer runtimes, the C library's abort path and
 * signal delivery: never the target's bug, and present in every report. */
static const char *const skip_prefixes[] = {
    "__sanitizer_", "__asan_",
    "__asan::",     "__interceptor_", "___interceptor_", "__ubsan_",   "__ubsan::",
    "__lsan_",      "__lsan::",      "__msan_",     "__tsan_",      "__hwasan_",
    "__sanitizer::", "__GI_",        "__libc_",     "__pthread_",   "__restore_rt",
    "_sigtramp",    "__cxa_",        "__gnu_cxx::", "_Unwind_",     "__kernel_",
    "__assert_",    "__fortify_",    "__chk_fail",  "__stack_chk_", "__abort",
    "__GI___",      "std::terminate", "std::__terminate", "__cxxabiv1::", "KiUserExceptionDispatcher",
};
static const char *const skip_names[] = {
    "raise", "abort", "gsignal", "pthread_kill", "__assert_fail", "__assert_rtn", "_assert",
    "_wassert", "backtrace", "__backtrace", "kill", "killpg", "tgkill", "__kill",
    "RtlCaptureContext", "RaiseException", "RtlRaiseException", "__GI_raise", "_abort",
    /* An allocation function at the top of a stack (a leak, an overflow inside
     * memcpy): what matters is who called it. */
    "malloc", "calloc", "realloc", "free", "memalign", "posix_memalign", "aligned_alloc",
    "valloc", "operator new", "operator new[]", "operator delete", "operator delete[]",
    "memcpy", "memmove", "memset", "memcmp", "strlen", "strcpy", "strcmp", "strncmp",
};
/* Modules (basename prefixes, lower case) whose unsymbolized frames are the
 * system's or the engine's. */
static const char *const skip_modules[] = {
    "libc.so",     "libc-",      "libc.musl",  "ld-linux",   "ld-musl",  "ld.so",
    "linux-vdso",  "linux-gate", "libpthread", "libgcc_s",   "libasan",  "libubsan",
    "liblsan",     "libtsan",    "libmsan",    "libhwasan",  "libclang_rt", "libportfuzz",
    "libstdc++",   "libc++",     "libsystem_", "libdyld",    "ntdll.dll", "kernelbase.dll",
    "kernel32.dll", "msvcrt.dll", "ucrtbase.dll", "vcruntime", "<unknown",
};

/* The engine's own frames, and what calls it: below the target's frames. */
static int engine_function(span_t name)
{
    return span_starts(name, "pfz_") || span_starts(name, "fuzzer::") || span_is(name, "main") ||
           span_is(name, "_start") || span_starts(name, "__libc_start");
}

static int skip_function(span_t name)
{
    size_t i;

    for (i = 0; i < PFZ_ARRAY_LEN(skip_prefixes); i++)
        if (span_starts(name, skip_prefixes[i]))
            return 1;
    for (i = 0; i < PFZ_ARRAY_LEN(skip_names); i++)
        if (span_is(name, skip_names[i]))
            return 1;
    return 0;
}

static int skip_module(span_t module)
{
    size_t i;

    for (i = 0; i < PFZ_ARRAY_LEN(skip_modules); i++)
        if (span_starts_nocase(module, skip_modules[i]))
            return 1;
    return 0;
}

/* A location inside a sanitizer runtime (an interceptor built from
 * compiler-rt or gcc's libsanitizer sources). */
static int runtime_location(span_t loc)
{
    return span_has(loc, "compiler-rt/lib/") || span_has(loc, "libsanitizer/") ||
           span_has(loc, "/sanitizer_common/");
}

typedef struct frame {
    int index;    /* N of "#N" */
    span_t name;  /* function, or module+0xOFF when there is no symbol */
    span_t loc;   /* file:line:col or module+0xOFF (basename), possibly empty */
    int symbol;   /* name is a function name */
    span_t module; /* for frames without a symbol: the module's basename */
} frame_t;

/* Parses one line as a frame; returns 0 when it is not one. Accepted forms
 * (after leading blanks):
 *   #N 0xADDR in FUNC /path/file.c:12:3        sanitizers, with debug info
 *   #N 0xADDR in FUNC (/path/module+0xOFF)     sanitizers, ours (POSIX)
 *   #N 0xADDR in FUNC+0xOFF (module:arch+0x..)  sanitizers on macOS
 *   #N 0xADDR  (/path/module+0xOFF)            no symbol
 *   #N 0xADDR in FUNC module+0xOFF             the Win32 exception filter
 *   #N 0xADDR in module+0xOFF                  the Win32 filter, no symbol */
static int parse_frame(span_t line, frame_t *f)
{
    span_t v = trim(line), rest, last;
    size_t i = 1, k;
    int index = 0;

    memset(f, 0, sizeof *f);
    if (v.n < 3 || v.s[0] != '#' || v.s[1] < '0' || v.s[1] > '9')
        return 0;
    while (i < v.n && v.s[i] >= '0' && v.s[i] <= '9') {
        if (index < 100000)
            index = index * 10 + (v.s[i] - '0');
        i++;
    }
    if (i >= v.n || v.s[i] != ' ')
        return 0;
    f->index = index;
    rest = trim((span_t){v.s + i, v.n - i});
    if (span_starts(rest, "0x")) { /* the address */
        for (k = 2; k < rest.n && rest.s[k] != ' '; k++)
            ;
        rest = trim((span_t){rest.s + k, rest.n - k});
    }
    /* Newer sanitizers append " (BuildId: <hex>)" to a module's frames. */
    for (k = 0; k + 10 <= rest.n; k++)
        if (memcmp(rest.s + k, "(BuildId: ", 10) == 0) {
            rest = trim((span_t){rest.s, k});
            break;
        }
    /* The last blank-separated word is the location, when there is one. */
    for (k = rest.n; k > 0 && rest.s[k - 1] != ' '; k--)
        ;
    last = (span_t){rest.s + k, rest.n - k};
    if (last.n >= 2 && last.s[0] == '(' && last.s[last.n - 1] == ')')
        last = (span_t){last.s + 1, last.n - 2};

    if (span_starts(rest, "in ")) {
        span_t name = trim((span_t){rest.s + 3, rest.n - 3});
        size_t end;

        if (name.n == 0)
            return 0;
        if (span_starts(name, "operator")) {
            /* "operator new(unsigned long)", "operator delete[](void*)" */
            for (end = 0; end < name.n && name.s[end] != '('; end++)
                ;
        } else {
            for (end = 0; end < name.n && name.s[end] != ' ' && name.s[end] != '('; end++)
                ;
        }
        f->loc = (k == 0 || last.s == name.s) ? (span_t){NULL, 0} : base_name(last);
        name.n = end;
        /* "kinds.exe+0x1a2b" with nothing after it: the Win32 filter's frame
         * without a symbol. "func+0x28" (macOS): drop the offset. */
        for (end = 0; end + 2 < name.n && !(name.s[end] == '+' && name.s[end + 1] == '0' &&
                                             name.s[end + 2] == 'x');
             end++)
            ;
        if (end + 2 < name.n) {
            if (f->loc.n == 0 && memchr(name.s, '.', end) != NULL) {
                f->name = base_name(name);
                f->module = base_name((span_t){name.s, end});
                f->loc = f->name;
                return 1;
            }
            name.n = end;
        }
        f->name = name;
        f->symbol = 1;
        return 1;
    }
    if (rest.n >= 2 && rest.s[0] == '(') { /* no symbol: "(module+0xOFF)" */
        span_t inner = {rest.s + 1, rest.n - 1};
        const char *close = memchr(inner.s, ')', inner.n);
        size_t plus;

        if (close != NULL)
            inner.n = (size_t)(close - inner.s);
        inner = base_name(inner);
        for (plus = inner.n; plus > 0 && inner.s[plus - 1] != '+'; plus--)
            ;
        f->name = inner;
        f->loc = inner;
        f->module = plus > 0 ? (span_t){inner.s, plus - 1} : inner;
        return 1;
    }
    return 0;
}

static int skip_frame(const frame_t *f)
{
    if (f->symbol)
        return skip_function(f->name) || runtime_location(f->loc) ||
               (f->loc.n > 0 && skip_module(f->loc));
    return skip_module(f->module);
}

static char *piece(span_t v, apr_pool_t *p)
{
    return apr_pstrmemdup(p, v.s, v.n > MAX_PIECE ? MAX_PIECE : v.n);
}

const char *pfz__signature(const char *kind, const char *desc, const char *text, size_t len,
                           apr_pool_t *p)
{
    const char *sig = apr_pstrcat(p, kind, "|", desc, NULL), *frames = "";
    const char *end = text != NULL ? text + len : NULL, *cur = text, *nl;
    /* A crash's top frame is where it happened (the faulting instruction,
     * the call of abort); a timeout's or OOM's is wherever the sample hit. */
    int keep_loc = strcmp(kind, "timeout") != 0 && strcmp(kind, "oom") != 0;
    int taken = 0;
    span_t summary = {NULL, 0};
    frame_t f;

    while (cur != NULL && cur < end && taken < MAX_FRAMES) {
        span_t line;

        nl = memchr(cur, '\n', (size_t)(end - cur));
        line.s = cur;
        line.n = (size_t)((nl != NULL ? nl : end) - cur);
        cur = nl != NULL ? nl + 1 : end;
        if (!parse_frame(line, &f)) {
            span_t t = trim(line);
            if (summary.s == NULL && span_starts(t, "SUMMARY: "))
                summary = t;
            continue;
        }
        /* Only the first stack that has frames of the target: after it come
         * other threads' stacks or the allocation/free stacks of ASan. */
        if (f.index == 0 && taken > 0)
            break;
        /* Below the target come the engine's frames, whatever the target's
         * own are called (a function's .cold part has no exported name). */
        if (f.symbol && engine_function(f.name)) {
            if (taken > 0)
                break;
            continue;
        }
        if (skip_frame(&f))
            continue;
        /* A timeout's or OOM's frame #0 without a symbol is the sampled
         * instruction itself (our printer starts there): its offset changes
         * from one sample of the same loop to the next, so only the module is
         * kept (the callers' return addresses still tell two sites apart).
         * Any other frame keeps its offset: better a duplicate saved twice
         * than two bugs merged. */
        if (!keep_loc && f.index == 0 && !f.symbol && f.module.n > 0)
            f.name = f.module;
        frames = apr_pstrcat(p, frames, "|", piece(f.name, p),
                             taken == 0 && keep_loc && f.loc.n > 0 && f.symbol ? "@" : "",
                             taken == 0 && keep_loc && f.loc.n > 0 && f.symbol ? piece(f.loc, p)
                                                                               : "",
                             NULL);
        taken++;
        /* Below it is the engine, whatever its frames are called. */
        if (f.symbol && span_is(f.name, "LLVMFuzzerTestOneInput"))
            break;
    }
    if (taken > 0)
        return apr_pstrcat(p, sig, frames, NULL);
    if (summary.s != NULL)
        return apr_pstrcat(p, sig, "|", piece(summary, p), NULL);
    return sig;
}
