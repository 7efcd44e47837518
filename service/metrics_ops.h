/* The operational figures of /metrics beside the request counters (metrics_ops.c): build,
 * process, refusals by machine code, database, group commit, reloads, keys, server
 * certificate, drain, running exports and issues. */
#ifndef SVC_METRICS_OPS_H
#define SVC_METRICS_OPS_H

#include <stdbool.h>
#include <time.h>

#include "coupon/err.h"

/* Records the version coupond_build_info reports (a string kept by the caller) and AT, when
 * the configuration in force was loaded (until a reload). */
void metrics_ops_start(const char *version, time_t at);

/* Counts one answer refused with machine code ERR (an error answer, or a check's verdict). */
void metrics_count_refusal(enum cpn_err err);

/* Records a database round trip: whether it answered, and how long it took. */
void metrics_database_ping(bool ok, double seconds);

/* Records a reload (SIGHUP) that was applied (OK) or refused, at AT. */
void metrics_reload_done(bool ok, time_t at);

/* Renders these figures in Prometheus text format into a new string the caller frees; NULL
 * when out of memory. */
char *metrics_ops_render(void);

#endif
