/* The outbox's stored-function calls on a background thread's own connection (db_link):
 * publish, read after an id, prune, measure. No HTTP. */
#ifndef SVC_DB_EVENTS_H
#define SVC_DB_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_link.h"

/* One published event as stored: its payload is the database's JSON text (serials, not
 * codes; see event_json.h for what is sent). */
struct db_event {
    int64_t id;
    char type[64];
    int64_t campaign; /* 0 when the event belongs to no campaign */
    char occurred_at[40];
    char *payload; /* owned */
};

struct db_event_list {
    struct db_event *items;
    size_t n;
};

/* Frees what LIST holds and empties it. */
void db_event_list_clear(struct db_event_list *list);

/* events_publish(MAX): numbers at most MAX committed queue rows as the next events. Sets
 * *PUBLISHED and *HEAD (the last id). Returns DB_ONE_RESULT or a db_status error. */
int db_events_publish(struct db_link *l, int max, int64_t *published, int64_t *head) CPN_MUST_CHECK;

/* events_after(): at most MAX events after id AFTER, of the types in TYPES (a PostgreSQL
 * array text such as "{redemption.created}", NULL: any) and of CAMPAIGN (0: any), into *OUT
 * (emptied first; the caller clears it). Returns their count or a db_status error. */
int db_events_after(struct db_link *l, int64_t after, int max, const char *types, int64_t campaign,
                    struct db_event_list *out) CPN_MUST_CHECK;

/* events_head() and events_oldest() into *OUT. Return DB_ONE_RESULT or a db_status error. */
int db_events_head(struct db_link *l, int64_t *out) CPN_MUST_CHECK;
int db_events_oldest(struct db_link *l, int64_t *out) CPN_MUST_CHECK;

/* events_prune(RETENTION_S seconds, MAX) into *DELETED. */
int db_events_prune(struct db_link *l, int64_t retention_s, int max,
                    int64_t *deleted) CPN_MUST_CHECK;

struct db_events_stats {
    int64_t kept, queued, head;
    double oldest_undelivered_s;
};

/* events_stats() into *OUT. */
int db_events_stats(struct db_link *l, struct db_events_stats *out) CPN_MUST_CHECK;

#endif
