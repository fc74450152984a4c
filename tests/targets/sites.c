/* sites.c -- two different bugs of each kind that leaves no sanitizer
 * report, for the de-duplication tests: with -keep_going=1 each must be saved
 * once, and neither may pass for a duplicate of the other.
 *
 * PFZ_TEST_SITES chooses the kind (so that a mutation cannot turn one test's
 * crash into another test's hang): "abort" -- abort() in abort_site_one or
 * abort_site_two; "hang" -- an endless loop in hang_site_one or
 * hang_site_two; "segv" -- a write near NULL in segv_site. The input's first
 * byte picks the site: '1' the first, '2' the second; anything else is
 * harmless. Built with -g -fno-omit-frame-pointer and exported symbols
 * (-export-dynamic), so the worker's own stack printer can name the sites;
 * the sites are noinline, non-static, and differ in their bodies so that no
 * compiler folds them into one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <portfuzz.h>

#define NOINLINE __attribute__((noinline))

volatile unsigned long pfz_sites_spin_one, pfz_sites_spin_two;
volatile int pfz_sites_last;

NOINLINE void abort_site_one(void)
{
    pfz_sites_last = 1;
    abort();
}

NOINLINE void abort_site_two(void)
{
    pfz_sites_last = 22;
    abort();
}

NOINLINE void hang_site_one(void)
{
    for (;;)
        pfz_sites_spin_one++;
}

NOINLINE void hang_site_two(void)
{
    for (;;)
        pfz_sites_spin_two += 3;
}

NOINLINE void segv_site(void)
{
    pfz_sites_last = 3;
    *(volatile int *)(uintptr_t)16 = 1;
}

static int mode(void)
{
    static int m = -1;
    const char *v;

    if (m < 0) {
        v = getenv("PFZ_TEST_SITES");
        m = v == NULL ? 0 : strcmp(v, "abort") == 0 ? 1 : strcmp(v, "hang") == 0 ? 2
                                                      : strcmp(v, "segv") == 0   ? 3
                                                                                 : 0;
    }
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int site;

    if (size < 1 || (data[0] != '1' && data[0] != '2'))
        return 0;
    site = data[0] - '0';
    switch (mode()) {
    case 1:
        if (site == 1)
            abort_site_one();
        else
            abort_site_two();
        break;
    case 2:
        if (site == 1)
            hang_site_one();
        else
            hang_site_two();
        break;
    case 3:
        segv_site();
        break;
    }
    return 0;
}
