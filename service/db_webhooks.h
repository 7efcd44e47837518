/* Webhook subscription calls: the admin's (a worker's prepared statements) and the delivery
 * thread's (its own connection, db_link). No HTTP. */
#ifndef SVC_DB_WEBHOOKS_H
#define SVC_DB_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db.h"
#include "db_link.h"

/* A subscription to create. TYPES is a PostgreSQL array text ("{redemption.created}"). */
struct webhook_new {
    const char *url;
    const char *types;
    const char *ca_pem; /* NULL: the system's trusted CAs */
    const uint8_t *secret;
    size_t secret_len;
    bool reveal_codes;
    const char *request_key; /* NULL: not idempotent */
    const char *created_by;
};

/* webhook_create(): *STATUS DBW_OK, DBW_REPLAY or DBW_CONFLICT; *JSON (ok, replay) the
 * subscription with its secret (caller frees), else NULL. Returns DB_ONE_RESULT or a db_status
 * error. */
int db_webhook_create(const struct webhook_new *w, enum db_word *status,
                      char **json) CPN_MUST_CHECK;

/* webhook_list(), webhook_get(ID), webhook_delete(ID) as JSON text in *JSON (caller frees).
 * Return DB_ONE_RESULT, DB_NO_RESULTS (get, delete: no such subscription) or an error. */
int db_webhook_list(char **json) CPN_MUST_CHECK;
int db_webhook_get(int64_t id, char **json) CPN_MUST_CHECK;
int db_webhook_delete(int64_t id, char **json) CPN_MUST_CHECK;

/* webhook_redeliver(ID, FROM): *STATUS DBW_OK, DBW_NOT_FOUND, DBW_DELETED, DBW_PRUNED or
 * DBW_FUTURE, *JSON the subscription (ok; caller frees; else NULL), *OLDEST the oldest event
 * kept. Returns DB_ONE_RESULT or a db_status error. */
int db_webhook_redeliver(int64_t id, int64_t from, enum db_word *status, char **json,
                         int64_t *oldest) CPN_MUST_CHECK;

/* webhook_deliveries(ID, BEFORE (0: newest), MAX) as a JSON array in *JSON; DB_NO_RESULTS
 * when there is no such subscription. */
int db_webhook_deliveries(int64_t id, int64_t before, int max, char **json) CPN_MUST_CHECK;

/* A subscription due for delivery, as the delivery thread reads it. */
struct db_webhook {
    int64_t id;
    char *url;
    char *types; /* PostgreSQL array text */
    char *ca_pem;
    uint8_t secret[64];
    size_t secret_len;
    bool reveal_codes;
    int64_t cursor;
    int failures;
};

struct db_webhook_list {
    struct db_webhook *items;
    size_t n;
};

/* Frees LIST's items (secrets wiped) and empties it. */
void db_webhook_list_clear(struct db_webhook_list *list);

/* webhooks_due() into *OUT (emptied first). Returns the count or a db_status error. */
int db_webhooks_due(struct db_link *l, struct db_webhook_list *out) CPN_MUST_CHECK;

/* Claims subscription ID for this connection (a session advisory lock, released when the
 * connection closes, so one coupond at a time delivers it and a killed one's claim ends with
 * its connection). Sets *CLAIMED. Returns DB_ONE_RESULT or a db_status error. */
int db_webhook_claim(struct db_link *l, int64_t id, bool *claimed) CPN_MUST_CHECK;

/* One round of deliveries to record (see webhook_result() in sql/functions). */
struct db_webhook_round {
    int64_t id, from_cursor, new_cursor;
    bool failed, gone;
    const char *error; /* the round's failure, NULL when it succeeded */
    double retry_in_s;
    int64_t give_up_s;
    size_t n; /* attempts, in these parallel arrays */
    const int64_t *events;
    const int *statuses; /* 0: no HTTP answer */
    const char *const *errors;
    const int *durations_ms;
    const bool *delivered;
};

/* webhook_result(). Returns DB_ONE_RESULT or a db_status error. */
int db_webhook_result(struct db_link *l, const struct db_webhook_round *r) CPN_MUST_CHECK;

#endif
