/* One-line log records on standard error, written with a single write(2) so that
 * lines from worker threads never interleave; scrubbed first (log_scrub.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "log_scrub.h"

static enum log_level min_level = LOGL_INFO;

void log_set_level(enum log_level level)
{
    min_level = level;
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *text, enum log_level *out)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char raw[1024], line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_names[level]);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    size_t rlen = (size_t)m < sizeof raw ? (size_t)m : sizeof raw - 1;
    size_t len = (size_t)n + log_scrub(raw, rlen, line + n, sizeof line - (size_t)n - 1);
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

bool log_limit_allow(struct log_limit *l, unsigned long *suppressed)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    pthread_mutex_lock(&l->lock);
    if (l->last_ns != 0) {
        l->tokens += (double)(now - l->last_ns) / 1e9 * l->rate;
        if (l->tokens > l->burst)
            l->tokens = l->burst;
    }
    l->last_ns = now;
    bool allow = l->tokens >= 1.0;
    if (allow) {
        l->tokens -= 1.0;
        *suppressed = l->suppressed;
        l->suppressed = 0;
    } else {
        l->suppressed++;
    }
    pthread_mutex_unlock(&l->lock);
    return allow;
}
