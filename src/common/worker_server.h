/* worker_server.h -- the loop of a worker process. */
#ifndef PFZ_WORKER_SERVER_H
#define PFZ_WORKER_SERVER_H

#include "common.h"
#include "dict.h"

typedef struct pfz__server_opts {
    pfz_target_fn target;
    const pfz__dict_t *dict;
    int only_ascii;
    int use_value_profile;
    int use_cmp;
    int len_control;  /* -len_control (0: max_len at once) */
    int detect_leaks; /* -detect_leaks (needs LeakSanitizer in the target) */
} pfz__server_opts_t;

/** Serves calls on the inherited channels until the coordinator closes them.
 * Returns the process exit status. */
int pfz__worker_serve(const pfz__server_opts_t *opts, apr_pool_t *pool)
    PFZ_ENGINE_FRAME("pfz__worker_serve", "_ZN6fuzzer8portfuzz12worker_serveEv");

#endif
