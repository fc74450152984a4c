/* reproduce.c -- positional files: each is run once, in this process, the way
 * a user reproduces an artifact. A crash ends the process as the target's
 * crash would (signal / sanitizer exit), so the exit status says it crashed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "engine.h"
#include "platform.h"
#include "reproduce.h"

int pfz__reproduce(const pfz__options_t *o, apr_pool_t *pool)
{
    int i;
    char msg[128];

    pfz__log("INFO: running %d input file(s) once each", o->nfiles);
    for (i = 0; i < o->nfiles; i++) {
        uint8_t *data, *copy;
        size_t len;
        uint64_t t0;
        apr_status_t st = pfz__read_file(o->files[i], &data, &len,
                                         o->max_len > 0 ? (size_t)o->max_len : (size_t)1 << 30, pool);
        if (st != APR_SUCCESS) {
            pfz__log("ERROR: cannot read input file '%s': %s", o->files[i],
                     pfz__strerror(st, msg, sizeof msg));
            return PFZ_EXIT_USAGE;
        }
        pfz__log("Running: %s", o->files[i]);
        copy = malloc(len ? len : 1); /* exact size, as when fuzzing */
        if (copy == NULL) {
            free(data);
            return PFZ_EXIT_OOM;
        }
        memcpy(copy, data, len);
        t0 = pfz__now_us();
        pfz__hooks.target(copy, len);
        pfz__log("Executed %s in %" APR_UINT64_T_FMT " ms", o->files[i], (pfz__now_us() - t0) / 1000);
        free(copy);
        free(data);
    }
    pfz__log("***\n*** NOTE: fuzzing was not performed, you have only\n***       executed the target code on a fixed set of inputs.\n***");
    return PFZ_EXIT_OK;
}
