/* coupond: flags and config, then one of serve (the HTTPS API until SIGINT/SIGTERM),
 * migrate (schema and stored functions) or keygen (a new signing and MAC key). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "config.h"
#include "coupon/keys.h"
#include "db.h"
#include "db_campaigns.h"
#include "issue.h"
#include "http.h"
#include "log.h"
#include "principal.h"

static int serve(const struct svc_config *cfg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Block before any thread starts so only sigwait below sees them. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    db_set_deadline_ms(cfg->db_deadline_ms);
    if (db_setup(cfg->db) != CPN_OK)
        return 1;
    if (db_conn() == NULL)
        log_msg(LOG_WARN, "database not reachable yet; /healthz reports it until it is");
    db_teardown(); /* the main thread serves no requests */
    if (codes_load(cfg->keys_dir) != CPN_OK) {
        db_free_setup();
        return 1;
    }
    if (revocation_start(cfg->crl, cfg->ca) != CPN_OK) {
        codes_unload();
        db_free_setup();
        return 1;
    }
    struct MHD_Daemon *d = http_start(cfg);
    if (d == NULL) {
        revocation_stop();
        codes_unload();
        db_free_setup();
        return 1;
    }
    log_msg(LOG_INFO, "coupond serving https://%s:%u with %u worker threads", cfg->listen_host,
            cfg->port, cfg->threads);
    int sig = 0;
    sigwait(&set, &sig);
    log_msg(LOG_INFO, "%s received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    http_exports_stop();
    MHD_stop_daemon(d);
    revocation_stop();
    codes_unload();
    http_free_pems();
    db_free_setup();
    log_msg(LOG_INFO, "coupond stopped");
    return 0;
}

/* coupond demo: a small demo (one campaign with five coupons), once; prints the codes. */
static int demo(const struct svc_config *cfg)
{
    if (db_setup(cfg->db) != CPN_OK || codes_load(cfg->keys_dir) != CPN_OK)
        return 1;
    int rc = 1;
    char *list = NULL;
    if (db_campaign_list(0, 1, &list) == DB_ONE_RESULT && strcmp(list, "[]") != 0) {
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
    enum cpn_err err;
    if (db_campaign_create(c, &json, &err) != DB_ONE_RESULT || err != CPN_OK) {
        fprintf(stderr, "demo: cannot create the campaign\n");
        free(c);
        goto out;
    }
    free(c);
    long long id = strtoll(json + strlen("{\"id\":"), NULL, 10);
    free(json);
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

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(svc_usage(), stdout);
            return 0;
        }
    }
    char err[512];
    struct svc_config *cfg = svc_config_new(argc, argv, err, sizeof err);
    if (cfg == NULL) {
        fprintf(stderr, "coupond: %s\n%s", err, svc_usage());
        return 2;
    }
    int rc;
    if (strcmp(cfg->command, "serve") == 0)
        rc = serve(cfg);
    else if (strcmp(cfg->command, "migrate") == 0)
        rc = db_migrate(cfg->db, cfg->sql_dir) == CPN_OK ? 0 : 1;
    else if (strcmp(cfg->command, "keygen") == 0)
        rc = keygen(cfg);
    else if (strcmp(cfg->command, "demo") == 0)
        rc = demo(cfg);
    else {
        fprintf(stderr, "coupond: unknown command '%s'\n%s", cfg->command, svc_usage());
        rc = 2;
    }
    svc_config_free(cfg);
    return rc;
}
