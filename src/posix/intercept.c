/* intercept.c -- catches the operands of libc's compare and search functions
 * in builds with no sanitizer (POSIX, ELF symbol interposition).
 *
 * A target usually compares its input against keywords with memcmp, strcmp
 * and friends. libc is not instrumented, so coverage sees one branch and the
 * comparison hooks (coverage.c) never hear of the operands -- unless something
 * intercepts the call. ASan, TSan and MSan do (their interceptors call
 * __sanitizer_weak_hook_*); without a sanitizer, this file does: it defines
 * memcmp, bcmp, strcmp, strncmp, strcasecmp, strncasecmp, strstr, strcasestr
 * and memmem in the fuzzer executable, which takes precedence over libc's for
 * the harness, every statically linked library, and shared libraries the
 * executable was linked against (the linker exports the definitions they use).
 *
 * Each wrapper calls the real function, then the hook. Where is the real one?
 *  - A sanitizer is linked in: its interceptor is a weak alias (memcmp) of a
 *    strong __interceptor_memcmp. Our strong definition wins the name, so we
 *    call __interceptor_memcmp (a weak reference, non-NULL only then): the
 *    sanitizer keeps checking the call and calls the hook itself -- we must
 *    not record it a second time.
 *  - No sanitizer: dlsym(RTLD_NEXT) finds libc's, resolved on first use. While
 *    it is being resolved (dlsym could compare names through us), and if it
 *    cannot be resolved at all (a fully static executable), a plain byte loop
 *    stands in.
 * Only the executable gets this object: main.c references pfz__intercept_linked,
 * which pulls it from the static library; the test runner (its own main) and
 * programs embedding the engine keep libc's functions untouched.
 * Recording happens only while the target runs (pfz__cov_set_running).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <ctype.h>
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "platform.h"

const int pfz__intercept_linked = 1;

/* The hooks (coverage.c). */
void __sanitizer_weak_hook_memcmp(void *pc, const void *s1, const void *s2, size_t n, int result);
void __sanitizer_weak_hook_strncmp(void *pc, const char *s1, const char *s2, size_t n, int result);
void __sanitizer_weak_hook_strcmp(void *pc, const char *s1, const char *s2, int result);
void __sanitizer_weak_hook_strncasecmp(void *pc, const char *s1, const char *s2, size_t n,
                                       int result);
void __sanitizer_weak_hook_strcasecmp(void *pc, const char *s1, const char *s2, int result);
void __sanitizer_weak_hook_strstr(void *pc, const char *s1, const char *s2, char *result);
void __sanitizer_weak_hook_strcasestr(void *pc, const char *s1, const char *s2, char *result);
void __sanitizer_weak_hook_memmem(void *pc, const void *s1, size_t len1, const void *s2,
                                  size_t len2, void *result);

/* A sanitizer's interceptors, when one is linked in (weak: NULL otherwise). */
#pragma weak __interceptor_memcmp
#pragma weak __interceptor_bcmp
#pragma weak __interceptor_strcmp
#pragma weak __interceptor_strncmp
#pragma weak __interceptor_strcasecmp
#pragma weak __interceptor_strncasecmp
#pragma weak __interceptor_strstr
#pragma weak __interceptor_strcasestr
#pragma weak __interceptor_memmem
int __interceptor_memcmp(const void *a, const void *b, size_t n);
int __interceptor_bcmp(const void *a, const void *b, size_t n);
int __interceptor_strcmp(const char *a, const char *b);
int __interceptor_strncmp(const char *a, const char *b, size_t n);
int __interceptor_strcasecmp(const char *a, const char *b);
int __interceptor_strncasecmp(const char *a, const char *b, size_t n);
char *__interceptor_strstr(const char *h, const char *n);
char *__interceptor_strcasestr(const char *h, const char *n);
void *__interceptor_memmem(const void *h, size_t hl, const void *n, size_t nl);

#define PC() __builtin_return_address(0)

/* ------------------------------------------- stand-ins (no libc reached) */

static int byte_memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i] != q[i])
            return p[i] < q[i] ? -1 : 1;
    return 0;
}

static int byte_strncmp(const char *a, const char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            break;
    }
    return 0;
}

static int byte_strcmp(const char *a, const char *b)
{
    return byte_strncmp(a, b, (size_t)-1);
}

static int byte_strncasecmp(const char *a, const char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        int x = tolower((unsigned char)a[i]), y = tolower((unsigned char)b[i]);
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            break;
    }
    return 0;
}

static int byte_strcasecmp(const char *a, const char *b)
{
    return byte_strncasecmp(a, b, (size_t)-1);
}

static void *byte_memmem(const void *h, size_t hl, const void *n, size_t nl)
{
    const unsigned char *p = h;
    size_t i;
    if (nl == 0)
        return (void *)(uintptr_t)h;
    for (i = 0; i + nl <= hl; i++)
        if (byte_memcmp(p + i, n, nl) == 0)
            return (void *)(uintptr_t)(p + i);
    return NULL;
}

static char *byte_strstr(const char *h, const char *n)
{
    size_t hl = 0, nl = 0;
    while (h[hl])
        hl++;
    while (n[nl])
        nl++;
    return (char *)byte_memmem(h, hl, n, nl);
}

static char *byte_strcasestr(const char *h, const char *n)
{
    size_t nl = 0;
    while (n[nl])
        nl++;
    for (; *h; h++)
        if (byte_strncasecmp(h, n, nl) == 0)
            return (char *)(uintptr_t)h;
    return nl == 0 ? (char *)(uintptr_t)h : NULL;
}

/* ---------------------------------------------------- the real ones */

typedef int (*memcmp_fn)(const void *, const void *, size_t);
typedef int (*strcmp_fn)(const char *, const char *);
typedef int (*strncmp_fn)(const char *, const char *, size_t);
typedef char *(*strstr_fn)(const char *, const char *);
typedef void *(*memmem_fn)(const void *, size_t, const void *, size_t);

/* Resolved once per function. A race between threads resolving the same name
 * stores the same value twice; the relaxed atomics keep that well-defined. */
#define REAL(type, name, standin)                                                   \
    static type real_##name(void)                                                  \
    {                                                                              \
        static type fn;                                                            \
        static int resolving;                                                      \
        type f = __atomic_load_n(&fn, __ATOMIC_RELAXED);                           \
        if (f != NULL)                                                             \
            return f;                                                              \
        if (__atomic_exchange_n(&resolving, 1, __ATOMIC_ACQUIRE))                  \
            return standin; /* re-entered from dlsym, or another thread is at it */ \
        f = (type)dlsym(RTLD_NEXT, #name);                                         \
        if (f == NULL)                                                             \
            f = standin;                                                           \
        __atomic_store_n(&fn, f, __ATOMIC_RELAXED);                                \
        __atomic_store_n(&resolving, 0, __ATOMIC_RELEASE);                         \
        return f;                                                                  \
    }

REAL(memcmp_fn, memcmp, byte_memcmp)
REAL(memcmp_fn, bcmp, byte_memcmp)
REAL(strcmp_fn, strcmp, byte_strcmp)
REAL(strncmp_fn, strncmp, byte_strncmp)
REAL(strcmp_fn, strcasecmp, byte_strcasecmp)
REAL(strncmp_fn, strncasecmp, byte_strncasecmp)
REAL(strstr_fn, strstr, byte_strstr)
REAL(strstr_fn, strcasestr, byte_strcasestr)
REAL(memmem_fn, memmem, byte_memmem)

/* -------------------------------------------------------- wrappers */

int memcmp(const void *a, const void *b, size_t n)
{
    int r;
    if (__interceptor_memcmp != NULL)
        return __interceptor_memcmp(a, b, n);
    r = real_memcmp()(a, b, n);
    __sanitizer_weak_hook_memcmp(PC(), a, b, n, r);
    return r;
}

int bcmp(const void *a, const void *b, size_t n)
{
    int r;
    if (__interceptor_bcmp != NULL)
        return __interceptor_bcmp(a, b, n);
    r = real_bcmp()(a, b, n);
    __sanitizer_weak_hook_memcmp(PC(), a, b, n, r);
    return r;
}

int strcmp(const char *a, const char *b)
{
    int r;
    if (__interceptor_strcmp != NULL)
        return __interceptor_strcmp(a, b);
    r = real_strcmp()(a, b);
    __sanitizer_weak_hook_strcmp(PC(), a, b, r);
    return r;
}

int strncmp(const char *a, const char *b, size_t n)
{
    int r;
    if (__interceptor_strncmp != NULL)
        return __interceptor_strncmp(a, b, n);
    r = real_strncmp()(a, b, n);
    __sanitizer_weak_hook_strncmp(PC(), a, b, n, r);
    return r;
}

int strcasecmp(const char *a, const char *b)
{
    int r;
    if (__interceptor_strcasecmp != NULL)
        return __interceptor_strcasecmp(a, b);
    r = real_strcasecmp()(a, b);
    __sanitizer_weak_hook_strcasecmp(PC(), a, b, r);
    return r;
}

int strncasecmp(const char *a, const char *b, size_t n)
{
    int r;
    if (__interceptor_strncasecmp != NULL)
        return __interceptor_strncasecmp(a, b, n);
    r = real_strncasecmp()(a, b, n);
    __sanitizer_weak_hook_strncasecmp(PC(), a, b, n, r);
    return r;
}

char *strstr(const char *h, const char *n)
{
    char *r;
    if (__interceptor_strstr != NULL)
        return __interceptor_strstr(h, n);
    r = real_strstr()(h, n);
    __sanitizer_weak_hook_strstr(PC(), h, n, r);
    return r;
}

char *strcasestr(const char *h, const char *n)
{
    char *r;
    if (__interceptor_strcasestr != NULL)
        return __interceptor_strcasestr(h, n);
    r = real_strcasestr()(h, n);
    __sanitizer_weak_hook_strcasestr(PC(), h, n, r);
    return r;
}

void *memmem(const void *h, size_t hl, const void *n, size_t nl)
{
    void *r;
    if (__interceptor_memmem != NULL)
        return __interceptor_memmem(h, hl, n, nl);
    r = real_memmem()(h, hl, n, nl);
    __sanitizer_weak_hook_memmem(PC(), h, hl, n, nl, r);
    return r;
}
