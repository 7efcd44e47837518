/* Paced tills for the integration tests that prove a long marketer request does not hold up
 * the tills: keep-alive terminal connections checking a code on a schedule fixed in advance
 * (open loop), each check timed from its scheduled moment, so a till held up by a blocked
 * worker counts every check it could not send (no coordinated omission). */
#ifndef ITEST_TILLS_H
#define ITEST_TILLS_H

#include <stdbool.h>
#include <stddef.h>

#include "itest.h" /* itest_now_s */

struct itest_tills;

/* Latencies of the checks scheduled in a window, in milliseconds. */
struct itest_latency {
    size_t n;
    double p50, p99, max;
};

/* Sleeps S seconds (nothing when S <= 0). */
void itest_sleep_s(double s);

/* Starts N tills as certs/dev/TERMINAL, each POSTing BODY (borrowed until itest_tills_free) to
 * /v1/checks every EVERY_S seconds; returns once each has had its first answer and the
 * schedule has begun. Fails the test when a thread cannot be started. */
struct itest_tills *itest_tills_start(int n, const char *terminal, const char *body,
                                      double every_s);

/* Stops the tills and waits for them. Returns how many checks were not answered 200. */
unsigned itest_tills_stop(struct itest_tills *t);

/* The latencies of the checks scheduled within [FROM, TO] (itest_now_s() times) on all
 * tills; with PER_TILL each till's slowest is printed to stderr too. Call after
 * itest_tills_stop. */
struct itest_latency itest_tills_window(const struct itest_tills *t, double from, double to,
                                        bool per_till);

/* Writes every check to PATH, one "scheduled latency till" line each (seconds after ORIGIN,
 * milliseconds, the till's index), for a plot; nothing when PATH is NULL. */
void itest_tills_dump(const struct itest_tills *t, const char *path, double origin);

/* Frees T; NULL is a no-op. */
void itest_tills_free(struct itest_tills *t);

#endif
