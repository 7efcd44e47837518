/* The drain on SIGTERM: readiness turns 503 first (a load balancer stops sending new work),
 * then new requests are refused while every request in flight finishes, so that a request is
 * either answered or has changed nothing. The counter and the closing flag are sequentially
 * consistent atomics: a request either sees the flag (and is refused), or is counted before
 * the stopping thread reads the count. */
#include <stdatomic.h>
#include <time.h>

#include "http_drain.h"

static atomic_ulong inflight;
static atomic_bool draining, closing;

bool http_drain_request_begin(void)
{
    atomic_fetch_add(&inflight, 1);
    return !atomic_load(&closing);
}

void http_drain_request_end(void)
{
    atomic_fetch_sub(&inflight, 1);
}

void http_drain_start(void)
{
    atomic_store(&draining, true);
}

bool http_draining(void)
{
    return atomic_load(&draining);
}

void http_drain_close(void)
{
    atomic_store(&draining, true);
    atomic_store(&closing, true);
}

unsigned long http_drain_inflight(void)
{
    return atomic_load(&inflight);
}

unsigned long http_drain_wait(unsigned timeout_ms)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (unsigned waited = 0;; waited += 10) {
        unsigned long n = atomic_load(&inflight);
        if (n == 0 || waited >= timeout_ms)
            return n;
        nanosleep(&tick, NULL);
    }
}
