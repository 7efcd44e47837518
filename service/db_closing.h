/* The day closing and offline-conflict stored-function calls (terminal_closing(),
 * offline_conflict_list()); no HTTP. */
#ifndef SVC_DB_CLOSING_H
#define SVC_DB_CLOSING_H

#include <stdint.h>

#include "coupon/err.h"

/* A terminal's closing of the local day DAY ("YYYY-MM-DD", a valid date) in one round trip:
 * of the scope KEY ("<store>/<name>"), or, when KEY is NULL, of every scope of the certificate
 * name NAME (an admin's closing). *JSON gets the closing's JSON text (the caller frees it).
 * Returns a db_status (DB_ONE_RESULT on success). */
int db_terminal_closing(const char *key, const char *name, const char *day,
                        char **json) CPN_MUST_CHECK;

/* The offline conflicts after id AFTER (of CAMPAIGN, or all when 0), at most LIMIT, as JSON
 * text {conflicts, next_after} in *JSON (the caller frees it). Returns a db_status. */
int db_offline_conflicts(int64_t campaign, int64_t after, int limit, char **json) CPN_MUST_CHECK;

#endif
