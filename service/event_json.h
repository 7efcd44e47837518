/* What an event looks like outside: the JSON text sent to webhook receivers and on the
 * live feed, with codes and card numbers rendered from the stored serials, masked unless
 * the reader may see them. */
#ifndef SVC_EVENT_JSON_H
#define SVC_EVENT_JSON_H

#include <stdbool.h>

#include "db_events.h"

/* Renders E as {"id","type","timestamp","campaign_id"?,"data":{...}}: data is the stored
 * payload with coupon_serial replaced by "code" and card_serial by "card" (their short
 * forms; masked to the last four characters unless REVEAL). Returns a new string the
 * caller frees, or NULL when out of memory or the stored payload is not a JSON object. */
char *event_json(const struct db_event *e, bool reveal);

/* True when NAME is an event type coupond publishes (or will: see docs/webhooks.md). */
bool event_type_known(const char *name);

/* The known event types, comma-separated, for a sentence. */
const char *event_types_text(void);

/* Masks the short form TEXT in place: every letter and digit but the last four becomes '*'. */
void event_mask(char *text);

#endif
