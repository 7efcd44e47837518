/* The revocation list in force: read from the CA's CRL file, checked against the client CA
 * (crl.c), and replaced by a watcher thread within a second of the file changing when the
 * new CRL is a newer issue. An older issue (a rollback) is refused; a load that fails is
 * retried on every tick; a file that disappears leaves the list in force. Every outcome is
 * logged once, with what really went wrong, and shown in /metrics. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crl.h"
#include "files.h"
#include "log.h"
#include "metrics.h"
#include "revocation.h"

#define TICK_NS       (200 * 1000 * 1000)
#define CRL_MAX_BYTES (64u << 20)
#define RELOG_S       60 /* a problem that persists is logged again after this long */

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct crl in_force; /* under lock */
static bool have_list;      /* under lock: a CRL has been applied */
static atomic_uint generation = 1;

/* The watcher's own state (the watcher thread, or the starting thread before it runs). */
static char *crl_file;
static gnutls_x509_crt_t ca_crt;
static pthread_t watcher;
static atomic_bool running;
static struct stat last_seen;
static bool retry;          /* the last load failed: try again on the next tick */
static bool missing;        /* the file was gone at the last tick */
static bool warned_expired; /* the in-force CRL's nextUpdate passing was logged */
static char last_problem[512];
static time_t last_problem_at;

/* Formats T as RFC 3339 UTC into BUF; "none" for (time_t)-1. */
static const char *when(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL)
        snprintf(buf, len, "none");
    else
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/* "number 0a, thisUpdate …" for the log. */
static const char *describe(const struct crl *c, char *buf, size_t len)
{
    char num[2 * CRL_SERIAL_MAX + 1] = "none", t1[32], t2[32];
    if (c->has_number)
        crl_serial_hex(&c->number, num, sizeof num);
    snprintf(buf, len, "number %s, thisUpdate %s, nextUpdate %s, %zu revoked", num,
             when(c->this_update, t1, sizeof t1), when(c->next_update, t2, sizeof t2), c->count);
    return buf;
}

/* Logs (and counts) a failed or refused load at LEVEL unless the same was logged less than
 * RELOG_S ago. */
static void problem(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void problem(enum log_level level, const char *fmt, ...)
{
    char text[sizeof last_problem];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    time_t now = time(NULL);
    if (strcmp(text, last_problem) == 0 && now - last_problem_at < RELOG_S)
        return;
    metrics_count_crl_failure();
    memcpy(last_problem, text, sizeof last_problem);
    last_problem_at = now;
    log_msg(level, "%s", text);
}

/* Warns about the dates of C, which is being applied. */
static void judge_dates(const struct crl *c, time_t now)
{
    char t[32];
    if (c->this_update > now)
        log_msg(LOGL_WARN,
                "CRL %s: thisUpdate %s is %lld s in the future (is the CA's clock ahead?); "
                "applied anyway",
                crl_file, when(c->this_update, t, sizeof t), (long long)(c->this_update - now));
    if (c->next_update != (time_t)-1 && c->next_update < now)
        log_msg(LOGL_WARN,
                "CRL %s: nextUpdate %s has passed; applied anyway, but re-issue it "
                "(coupond-pki crl) so that new revocations reach coupond",
                crl_file, when(c->next_update, t, sizeof t));
}

enum load_outcome {
    LOAD_OK,      /* read and verified: applied, or the same issue as in force */
    LOAD_FAILED,  /* unreadable or not a valid CRL of the CA: try again on the next tick */
    LOAD_REFUSED, /* a valid CRL but an older issue: wait for the file to change */
};

/* Reads, verifies and, when it is a newer issue, applies the CRL file. */
static enum load_outcome load_crl(void)
{
    size_t len = 0;
    char *data = file_read_all(crl_file, CRL_MAX_BYTES, &len);
    if (data == NULL) {
        problem(LOGL_ERROR, "cannot read CRL %s: %s; keeping the list in force", crl_file,
                strerror(errno));
        return LOAD_FAILED;
    }
    struct crl next;
    char why[384];
    enum cpn_err err = crl_parse(data, len, ca_crt, &next, why, sizeof why);
    free(data);
    if (err != CPN_OK) {
        problem(LOGL_ERROR, "CRL %s refused: %s; keeping the list in force", crl_file,
                err == CPN_ERR_NO_MEMORY ? "out of memory" : why);
        return LOAD_FAILED;
    }
    time_t now = time(NULL);
    char a[256], b[256];
    pthread_rwlock_rdlock(&lock);
    int order = have_list ? crl_compare(&next, &in_force) : 1;
    bool same_list = have_list && crl_same_list(&next, &in_force);
    describe(&in_force, b, sizeof b);
    pthread_rwlock_unlock(&lock);
    if (order < 0) {
        problem(LOGL_ERROR,
                "CRL %s refused: it is an older issue (%s) than the list in force (%s), a "
                "rollback; keeping the list in force",
                crl_file, describe(&next, a, sizeof a), b);
        crl_clear(&next);
        return LOAD_REFUSED;
    }
    if (order == 0 && !same_list) {
        problem(LOGL_ERROR,
                "CRL %s refused: it claims to be the issue in force (%s) but revokes other "
                "certificates (%zu); re-issue it with a new CRL number (coupond-pki crl)",
                crl_file, b, next.count);
        crl_clear(&next);
        return LOAD_REFUSED;
    }
    last_problem[0] = '\0';
    metrics_crl_loaded(now);
    if (order == 0) {
        log_msg(LOGL_DEBUG, "CRL %s re-read: the same issue as in force (%s)", crl_file, b);
        crl_clear(&next);
        return LOAD_OK;
    }
    judge_dates(&next, now);
    log_msg(LOGL_INFO, "revocation list loaded from %s: %s", crl_file,
            describe(&next, a, sizeof a));
    metrics_crl_in_force(next.this_update, next.next_update, next.count);
    pthread_rwlock_wrlock(&lock);
    struct crl old = in_force;
    in_force = next;
    have_list = true;
    atomic_fetch_add(&generation, 1);
    pthread_rwlock_unlock(&lock);
    crl_clear(&old);
    warned_expired = next.next_update != (time_t)-1 && next.next_update < now; /* said above */
    return LOAD_OK;
}

/* True when the file's identity, size or times differ from the last look. */
static bool file_changed(const struct stat *st)
{
    bool changed = st->st_ino != last_seen.st_ino || st->st_dev != last_seen.st_dev ||
                   st->st_size != last_seen.st_size ||
                   st->st_mtim.tv_sec != last_seen.st_mtim.tv_sec ||
                   st->st_mtim.tv_nsec != last_seen.st_mtim.tv_nsec ||
                   st->st_ctim.tv_sec != last_seen.st_ctim.tv_sec ||
                   st->st_ctim.tv_nsec != last_seen.st_ctim.tv_nsec;
    last_seen = *st;
    return changed;
}

/* One look at the file: reload when it changed or the last load failed. */
static void tick(void)
{
    struct stat st;
    if (stat(crl_file, &st) != 0) {
        if (!missing)
            log_msg(LOGL_ERROR, "CRL %s is gone (%s); keeping the list in force", crl_file,
                    strerror(errno));
        missing = true;
        return;
    }
    if (missing) {
        log_msg(LOGL_INFO, "CRL %s is back", crl_file);
        missing = false;
        retry = true;
    }
    if (file_changed(&st) || retry)
        retry = load_crl() == LOAD_FAILED;
    pthread_rwlock_rdlock(&lock);
    time_t next = in_force.next_update;
    pthread_rwlock_unlock(&lock);
    if (!warned_expired && next != (time_t)-1 && next < time(NULL)) {
        char t[32];
        log_msg(LOGL_WARN,
                "the CRL in force passed its nextUpdate %s; re-issue it (coupond-pki crl)",
                when(next, t, sizeof t));
        warned_expired = true;
    }
}

static void *watch(void *arg)
{
    (void)arg;
    struct timespec pause = {0, TICK_NS};
    while (atomic_load(&running)) {
        nanosleep(&pause, NULL);
        tick();
    }
    return NULL;
}

static int load_ca(const char *ca_path)
{
    size_t len = 0;
    char *data = file_read_all(ca_path, 1u << 20, &len);
    if (data == NULL) {
        log_msg(LOGL_ERROR, "cannot read CA %s: %s", ca_path, strerror(errno));
        return -1;
    }
    gnutls_datum_t datum = {(unsigned char *)data, (unsigned)len};
    int rc = gnutls_x509_crt_init(&ca_crt);
    if (rc >= 0)
        rc = gnutls_x509_crt_import(ca_crt, &datum, GNUTLS_X509_FMT_PEM);
    free(data);
    if (rc < 0) {
        log_msg(LOGL_ERROR, "CA %s is not a PEM certificate: %s", ca_path, gnutls_strerror(rc));
        gnutls_x509_crt_deinit(ca_crt);
        ca_crt = NULL;
        return -1;
    }
    return 0;
}

enum cpn_err revocation_start(const char *crl_path, const char *ca_path)
{
    if (crl_path == NULL) {
        metrics_crl_enabled(false);
        log_msg(LOGL_WARN, "revocation checks are off (--no-crl): a revoked client certificate "
                           "is accepted until it expires");
        return CPN_OK;
    }
    metrics_crl_enabled(true);
    if (load_ca(ca_path) != 0)
        return CPN_ERR_IO;
    crl_file = strdup(crl_path);
    if (crl_file == NULL) {
        revocation_stop();
        return CPN_ERR_NO_MEMORY;
    }
    struct stat st;
    if (stat(crl_file, &st) == 0)
        (void)file_changed(&st);
    if (load_crl() != LOAD_OK) {
        log_msg(LOGL_ERROR, "no revocation list in force: not serving (fix the CRL, or start "
                            "with --no-crl to serve without revocation checks)");
        revocation_stop();
        return CPN_ERR_IO;
    }
    atomic_store(&running, true);
    if (pthread_create(&watcher, NULL, watch, NULL) != 0) {
        atomic_store(&running, false);
        revocation_stop();
        return CPN_ERR_INTERNAL;
    }
    return CPN_OK;
}

void revocation_stop(void)
{
    if (atomic_exchange(&running, false))
        pthread_join(watcher, NULL);
    pthread_rwlock_wrlock(&lock);
    crl_clear(&in_force);
    have_list = false;
    pthread_rwlock_unlock(&lock);
    free(crl_file);
    crl_file = NULL;
    if (ca_crt != NULL) {
        gnutls_x509_crt_deinit(ca_crt);
        ca_crt = NULL;
    }
    memset(&last_seen, 0, sizeof last_seen);
    retry = missing = warned_expired = false;
    last_problem[0] = '\0';
}

unsigned revocation_generation(void)
{
    return atomic_load(&generation);
}

bool revocation_contains(const uint8_t *serial, size_t len)
{
    pthread_rwlock_rdlock(&lock);
    bool found = crl_contains(&in_force, serial, len);
    pthread_rwlock_unlock(&lock);
    return found;
}
