/* rawline.c -- see rawline.h. */
#include "rawline.h"

#include "platform.h"

void pfz__rl_init(pfz__rawline_t *b, char *buf, size_t cap)
{
    b->s = buf;
    b->cap = cap;
    b->n = 0;
}

void pfz__rl_char(pfz__rawline_t *b, char c)
{
    if (b->n + 1 < b->cap)
        b->s[b->n++] = c;
}

void pfz__rl_str(pfz__rawline_t *b, const char *s)
{
    while (*s != '\0' && b->n + 1 < b->cap)
        b->s[b->n++] = *s++;
}

/* Appends the n digits in tmp, most significant last. */
static void put_digits(pfz__rawline_t *b, const char *tmp, int n)
{
    while (n > 0 && b->n + 1 < b->cap)
        b->s[b->n++] = tmp[--n];
}

void pfz__rl_hex(pfz__rawline_t *b, apr_uint64_t v, int min_digits)
{
    char tmp[16];
    int n = 0;

    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while ((v != 0 || n < min_digits) && n < (int)sizeof tmp);
    pfz__rl_str(b, "0x");
    put_digits(b, tmp, n);
}

void pfz__rl_dec(pfz__rawline_t *b, apr_uint64_t v)
{
    char tmp[20];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put_digits(b, tmp, n);
}

void pfz__rl_pid_banner(pfz__rawline_t *b)
{
    pfz__rl_str(b, "==");
    pfz__rl_dec(b, (apr_uint64_t)pfz__self_pid());
    pfz__rl_str(b, "== ");
}

void pfz__rl_flush(pfz__rawline_t *b)
{
    b->s[b->n++] = '\n'; /* the appends always leave room for it */
    pfz__raw_stderr(b->s, b->n);
    b->n = 0;
}

void pfz__complain(const char *what)
{
    char buf[512];
    pfz__rawline_t b;

    pfz__rl_init(&b, buf, sizeof buf);
    pfz__rl_str(&b, "portfuzz: ");
    pfz__rl_str(&b, what);
    pfz__rl_flush(&b);
}
