/* scale_sleep.c -- bench/scale.sh's blocked target: each input sleeps 2 ms
 * (as a target waiting on I/O or a lock would), then branches a little on
 * its first bytes. Workers spend their time asleep, so 64 of them do not
 * compete for the cores and the coordinator's cost per call shows alone. */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

static volatile int sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    usleep(2000);
    if (size > 0 && data[0] == 'S') {
        sink++;
        if (size > 1 && data[1] == 'L')
            sink += 2;
    }
    if (size > 2 && data[2] > 0x80)
        sink--;
    return 0;
}
