/* One-line log records on standard error: time, level, message. Every message is scrubbed
 * (control characters escaped, codes masked: log_scrub.h) before it is written. */
#ifndef SVC_LOG_H
#define SVC_LOG_H

#include <pthread.h>
#include <stdbool.h>

/* The levels, LOGL_* (not LOG_*, which <syslog.h> defines). */
enum log_level { LOGL_DEBUG, LOGL_INFO, LOGL_WARN, LOGL_ERROR };

/* Writes one line; thread-safe (one write(2) per record). */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records below LEVEL are dropped (default LOGL_INFO). Call before other threads log. */
void log_set_level(enum log_level level);

/* Reads TEXT ("debug", "info", "warn" or "error") into *OUT. Returns 0, or -1 with *OUT
 * unchanged. */
int log_level_parse(const char *text, enum log_level *out);

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
