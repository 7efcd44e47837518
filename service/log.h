/* One-line log records on standard error: time, level, message. */
#ifndef SVC_LOG_H
#define SVC_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Writes one line; thread-safe (one write(2) per record). */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records below LEVEL are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);

#endif
