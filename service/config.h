/* coupond's configuration: defaults, then an optional file, then the environment
 * (COUPOND_<SETTING>: COUPOND_DB, COUPOND_LISTEN, COUPOND_LOG_LEVEL, …), then command-line
 * flags. */
#ifndef SVC_CONFIG_H
#define SVC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "coupon/err.h"
#include "log.h"

struct svc_config {
    char *command;     /* serve, migrate, keygen, demo, expire-points, check-crl; help or
                          version (-h, -V) */
    char *listen_host; /* 127.0.0.1 */
    unsigned port;     /* 8443 */
    char *db;          /* libpq conninfo */
    char *cert;        /* server certificate (PEM) */
    char *key;         /* server private key (PEM) */
    char *ca;          /* CA that signs client certificates */
    char *crl;         /* CRL file, re-read within a second of a change; NULL with no_crl */
    bool no_crl;       /* --no-crl: serve without revocation checks (needs saying) */
    char *keys_dir;    /* signing and MAC keys */
    char *sql_dir;     /* sql/migrations and sql/functions */
    char *ui_dir;      /* the console's assets (index.html, JS, CSS) */
    unsigned threads;  /* worker threads, each with its own database connection */
    unsigned max_connections;
    unsigned idle_timeout_s;
    unsigned max_issues;      /* issues running at once; a further one is refused (503) */
    unsigned group_commit;    /* redemptions per transaction at most (0, 1: each alone) */
    unsigned group_threads;   /* group commit's threads (and database connections) */
    unsigned issue_share;     /* percent of the time an issue works, pausing between pieces */
    unsigned export_stall_s;  /* an export whose client reads nothing this long is cancelled */
    unsigned max_per_address; /* connections from one address (IPv6: one /64); 0 = any */
    unsigned max_unauth; /* connections without a verified certificate, in all; < max_connections */
    unsigned max_unauth_per_address; /* … from one address; 0 = any */
    unsigned handshake_deadline_s; /* from accept to the first request answered or authenticated */
    enum log_level log_level;      /* records below it are dropped (--log-level) */
    unsigned db_deadline_ms;       /* a round trip to PostgreSQL answers 503 past this (5000) */
    unsigned drain_delay_s;   /* SIGTERM: readiness 503 this long before new connections stop */
    unsigned drain_timeout_s; /* SIGTERM: then requests in flight get this long to finish */
    char *config_file;        /* the file read (--config or COUPOND_CONFIG), or NULL */
    /* events, webhooks and the live feed (docs/webhooks.md) */
    unsigned outbox_poll_ms;      /* how often the publisher looks for new events (50) */
    unsigned event_retention_s;   /* delivered events are kept this long (604800: 7 days) */
    unsigned webhook_timeout_s;   /* one delivery attempt at most (15) */
    unsigned webhook_retry_max_s; /* the longest pause between two attempts (3600) */
    unsigned webhook_give_up_s;   /* failing this long marks a subscription failing (72 h) */
    unsigned sse_heartbeat_s;     /* a comment line this often on a quiet live feed (15) */
};

/* Builds the configuration from ARGV (a command word, then options read with getopt_long,
 * --config FILE among them), the environment (COUPOND_ and the setting's name in upper case
 * with '_' for '-', for every setting; COUPOND_CONFIG names the file when no --config does)
 * and defaults into a new struct the caller frees with svc_config_free. It may be called
 * again with the same arguments (a reload reads the file and the environment afresh). -h/--help or
 * -V/--version ends the reading with the command "help" or "version". On error, NULL is returned
 * and one line explaining it has been written to ERRBUF. */
struct svc_config *svc_config_new(int argc, char **argv, char *errbuf, size_t errlen);

/* Frees CFG and its strings; NULL is a no-op. */
void svc_config_free(struct svc_config *cfg);

/* Splits "host:port" (or "[v6]:port", or ":port") into a new host string and a port.
 * Returns CPN_OK, or CPN_ERR_BAD_REQUEST and leaves the outputs unchanged. */
enum cpn_err svc_parse_listen(const char *text, char **host, unsigned *port) CPN_MUST_CHECK;

/* The usage text. */
const char *svc_usage(void);

/* For a reload from CUR (in force) to NEXT: writes into OUT (LEN bytes) the names of the
 * settings that differ and that a reload cannot apply (listen, db, sql, ui, threads,
 * connection limits, time-outs the daemon took at start), separated by ", " ("" when none
 * differ), and sets them in NEXT back to CUR's values, so that NEXT says what is in force. */
void svc_config_restart_only(struct svc_config *next, const struct svc_config *cur, char *out,
                             size_t len);

#endif
