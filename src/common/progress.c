/* progress.c -- progress lines for long work (progress.h). All platforms. */
#include <stdio.h>
#include <stdlib.h>

#include <apr_env.h>
#include <apr_strings.h>

#include "progress.h"

#define DEFAULT_INTERVAL_US 3000000u

/* The interval: PORTFUZZ_PROGRESS_MS when it is a positive number of
 * milliseconds, else 3 s. Read once per piece of work, not per line, through
 * APR (on Windows the C runtime's getenv misses what the process set itself
 * after it started). */
static uint64_t interval_us(void)
{
    uint64_t us = DEFAULT_INTERVAL_US;
    apr_pool_t *p;
    char *v = NULL, *end;
    long long ms;

    if (apr_pool_create(&p, NULL) != APR_SUCCESS)
        return us;
    if (apr_env_get(&v, PFZ__PROGRESS_ENV, p) == APR_SUCCESS && v != NULL && *v != '\0') {
        ms = strtoll(v, &end, 10);
        if (*end == '\0' && ms > 0 && ms <= 3600000)
            us = (uint64_t)ms * 1000u;
    }
    apr_pool_destroy(p);
    return us;
}

void pfz__progress_init(pfz__progress_t *p, const char *what, const char *unit, uint64_t done0,
                        uint64_t total, uint64_t now_us)
{
    p->what = what;
    p->unit = unit;
    p->total = total;
    p->base = done0;
    p->start_us = p->last_us = now_us;
    p->interval_us = interval_us();
}

int pfz__progress_due(const pfz__progress_t *p, uint64_t now_us)
{
    return now_us >= p->last_us && now_us - p->last_us >= p->interval_us;
}

void pfz__progress_format(char *buf, size_t len, const pfz__progress_t *p, uint64_t done,
                          const char *extra, uint64_t now_us)
{
    double secs = now_us > p->start_us ? (double)(now_us - p->start_us) / 1e6 : 0;
    uint64_t run = done > p->base ? done - p->base : 0;
    double rate = secs > 0 ? (double)run / secs : 0;
    char part[64] = "", left[48] = "";

    if (p->total > 0) {
        apr_snprintf(part, sizeof part, "/%" APR_UINT64_T_FMT " %s (%d%%)", p->total, p->unit,
                     (int)(done >= p->total ? 100 : done * 100 / p->total));
        /* Time left at the rate so far (this run's, not a resumed one's). */
        if (done >= p->total)
            apr_cpystrn(left, " left: 0.0s", sizeof left);
        else if (rate > 0)
            apr_snprintf(left, sizeof left, " left: ~%.1fs", (double)(p->total - done) / rate);
        else
            apr_cpystrn(left, " left: ?", sizeof left);
    } else {
        apr_snprintf(part, sizeof part, " %s", p->unit);
    }
    apr_snprintf(buf, len,
                 "INFO: portfuzz: %s: %" APR_UINT64_T_FMT "%s rate: %.0f/s elapsed: %.1fs%s%s%s",
                 p->what, done, part, rate, secs, left, extra != NULL ? " " : "",
                 extra != NULL ? extra : "");
}

void pfz__progress_line(pfz__progress_t *p, uint64_t done, const char *extra, uint64_t now_us)
{
    char line[512];

    pfz__progress_format(line, sizeof line, p, done, extra, now_us);
    pfz__log("%s", line);
    p->last_us = now_us;
}
