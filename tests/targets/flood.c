/* flood.c -- a hostile target for the capture of worker output: on an input
 * that starts with 'F' (abort) or 'S' (a write near NULL) it first writes
 * PFZ_FLOOD_MB megabytes (default 200) to stdout, then the line
 * "PFZ-FLOOD-END: input of <size> bytes" to stderr, then crashes. Built with
 * AddressSanitizer (flood_asan.c) the crash is a heap-buffer-overflow report
 * instead, which a user must see however much came before it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

#if defined(__SANITIZE_ADDRESS__)
#define FLOOD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FLOOD_ASAN 1
#endif
#endif

static volatile uint8_t sink;

static void flood(void)
{
    static char chunk[64 << 10];
    const char *mb = getenv("PFZ_FLOOD_MB");
    long n = mb != NULL ? strtol(mb, NULL, 10) : 200, i;
    size_t k;

    for (k = 0; k + 32 <= sizeof chunk; k += 32)
        memcpy(chunk + k, "flood flood flood flood flood!!\n", 32);
    for (i = 0; i < n * 16; i++) /* 16 chunks of 64 KiB per MiB */
        if (fwrite(chunk, 1, sizeof chunk, stdout) != sizeof chunk)
            break;
    fflush(stdout);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || (data[0] != 'F' && data[0] != 'S'))
        return 0;
    flood();
    fprintf(stderr, "PFZ-FLOOD-END: input of %u bytes\n", (unsigned)size);
    fflush(stderr);
#ifdef FLOOD_ASAN
    {
        uint8_t *buf = (uint8_t *)malloc(size);
        if (buf != NULL) {
            memcpy(buf, data, size);
            sink = buf[size]; /* one past the end */
            free(buf);
        }
    }
#endif
    if (data[0] == 'S')
        *(volatile int *)(uintptr_t)size = 0; /* near NULL: SIGSEGV / access violation */
    abort();
    return 0;
}
