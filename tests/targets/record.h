/* record.h -- lets end-to-end tests check that an artifact is byte-identical to
 * the input that crashed: when PFZ_TEST_RECORD names a file, the target writes
 * the input there right before it crashes. */
#ifndef PFZ_TEST_RECORD_H
#define PFZ_TEST_RECORD_H

#include <stdio.h>
#include <stdlib.h>

static void pfz_test_record(const unsigned char *data, size_t size)
{
    const char *path = getenv("PFZ_TEST_RECORD");
    FILE *f;

    if (path == NULL || (f = fopen(path, "wb")) == NULL)
        return;
    fwrite(data, 1, size, f);
    fclose(f);
}

#endif
