/* coupond: flags and config (config.c), then one of serve (the HTTPS API until
 * SIGINT/SIGTERM, which drain it first; SIGHUP reloads), migrate (schema and stored functions),
 * keygen (a new signing and MAC key), demo (a campaign with five coupons), expire-points (the
 * points expiry run) or check-crl (is the CRL due for renewal?); -h/--help and -V/--version print
 * and exit. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "codes.h"
#include "config.h"
#include "coupon/keys.h"
#include "crl_check.h"
#include "db.h"
#include "db_campaigns.h"
#include "db_cards.h"
#include "events_hub.h"
#include "issue.h"
#include "issue_job.h"
#include "issue_pace.h"
#include "http.h"
#include "http_drain.h"
#include "http_export.h"
#include "http_ui.h"
#include "log.h"
#include "db_migrate.h"
#include "db_redeem_group.h"
#include "metrics_ops.h"
#include "notify.h"
#include "outbox.h"
#include "principal.h"
#include "reload.h"
#include "revocation.h"
#include "webhook_deliver.h"

#ifndef COUPOND_VERSION
#define COUPOND_VERSION "unknown"
#endif

/* Tells the service manager (Type=notify); a failure is logged, never fatal. */
static void notify(int (*send)(void), const char *what)
{
    if (send() < 0)
        log_msg(LOGL_WARN, "cannot notify the service manager (%s): %s", what, strerror(errno));
}

/* Waits for SIGINT or SIGTERM in SET and returns it; a SIGHUP (systemctl reload) reloads
 * the configuration, certificates and keys (reload.c), replacing *CFG when it succeeds. */
static int wait_for_stop(const sigset_t *set, int argc, char **argv, struct svc_config **cfg)
{
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            return sig;
        (void)reload_run(argc, argv, cfg);
    }
}

/* Waits up to MS milliseconds for SIGINT or SIGTERM in SET (a SIGHUP is ignored while
 * stopping). Returns true when one came: the operator insists, stop at once. */
static bool stop_signal_within(const sigset_t *set, long ms)
{
    struct timespec until, now;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long left =
            (long long)(until.tv_sec - now.tv_sec) * 1000000000LL + (until.tv_nsec - now.tv_nsec);
        if (left <= 0)
            return false;
        struct timespec pause = {(time_t)(left / 1000000000LL), (long)(left % 1000000000LL)};
        int sig = sigtimedwait(set, NULL, &pause);
        if (sig == SIGINT || sig == SIGTERM)
            return true;
    }
}

/* The drain after SIGINT or SIGTERM: readiness turns 503 and answers close their
 * connections; after CFG's drain delay no new connection is accepted, long exports and
 * issues are cancelled, live feed streams end (each reader gets what was buffered, then the
 * end, and resumes elsewhere with Last-Event-ID), webhook delivery starts no new round, new
 * requests are refused 503, and the requests in flight get CFG's drain timeout to finish. A
 * second SIGINT or SIGTERM cuts the waits short. */
static void drain(struct http_server *d, const sigset_t *set, const struct svc_config *cfg)
{
    http_drain_start();
    (void)notify_send("STATUS=draining");
    bool insist = false;
    if (cfg->drain_delay_s > 0) {
        log_msg(LOGL_INFO,
                "draining: /readyz answers 503; new connections are accepted for "
                "%u s more",
                cfg->drain_delay_s);
        insist = stop_signal_within(set, (long)cfg->drain_delay_s * 1000);
    }
    http_quiesce(d);
    http_exports_stop();
    issue_jobs_stop();
    hub_close_clients(); /* a stream is a request in flight until it ends */
    webhooks_drain();
    http_drain_close();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long left = http_drain_inflight();
    for (long waited = 0; left > 0 && !insist && waited < (long)cfg->drain_timeout_s * 1000;
         waited += 50) {
        insist = stop_signal_within(set, 50);
        left = http_drain_inflight();
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (left > 0)
        log_msg(LOGL_WARN, "drain: %lu request(s) still in flight after %.1f s%s; stopping anyway",
                left, secs, insist ? " (stop signal repeated)" : "");
    else
        log_msg(LOGL_INFO, "drained: every request in flight finished (%.3f s)", secs);
}

/* Until the database answers (probing every 2 s), waits for SIGINT or SIGTERM in SET (a
 * SIGHUP is logged and not acted on: coupond is not ready yet). Returns 0 once the database
 * answered, or the stop signal. */
static int wait_for_database(const sigset_t *set, bool answered)
{
    if (!answered)
        (void)notify_send("STATUS=waiting for the database");
    while (!answered) {
        struct timespec pause = {2, 0};
        int sig = sigtimedwait(set, NULL, &pause);
        if (sig == SIGINT || sig == SIGTERM)
            return sig;
        if (sig == SIGHUP)
            log_msg(LOGL_WARN, "SIGHUP while waiting for the database: not reloaded (coupond "
                               "is not ready yet); send it again once it is");
        answered = db_ping() == DB_ONE_RESULT;
        db_teardown();
    }
    return 0;
}

/* Stops what serve() started after the drain, in order, the HTTP daemon D among them. */
/* Stops what serve() starts before the listener: group commit (after the workers, who wait
 * for its answers), the live feed, webhook delivery and the outbox publisher (each a no-op
 * when it did not start), the revocation watcher, the code keys and the database set-up. */
static void stop_threads(void)
{
    db_group_stop();
    hub_stop();
    webhooks_stop();
    outbox_stop();
    revocation_stop();
    codes_unload();
    db_free_setup();
}

/* After the drain: the listener and its workers, the bounce-back pools' thread, the console's
 * files, then everything stop_threads() stops. */
static void shut_down(struct http_server *d)
{
    http_stop(d);
    bounce_stop();
    http_ui_unload();
    stop_threads();
}

static int serve(int argc, char **argv, struct svc_config **cfgp)
{
    const struct svc_config *cfg = *cfgp;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    /* Block before any thread starts so only sigwait below sees them. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((cfg->crl == NULL || cfg->crl[0] == '\0') == !cfg->no_crl) {
        log_msg(LOGL_ERROR, cfg->no_crl ? "--crl and --no-crl contradict each other"
                                        : "no revocation list: pass --crl FILE (the CA's CRL), or "
                                          "--no-crl to serve without revocation checks");
        return 2;
    }
    db_set_deadline_ms(cfg->db_deadline_ms);
    if (db_setup(cfg->db) != CPN_OK)
        return 1;
    bool db_answered = db_ping() == DB_ONE_RESULT;
    if (!db_answered)
        log_msg(LOGL_WARN, "database not reachable yet; /healthz reports it until it is");
    db_teardown(); /* the main thread serves no requests */
    if (codes_load(cfg->keys_dir) != CPN_OK) {
        db_free_setup();
        return 1;
    }
    if (revocation_start(cfg->no_crl ? NULL : cfg->crl, cfg->ca) != CPN_OK) {
        codes_unload();
        db_free_setup();
        return 1;
    }
    /* The outbox publisher, webhook delivery and the live feed: threads of their own with
     * database connections of their own (docs/webhooks.md). */
    if (outbox_start(cfg) != CPN_OK || webhooks_start(cfg) != CPN_OK || hub_start(cfg) != CPN_OK ||
        db_group_start(cfg->group_commit, cfg->group_threads) != CPN_OK) {
        stop_threads();
        return 1;
    }
    issue_jobs_configure(cfg->max_issues);
    issue_pace_configure(cfg->issue_share);
    http_exports_configure(cfg->export_stall_s);
    metrics_ops_start(COUPOND_VERSION, time(NULL));
    struct http_server *d = http_ui_load(cfg->ui_dir) == CPN_OK ? http_start(cfg) : NULL;
    if (d == NULL) {
        http_ui_unload();
        hub_close_clients();
        stop_threads();
        return 1;
    }
    log_msg(LOGL_INFO, "coupond %s serving with %u worker threads", COUPOND_VERSION, cfg->threads);
    if (bounce_start() != CPN_OK) /* the bounce-back pools' thread (issue 17) */
        log_msg(LOGL_WARN, "bounce-back pools are filled only when their campaign is created");
    /* Type=notify: ready once the listener is up and the database answers. */
    int sig = wait_for_database(&set, db_answered);
    if (sig == 0) {
        notify(notify_ready, "READY=1");
        sig = wait_for_stop(&set, argc, argv, cfgp);
        cfg = *cfgp;
    }
    notify(notify_stopping, "STOPPING=1");
    log_msg(LOGL_INFO, "%s received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    drain(d, &set, cfg);
    shut_down(d);
    log_msg(LOGL_INFO, "coupond stopped");
    return 0;
}

/* The "id" of campaign JSON TEXT (as db_campaign_create answers), or 0 when it has none. */
static long long campaign_id(const char *text)
{
    json_t *campaign = json_loads(text, 0, NULL);
    json_t *id = json_object_get(campaign, "id");
    long long v = json_is_integer(id) ? (long long)json_integer_value(id) : 0;
    json_decref(campaign);
    return v;
}

/* coupond demo: a small demo (one campaign with five coupons), once; prints the codes. */
static int demo(const struct svc_config *cfg)
{
    if (db_setup(cfg->db) != CPN_OK || codes_load(cfg->keys_dir) != CPN_OK)
        return 1;
    int rc = 1;
    char *list = NULL;
    if (db_campaign_list(0, 1, NULL, NULL, &list) == DB_ONE_RESULT && strcmp(list, "[]") != 0) {
        printf("demo: campaigns exist already; nothing loaded\n");
        rc = 0;
        goto out;
    }
    struct campaign_new *c = calloc(1, sizeof *c);
    if (c == NULL)
        goto out;
    time_t now = time(NULL);
    *c = (struct campaign_new){.name = "Demo: 10% off from 20 EUR",
                               .channel = "mailing",
                               .cost_cents = 25000,
                               .starts_at = now - 86400,
                               .ends_at = now + 90 * 86400,
                               .offer_kind = "percent",
                               .offer_value = 10,
                               .min_basket_cents = 2000,
                               .created_by = "demo"};
    char *json = NULL;
    enum db_word why;
    enum cpn_err err;
    if (db_campaign_create(c, &json, &err, &why) != DB_ONE_RESULT || err != CPN_OK) {
        fprintf(stderr, "demo: cannot create the campaign\n");
        free(c);
        goto out;
    }
    free(c);
    long long id = campaign_id(json);
    free(json);
    if (id <= 0) {
        fprintf(stderr, "demo: the new campaign's answer has no id\n");
        goto out;
    }
    struct issue_request req = {.campaign = id, .count = 5, .max_uses = 1, .created_by = "demo"};
    struct issue_result res;
    if (issue_coupons(&req, &res) != CPN_OK) {
        fprintf(stderr, "demo: cannot issue coupons\n");
        goto out;
    }
    printf("demo: campaign %lld with %zu coupons (10%% off from 20.00 EUR):\n", id, res.count);
    for (size_t i = 0; i < res.count; i++) {
        char short_form[CPN_SHORT_LEN + 1], signed_form[CPN_SIGNED_MAX_LEN + 1];
        if (codes_coupon_forms(res.serials[i], &res.terms, 0, short_form, signed_form,
                               sizeof signed_form) == CPN_OK)
            printf("  %s\n", short_form);
    }
    issue_result_clear(&res);
    rc = 0;
out:
    free(list);
    db_teardown();
    codes_unload();
    db_free_setup();
    return rc;
}

static int keygen(const struct svc_config *cfg)
{
    unsigned id = 0;
    enum cpn_err err = cpn_keygen(cfg->keys_dir, &id);
    if (err != CPN_OK) {
        fprintf(stderr, "coupond keygen: %s (%s)\n", cpn_err_message(err), cfg->keys_dir);
        return 1;
    }
    printf("key %u created in %s; it signs from now on, older keys still verify\n", id,
           cfg->keys_dir);
    return 0;
}

/* coupond expire-points: card_expire() in batches of 1000 cards until nothing is due. */
static int expire_points(const struct svc_config *cfg)
{
    if (db_setup(cfg->db) != CPN_OK)
        return 1;
    int64_t total = 0, cards = 0;
    int rc;
    do {
        rc = db_card_expire(1000, &cards);
        total += cards;
    } while (rc == DB_ONE_RESULT && cards > 0);
    db_teardown();
    db_free_setup();
    if (rc != DB_ONE_RESULT) {
        fprintf(stderr, "coupond expire-points: the database refused or cannot be reached "
                        "(see above); run it again\n");
        return 1;
    }
    printf("expire-points: %" PRId64 " card(s) lost points whose expiry had come\n", total);
    return 0;
}

int main(int argc, char **argv)
{
    char err[512];
    struct svc_config *cfg = svc_config_new(argc, argv, err, sizeof err);
    if (cfg == NULL) {
        fprintf(stderr, "coupond: %s\n%s", err, svc_usage());
        return 2;
    }
    log_set_level(cfg->log_level);
    int rc;
    if (strcmp(cfg->command, "help") == 0) {
        fputs(svc_usage(), stdout);
        rc = 0;
    } else if (strcmp(cfg->command, "version") == 0) {
        printf("coupond %s\n", COUPOND_VERSION);
        rc = 0;
    } else if (strcmp(cfg->command, "serve") == 0)
        rc = serve(argc, argv, &cfg);
    else if (strcmp(cfg->command, "migrate") == 0)
        rc = db_migrate(cfg->db, cfg->sql_dir) == CPN_OK ? 0 : 1;
    else if (strcmp(cfg->command, "keygen") == 0)
        rc = keygen(cfg);
    else if (strcmp(cfg->command, "demo") == 0)
        rc = demo(cfg);
    else if (strcmp(cfg->command, "expire-points") == 0)
        rc = expire_points(cfg);
    else if (strcmp(cfg->command, "check-crl") == 0)
        rc = crl_check(cfg->crl, cfg->ca, CRL_CHECK_WARN_DAYS, time(NULL));
    else {
        fprintf(stderr, "coupond: unknown command '%s'\n%s", cfg->command, svc_usage());
        rc = 2;
    }
    svc_config_free(cfg);
    return rc;
}
