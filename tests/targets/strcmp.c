/* strcmp.c -- planted bug: a crash when the input, as a C string, equals a
 * 16-character secret. libc's strcmp is not instrumented, so coverage sees one
 * branch; the secret is found through the comparison hook
 * (__sanitizer_weak_hook_strcmp), here fed by ASan's interceptor: this target
 * is built with -fsanitize=address (libc_compare.c covers builds without a
 * sanitizer, where portfuzz intercepts libc itself). */
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

static const char secret[] = "portfuzz-secret!";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The input is not NUL-terminated: compare a terminated copy. */
    char *s = (char *)malloc(size + 1);
    int hit;
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    hit = strcmp(s, secret) == 0;
    free(s);
    if (hit)
        abort(); /* the planted bug */
    return 0;
}
