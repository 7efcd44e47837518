/* The reload on SIGHUP, all or nothing: everything is read and checked first (the config
 * file, the server certificate and key, the client CA, the CRL, the key directory), then put
 * in force together. What a request or connection began with stays alive until it ends
 * (sref.h), so no kept connection is dropped and no request fails because of a reload. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "events_hub.h"
#include "http_export.h"
#include "issue_job.h"
#include "issue_pace.h"
#include "log.h"
#include "metrics_ops.h"
#include "notify.h"
#include "outbox.h"
#include "reload.h"
#include "revocation.h"
#include "tls_creds.h"
#include "trust.h"
#include "webhook_deliver.h"

/* What a reload has read and checked, not yet in force. */
struct staged {
    struct svc_config *cfg;
    struct tls_creds *creds;
    struct trust *trust;
    struct revocation_staged *revocation;
    struct codes_staged *keys;
};

static void staged_discard(struct staged *s)
{
    svc_config_free(s->cfg);
    tls_creds_release(s->creds);
    trust_release(s->trust);
    revocation_discard(s->revocation);
    codes_discard(s->keys);
}

/* Reads everything the new configuration names into S. Returns the number of problems (each
 * logged); every part is tried, so that one reload shows every problem. */
static int stage(int argc, char **argv, struct staged *s)
{
    char why[512];
    s->cfg = svc_config_new(argc, argv, why, sizeof why);
    if (s->cfg == NULL) {
        log_msg(LOGL_ERROR, "reload: the configuration is refused: %s", why);
        return 1;
    }
    const struct svc_config *c = s->cfg;
    int problems = 0;
    if (c->no_crl == (c->crl != NULL && c->crl[0] != '\0')) {
        log_msg(LOGL_ERROR, "reload: %s",
                c->no_crl ? "crl and no-crl contradict each other"
                          : "no revocation list: set crl, or no-crl");
        problems++;
    }
    if (tls_creds_load(c->cert, c->key, &s->creds, why, sizeof why) != CPN_OK) {
        log_msg(LOGL_ERROR, "reload: the server certificate is refused: %s", why);
        problems++;
    }
    if (trust_load(c->ca, &s->trust, why, sizeof why) != CPN_OK) {
        log_msg(LOGL_ERROR, "reload: the client CA is refused: %s", why);
        problems++;
    }
    if (problems == 0 &&
        revocation_stage(c->no_crl ? NULL : c->crl, c->ca, &s->revocation) != CPN_OK)
        problems++; /* logged by revocation_stage */
    if (codes_stage(c->keys_dir, &s->keys) != CPN_OK)
        problems++; /* logged by codes_stage */
    return problems;
}

/* Puts everything in S in force (taking it). */
static void commit(struct staged *s, struct svc_config **cfg)
{
    char line[512];
    log_set_level(s->cfg->log_level);
    log_msg(LOGL_INFO, "reload: server certificate %s",
            tls_creds_describe(s->creds, line, sizeof line));
    tls_creds_install(s->creds);
    trust_install(s->trust);
    revocation_commit(s->revocation);
    codes_commit(s->keys);
    issue_jobs_configure(s->cfg->max_issues);
    issue_pace_configure(s->cfg->issue_share);
    http_exports_configure(s->cfg->export_stall_s);
    outbox_configure(s->cfg);
    webhooks_configure(s->cfg);
    hub_configure(s->cfg);
    svc_config_free(*cfg);
    *cfg = s->cfg;
    *s = (struct staged){0};
}

int reload_run(int argc, char **argv, struct svc_config **cfg)
{
    if (notify_reloading() < 0)
        log_msg(LOGL_WARN, "cannot notify the service manager (RELOADING=1): %s", strerror(errno));
    log_msg(LOGL_INFO, "SIGHUP received: reloading the configuration%s%s, certificates and keys",
            (*cfg)->config_file != NULL ? " " : "",
            (*cfg)->config_file != NULL ? (*cfg)->config_file : "");
    struct staged s = {0};
    int problems = stage(argc, argv, &s);
    if (problems > 0) {
        staged_discard(&s);
        log_msg(LOGL_ERROR,
                "reload refused (%d problem(s), logged above): nothing changed, the "
                "configuration, certificates and keys in force stay",
                problems);
    } else {
        char restart[512];
        svc_config_restart_only(s.cfg, *cfg, restart, sizeof restart);
        if (restart[0] != '\0')
            log_msg(LOGL_WARN,
                    "reload: %s changed, which takes effect at the next restart only; "
                    "kept as it was until then",
                    restart);
        commit(&s, cfg);
        log_msg(LOGL_INFO, "reload done");
    }
    metrics_reload_done(problems == 0, time(NULL));
    if (notify_ready() < 0)
        log_msg(LOGL_WARN, "cannot notify the service manager (READY=1): %s", strerror(errno));
    return problems == 0 ? 0 : -1;
}
