/* record.h -- lets end-to-end tests check that an artifact is byte-identical to
 * the input that crashed: when PFZ_TEST_RECORD names a file, the target writes
 * the input there right before it crashes. Written to a temporary name and
 * renamed, so a worker killed while writing (another one crashed first and
 * the run stops) never leaves a truncated record. */
#ifndef PFZ_TEST_RECORD_H
#define PFZ_TEST_RECORD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void pfz_test_record(const unsigned char *data, size_t size)
{
    const char *path = getenv("PFZ_TEST_RECORD");
    char tmp[4096];
    int local;
    FILE *f;

    if (path == NULL || strlen(path) > sizeof tmp - 64)
        return;
    /* Unique per process: a stack address (ASLR) and the clock. */
    snprintf(tmp, sizeof tmp, "%s.%lx.%lx", path, (unsigned long)(size_t)&local,
             (unsigned long)clock());
    if ((f = fopen(tmp, "wb")) == NULL)
        return;
    if (fwrite(data, 1, size, f) != size) {
        fclose(f);
        remove(tmp);
        return;
    }
    fclose(f);
    remove(path); /* rename() does not replace an existing file on Windows */
    rename(tmp, path);
}

#endif
