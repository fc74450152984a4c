/* libc_compare.c -- planted bug behind two libc compares: the input must
 * start with a 12-byte key checked by memcmp (clang turns `memcmp(...) == 0`
 * into bcmp) and continue with a C string equal to a 12-character secret
 * checked by strcmp. Built WITHOUT a sanitizer: nothing but portfuzz's own
 * libc interception (src/posix/intercept.c) tells the engine the operands;
 * coverage alone would have to guess 24 bytes. */
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

static const char key[12] = {'p', 'o', 'r', 't', 'f', 'u', 'z', 'z', '-', 'k', 'e', 'y'};
static const char secret[] = "libc-secret!";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *rest;
    int hit;

    if (size < sizeof key || memcmp(data, key, sizeof key) != 0)
        return 0;
    /* The rest is not NUL-terminated: compare a terminated copy. */
    rest = (char *)malloc(size - sizeof key + 1);
    if (rest == NULL)
        return 0;
    memcpy(rest, data + sizeof key, size - sizeof key);
    rest[size - sizeof key] = '\0';
    hit = strcmp(rest, secret) == 0;
    free(rest);
    if (hit)
        abort(); /* the planted bug */
    return 0;
}
