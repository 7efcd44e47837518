/* Log records on standard error, one JSON object per line (journald keeps them):
 * {"time":…,"level":…,"message":…} and the record's own fields. Every message and every text
 * field is scrubbed (control characters escaped, codes masked: log_scrub.h) before it is
 * written. */
#ifndef SVC_LOG_H
#define SVC_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* The levels, LOGL_* (not LOG_*, which <syslog.h> defines). */
enum log_level { LOGL_DEBUG, LOGL_INFO, LOGL_WARN, LOGL_ERROR };

/* Writes one record with the formatted message and no fields; thread-safe (one write(2) per
 * record, so records from worker threads never interleave). */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One field of a record: a text (NULL: the field is left out), a whole number or a real. */
struct log_field {
    const char *key; /* a constant name of letters, digits and '_' */
    enum { LOGF_TEXT, LOGF_INT, LOGF_REAL } kind;
    const char *text;
    long long i;
    double real;
};
#define LOGF_STR(k, v) ((struct log_field){.key = (k), .kind = LOGF_TEXT, .text = (v)})
#define LOGF_NUM(k, v) ((struct log_field){.key = (k), .kind = LOGF_INT, .i = (long long)(v)})
#define LOGF_DBL(k, v) ((struct log_field){.key = (k), .kind = LOGF_REAL, .real = (double)(v)})

/* Writes one record with the formatted message and the N FIELDS after it (in that order; a
 * text field is scrubbed as the message is). Thread-safe as log_msg. A record that does not
 * fit 8 KiB loses its last fields, never its shape. */
void log_record(enum log_level level, const struct log_field *fields, size_t n, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

/* True when a record of LEVEL would be written now (to skip building one that would not). */
bool log_enabled(enum log_level level);

/* Records below LEVEL are dropped (default LOGL_INFO). May be called while other threads log
 * (a reload changes it). */
void log_set_level(enum log_level level);

/* Reads TEXT ("debug", "info", "warn" or "error") into *OUT. Returns 0, or -1 with *OUT
 * unchanged. */
int log_level_parse(const char *text, enum log_level *out);

/* The name of LEVEL ("debug", "info", "warn", "error"). */
const char *log_level_name(enum log_level level);

/* A rate limit for one kind of record that anyone on the network can cause (a refused
 * certificate): a burst of BURST records, then RATE records per second. */
struct log_limit {
    pthread_mutex_t lock;
    double tokens;
    double burst, rate;
    long long last_ns;
    unsigned long suppressed;
};
#define LOG_LIMIT_INIT(burst, rate)                                                                \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, (burst), (burst), (rate), 0, 0                                  \
    }

/* True when a record of LIMIT's kind may be written now; *SUPPRESSED then gets the number of
 * records refused since the last one allowed (to be mentioned in it). False: skip it. */
bool log_limit_allow(struct log_limit *limit, unsigned long *suppressed);

#endif
