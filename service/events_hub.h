/* The live feed's hub: one thread with its own database connection (LISTENing for new
 * events) that keeps the newest events in memory and writes each reader's stream of
 * server-sent events into that reader's bounded buffer, from memory or, for a reader
 * resuming further back, from the database. No HTTP: the handler (http_events.c) reads the
 * buffers and suspends and resumes its connections through the callbacks it gives. */
#ifndef SVC_EVENTS_HUB_H
#define SVC_EVENTS_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "coupon/err.h"

#define HUB_MAX_TYPES 16

/* Which events a reader wants: of CAMPAIGN (0: any) and of one of TYPES (none: any). */
struct hub_filter {
    int64_t campaign;
    unsigned ntypes;
    char types[HUB_MAX_TYPES][48];
};

struct hub_client;

/* Starts the hub per CFG (heartbeat). Returns CPN_OK, or an error (logged) with nothing
 * started. A database that cannot be reached is not an error: the hub keeps trying. */
enum cpn_err hub_start(const struct svc_config *cfg) CPN_MUST_CHECK;

/* Ends every reader's stream (each gets what was buffered, then the end) and resumes the
 * suspended ones, so that libmicrohttpd can be stopped; new readers are refused. */
void hub_close_clients(void);

/* Stops the hub thread; after the daemon stopped (every client freed). Safe when never
 * started. */
void hub_stop(void);

/* A new reader of the events after id AFTER (-1: from the next event published) matching
 * FILTER. RESUME(ARG) is called from the hub's thread when a reader that was suspended (see
 * hub_client_read) has something to read. Returns the reader (freed with hub_client_free),
 * or NULL when the hub is not running, is closing, or has as many readers as it takes. */
struct hub_client *hub_client_new(int64_t after, const struct hub_filter *filter,
                                  void (*resume)(void *), void *arg);

/* Copies up to MAX bytes of C's stream into OUT and returns how many; or, when nothing is
 * buffered, calls SUSPEND(ARG) (under C's lock, so the hub's RESUME cannot come before it)
 * and returns 0; or returns -1 at the end of the stream. */
ssize_t hub_client_read(struct hub_client *c, char *out, size_t max, void (*suspend)(void *),
                        void *arg);

/* Frees C (after its connection ended); NULL is a no-op. */
void hub_client_free(struct hub_client *c);

#endif
