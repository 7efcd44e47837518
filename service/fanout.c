/* One piece of work spread over threads: a job per thread, the caller's thread doing the
 * first, joined before returning. */
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "fanout.h"

void fanout_run(void *(*work)(void *job), void *jobs, size_t size, unsigned n)
{
    pthread_t threads[FANOUT_MAX];
    bool started[FANOUT_MAX] = {false};
    char *base = jobs;
    if (n > FANOUT_MAX)
        n = FANOUT_MAX;
    for (unsigned k = 1; k < n; k++)
        started[k] = pthread_create(&threads[k], NULL, work, base + k * size) == 0;
    if (n > 0)
        work(base);
    for (unsigned k = 1; k < n; k++) {
        if (started[k])
            pthread_join(threads[k], NULL);
        else
            work(base + k * size); /* no thread: its share is done here */
    }
}

unsigned fanout_width(unsigned max)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (max > FANOUT_MAX)
        max = FANOUT_MAX;
    return ncpu < 1 ? 1 : ncpu > (long)max ? max : (unsigned)ncpu;
}
