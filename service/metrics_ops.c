/* The operational figures of /metrics: what an on-call person looks at beside the request
 * counters (metrics.c). Counters are lock-free; the rest is read when rendered. */
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "db_redeem_group.h"
#include "http_drain.h"
#include "http_export.h"
#include "issue_job.h"
#include "metrics_ops.h"
#include "proc_stats.h"
#include "tls_creds.h"

static const char *version = "unknown";
static atomic_ullong refusals[CPN_ERR__COUNT];
static atomic_bool db_up;
static _Atomic double db_seconds;
static atomic_llong db_checked_at;
static atomic_ullong reloads_ok, reloads_failed;
static atomic_llong reload_ok_at;
static atomic_int reload_last_ok = 1; /* no reload yet: the configuration in force is good */

void metrics_ops_start(const char *v, time_t at)
{
    version = v;
    atomic_store(&reload_ok_at, (long long)at);
}

void metrics_count_refusal(enum cpn_err err)
{
    if (err > CPN_OK && err < CPN_ERR__COUNT)
        atomic_fetch_add(&refusals[err], 1);
}

void metrics_database_ping(bool ok, double seconds)
{
    atomic_store(&db_up, ok);
    atomic_store(&db_seconds, seconds);
    atomic_store(&db_checked_at, (long long)time(NULL));
}

void metrics_reload_done(bool ok, time_t at)
{
    atomic_fetch_add(ok ? &reloads_ok : &reloads_failed, 1);
    atomic_store(&reload_last_ok, ok ? 1 : 0);
    if (ok)
        atomic_store(&reload_ok_at, (long long)at);
}

struct buf {
    char *p;
    size_t len, cap;
    bool failed;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct buf *b, const char *fmt, ...)
{
    while (!b->failed) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
        } else if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        } else {
            char *np = realloc(b->p, b->cap * 2);
            if (np == NULL)
                b->failed = true;
            else {
                b->p = np;
                b->cap *= 2;
            }
        }
    }
}

/* A gauge with its HELP and TYPE lines; a value below 0 (unknown) is left out. */
static void gauge(struct buf *b, const char *name, const char *help, double v)
{
    add(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    if (v >= 0)
        add(b, "%s %.9g\n", name, v);
}

static void add_process(struct buf *b)
{
    struct proc_stats ps;
    (void)proc_stats_read(&ps);
    add(b, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
           "# TYPE process_cpu_seconds_total counter\n");
    if (ps.cpu_seconds >= 0)
        add(b, "process_cpu_seconds_total %.9g\n", ps.cpu_seconds);
    gauge(b, "process_resident_memory_bytes", "Resident memory size in bytes.", ps.resident_bytes);
    gauge(b, "process_virtual_memory_bytes", "Virtual memory size in bytes.", ps.virtual_bytes);
    gauge(b, "process_open_fds", "Number of open file descriptors.", ps.open_fds);
    gauge(b, "process_max_fds", "Maximum number of open file descriptors.", ps.max_fds);
    gauge(b, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
          ps.start_time);
    gauge(b, "process_threads", "Number of OS threads in the process.", ps.threads);
}

static void add_refusals(struct buf *b)
{
    add(b, "# HELP coupond_refusals_total Answers refused, by machine code (error answers and "
           "the reasons of checks that found a code not valid).\n"
           "# TYPE coupond_refusals_total counter\n");
    for (int e = CPN_OK + 1; e < CPN_ERR__COUNT; e++) {
        const char *code = cpn_err_code((enum cpn_err)e);
        /* Several registry entries may share a machine code: count each code once. */
        bool first = true;
        for (int k = CPN_OK + 1; k < e && first; k++)
            first = cpn_err_code((enum cpn_err)k) != code &&
                    strcmp(cpn_err_code((enum cpn_err)k), code) != 0;
        if (!first)
            continue;
        unsigned long long n = 0;
        for (int k = e; k < CPN_ERR__COUNT; k++)
            if (strcmp(cpn_err_code((enum cpn_err)k), code) == 0)
                n += atomic_load(&refusals[k]);
        add(b, "coupond_refusals_total{code=\"%s\"} %llu\n", code, n);
    }
}

static void add_keys(struct buf *b)
{
    unsigned sign, mac, ids[CPN_KEY_ID_MAX], retired[CPN_KEY_ID_MAX];
    size_t n, nretired;
    codes_key_ids(&sign, &mac, ids, &n, retired, &nretired);
    gauge(b, "coupond_signing_key_id", "Id of the key that signs new codes.", sign);
    gauge(b, "coupond_mac_key_id", "Id of the MAC key that issues new short codes.", mac);
    add(b, "# HELP coupond_key_info The code keys held, by id and state (current: signs new "
           "codes; verifying: checks older codes; retired: its codes are refused).\n"
           "# TYPE coupond_key_info gauge\n");
    for (size_t i = 0; i < n; i++) {
        bool is_retired = false;
        for (size_t k = 0; k < nretired; k++)
            is_retired = is_retired || retired[k] == ids[i];
        add(b, "coupond_key_info{id=\"%u\",state=\"%s\"} 1\n", ids[i],
            is_retired       ? "retired"
            : ids[i] == sign ? "current"
                             : "verifying");
    }
}

static void add_service(struct buf *b)
{
    struct tls_creds *c = tls_creds_hold();
    double not_after = c != NULL ? (double)tls_creds_not_after(c) : -1;
    tls_creds_release(c);
    gauge(b, "coupond_server_certificate_not_after_seconds",
          "notAfter of the server certificate in force (Unix time).", not_after);
    add(b,
        "# HELP coupond_reloads_total Reloads (SIGHUP), by result.\n"
        "# TYPE coupond_reloads_total counter\n"
        "coupond_reloads_total{result=\"ok\"} %llu\n"
        "coupond_reloads_total{result=\"failed\"} %llu\n",
        (unsigned long long)atomic_load(&reloads_ok),
        (unsigned long long)atomic_load(&reloads_failed));
    gauge(b, "coupond_config_last_reload_successful",
          "1 when the last reload was applied (or none was asked for), 0 when it was refused.",
          atomic_load(&reload_last_ok));
    gauge(b, "coupond_config_last_reload_success_timestamp_seconds",
          "When the configuration was last loaded or reloaded (Unix time).",
          (double)atomic_load(&reload_ok_at));
    gauge(b, "coupond_draining", "1 while coupond drains before it stops (readiness 503).",
          http_draining() ? 1 : 0);
    gauge(b, "coupond_requests_in_flight", "Requests begun and not yet answered.",
          (double)http_drain_inflight());
    gauge(b, "coupond_exports_running", "Bulk exports (CSV, QR archives) streaming now.",
          http_exports_running());
    gauge(b, "coupond_issues_running", "Coupon issues and recipient lists running now.",
          issue_jobs_running());
}

static void add_database(struct buf *b)
{
    long long at = atomic_load(&db_checked_at);
    gauge(b, "coupond_database_up",
          "1 when the last database round trip (at each scrape) answered.",
          at > 0 ? (atomic_load(&db_up) ? 1 : 0) : -1);
    gauge(b, "coupond_database_round_trip_seconds",
          "Duration of the last database round trip (at each scrape).",
          at > 0 ? atomic_load(&db_seconds) : -1);
}

/* Group commit's counters, each by kind (redemption, check): db_group_stats' fields. */
static void add_group_commit(struct buf *b)
{
    static const struct {
        const char *name, *help;
        size_t field; /* offsetof(struct db_group_stats, ...) */
    } counters[] = {
        {"coupond_group_statements_total",
         "Statements the group threads sent, each booking or answering a group (group commit).",
         offsetof(struct db_group_stats, statements)},
        {"coupond_group_items_total",
         "Redemptions and checks in those statements (divided by the statements: the mean "
         "group).",
         offsetof(struct db_group_stats, items)},
        {"coupond_group_failed_total",
         "Group statements that failed as a whole; each of their requests was then asked alone.",
         offsetof(struct db_group_stats, failed)},
        {"coupond_group_late_total",
         "Requests that waited past --db-deadline before a group thread took them (answered "
         "503, never sent).",
         offsetof(struct db_group_stats, late)},
    };
    struct db_group_stats r, c;
    db_group_stats(&r, &c);
    for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++) {
        unsigned long long vr, vc;
        memcpy(&vr, (const char *)&r + counters[k].field, sizeof vr);
        memcpy(&vc, (const char *)&c + counters[k].field, sizeof vc);
        add(b,
            "# HELP %s %s\n# TYPE %s counter\n%s{kind=\"redemption\"} %llu\n"
            "%s{kind=\"check\"} %llu\n",
            counters[k].name, counters[k].help, counters[k].name, counters[k].name, vr,
            counters[k].name, vc);
    }
}

char *metrics_ops_render(void)
{
    struct buf b = {malloc(8192), 0, 8192, false};
    if (b.p == NULL)
        return NULL;
    add(&b,
        "# HELP coupond_build_info The version of coupond running.\n"
        "# TYPE coupond_build_info gauge\n"
        "coupond_build_info{version=\"%s\"} 1\n",
        version);
    add_process(&b);
    add_refusals(&b);
    add_database(&b);
    add_group_commit(&b);
    add_keys(&b);
    add_service(&b);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
