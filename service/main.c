/* coupond: flags and config, then one of serve (the HTTPS API until SIGINT/SIGTERM),
 * migrate (schema and stored functions) or keygen (a new signing and MAC key). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "config.h"
#include "coupon/keys.h"
#include "db.h"
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
    MHD_stop_daemon(d);
    revocation_stop();
    codes_unload();
    http_free_pems();
    db_free_setup();
    log_msg(LOG_INFO, "coupond stopped");
    return 0;
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
    else {
        fprintf(stderr, "coupond: unknown command '%s'\n%s", cfg->command, svc_usage());
        rc = 2;
    }
    svc_config_free(cfg);
    return rc;
}
