/* Log records on standard error, one JSON object per line, each written with a single
 * write(2) so that lines from worker threads never interleave; every text scrubbed first
 * (log_scrub.h), then escaped for JSON. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coupon/decimal.h"
#include "log.h"
#include "log_scrub.h"

#define LINE_MAX_BYTES 8192
#define TEXT_MAX_BYTES 2048 /* one message or text field, before scrubbing */

static atomic_int min_level = LOGL_INFO;

void log_set_level(enum log_level level)
{
    atomic_store(&min_level, (int)level);
}

bool log_enabled(enum log_level level)
{
    return (int)level >= atomic_load(&min_level);
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char *log_level_name(enum log_level level)
{
    return (unsigned)level < 4 ? level_names[level] : "error";
}

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

/* A record being built: LEN bytes of P (CAP bytes, room kept for "}\n"). */
struct line {
    char p[LINE_MAX_BYTES];
    size_t len;
    bool full;
};

#define TAIL_ROOM 3 /* "}\n" and a NUL */

/* Appends N bytes, all or nothing. */
static void put(struct line *l, const char *s, size_t n)
{
    if (l->full || n > sizeof l->p - TAIL_ROOM - l->len) {
        l->full = true;
        return;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

/* Appends TEXT (N bytes) scrubbed and as a JSON string, all or nothing: scrubbed text holds
 * no control character, so only '"' and '\\' need escaping. */
static void put_text(struct line *l, const char *text, size_t n)
{
    char clean[2 * TEXT_MAX_BYTES];
    if (n > TEXT_MAX_BYTES)
        n = TEXT_MAX_BYTES;
    size_t len = log_scrub(text, n, clean, sizeof clean);
    size_t start = l->len;
    put(l, "\"", 1);
    /* In runs between the bytes to escape (a run that does not fit drops the text anyway). */
    for (size_t i = 0; i < len && !l->full;) {
        size_t run = i;
        while (run < len && clean[run] != '"' && clean[run] != '\\')
            run++;
        put(l, clean + i, run - i);
        if (run < len) {
            char esc[2] = {'\\', clean[run]};
            put(l, esc, 2);
            run++;
        }
        i = run;
    }
    put(l, "\"", 1);
    if (l->full)
        l->len = start;
}

/* Appends ,"KEY": (the key as given: a constant of letters, digits and '_'). Copied, not
 * formatted: two records per request, every field with a key (issue 12). */
static void put_key(struct line *l, const char *key)
{
    char k[80];
    size_t n = strlen(key);
    if (n > sizeof k - 4)
        return;
    k[0] = ',';
    k[1] = '"';
    memcpy(k + 2, key, n);
    k[n + 2] = '"';
    k[n + 3] = ':';
    put(l, k, n + 4);
}

static void put_field(struct line *l, const struct log_field *f)
{
    char num[64];
    int n = 0;
    switch (f->kind) {
    case LOGF_TEXT:
        if (f->text == NULL)
            return;
        break;
    case LOGF_INT:
        n = (int)cpn_decimal(f->i, num);
        break;
    case LOGF_REAL:
        /* x - x is 0 for a finite x only: NaN and infinities have no JSON number. */
        n = f->real - f->real == 0.0 ? snprintf(num, sizeof num, "%.3f", f->real)
                                     : snprintf(num, sizeof num, "null");
        break;
    }
    /* A field that does not fit is left out whole: the record stays an object. */
    size_t start = l->len;
    put_key(l, f->key);
    if (f->kind == LOGF_TEXT)
        put_text(l, f->text, strlen(f->text));
    else if (n > 0 && (size_t)n < sizeof num)
        put(l, num, (size_t)n);
    if (l->full) {
        l->len = start;
        l->full = false;
    }
}

/* The record's second as "YYYY-MM-DDTHH:MM:SS" (UTC), formatted once a second per thread:
 * gmtime_r takes glibc's time zone lock, and every request writes two records. */
struct second_text {
    time_t sec;
    bool valid;
    char text[20];
};
static _Thread_local struct second_text second_cache;

/* Writes D as exactly W digits (D below 10^W, not negative). */
static void put_digits(char *out, unsigned d, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        out[i] = (char)('0' + d % 10);
        d /= 10;
    }
}

/* Writes {"time":"…Z","level":"…","message": into HEAD (LEN bytes); returns its length
 * (LEN or more: it did not fit), or -1. */
static int put_head(char *head, size_t len, enum log_level level)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct second_text *c = &second_cache;
    if (!c->valid || c->sec != ts.tv_sec) {
        struct tm tm;
        if (gmtime_r(&ts.tv_sec, &tm) == NULL)
            return -1;
        if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) /* as printf's %04d would */
            return snprintf(head, len,
                            "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\","
                            "\"message\":",
                            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                            tm.tm_sec, ts.tv_nsec / 1000000, log_level_name(level));
        put_digits(c->text, (unsigned)(tm.tm_year + 1900), 4);
        c->text[4] = '-';
        put_digits(c->text + 5, (unsigned)(tm.tm_mon + 1), 2);
        c->text[7] = '-';
        put_digits(c->text + 8, (unsigned)tm.tm_mday, 2);
        c->text[10] = 'T';
        put_digits(c->text + 11, (unsigned)tm.tm_hour, 2);
        c->text[13] = ':';
        put_digits(c->text + 14, (unsigned)tm.tm_min, 2);
        c->text[16] = ':';
        put_digits(c->text + 17, (unsigned)tm.tm_sec, 2);
        c->sec = ts.tv_sec;
        c->valid = true;
    }
    static const char open[] = "{\"time\":\"", mid[] = "Z\",\"level\":\"",
                      tail[] = "\",\"message\":";
    const char *name = log_level_name(level);
    size_t nlen = strlen(name);
    size_t total = (sizeof open - 1) + 19 + 4 + (sizeof mid - 1) + nlen + (sizeof tail - 1);
    if (total >= len)
        return -1;
    char *p = head;
    memcpy(p, open, sizeof open - 1);
    p += sizeof open - 1;
    memcpy(p, c->text, 19);
    p += 19;
    *p++ = '.';
    put_digits(p, (unsigned)(ts.tv_nsec / 1000000), 3);
    p += 3;
    memcpy(p, mid, sizeof mid - 1);
    p += sizeof mid - 1;
    memcpy(p, name, nlen);
    p += nlen;
    memcpy(p, tail, sizeof tail - 1);
    p += sizeof tail - 1;
    return (int)(p - head);
}

static void vrecord(enum log_level level, const struct log_field *fields, size_t nfields,
                    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void vrecord(enum log_level level, const struct log_field *fields, size_t nfields,
                    const char *fmt, va_list ap)
{
    struct line l;
    l.len = 0;
    l.full = false;
    char raw[TEXT_MAX_BYTES + 1], head[96];
    int n = put_head(head, sizeof head, level);
    if (n < 0 || (size_t)n >= sizeof head)
        return;
    put(&l, head, (size_t)n);
    int m = vsnprintf(raw, sizeof raw, fmt, ap);
    if (m < 0)
        return;
    put_text(&l, raw, (size_t)m < sizeof raw ? (size_t)m : sizeof raw - 1);
    for (size_t i = 0; i < nfields; i++)
        put_field(&l, &fields[i]);
    if (l.full)
        return; /* the head and message always fit: TEXT_MAX_BYTES scrubbed is below the line */
    memcpy(l.p + l.len, "}\n", 2);
    ssize_t w = write(STDERR_FILENO, l.p, l.len + 2);
    (void)w;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    vrecord(level, NULL, 0, fmt, ap);
    va_end(ap);
}

void log_record(enum log_level level, const struct log_field *fields, size_t n, const char *fmt,
                ...)
{
    if (!log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    vrecord(level, fields, n, fmt, ap);
    va_end(ap);
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
