/* The audit line of a state change (audit.c): one JSON log record per change, with who made
 * it, from which request, and what changed. */
#ifndef SVC_AUDIT_H
#define SVC_AUDIT_H

#include <stddef.h>

#include "http.h"
#include "log.h"

/* Writes the audit record of EVENT ("<noun>.<verb>": "redemption.created", "campaign.paused",
 * …) made by request R: kind "audit", the event, R's request id and principal (name, role, a
 * terminal's store), then the N FIELDS (ids, amounts; codes and card numbers are masked like
 * every logged text). At info level. */
void audit_event(const struct http_req *r, const char *event, const struct log_field *fields,
                 size_t n);

#endif
