/* slow_target.c -- a harness that takes about 0.2 ms per input (it sleeps),
 * so that tests/tools.sh sees the progress lines of a corpus run on any
 * machine: the 3000 inputs take a few hundred milliseconds even with two
 * workers, where a fast target runs them all between two progress ticks.
 * A few branches on the first byte give it some coverage to report. */
#include <stdint.h>
#include <stddef.h>
#include <time.h>

#include <portfuzz.h>

static volatile int sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct timespec ts = {0, 200 * 1000};

    if (size > 0 && data[0] == 'x')
        sink++;
    else if (size > 1 && data[1] == '0')
        sink--;
    nanosleep(&ts, NULL);
    return 0;
}
