/* coupond's configuration: defaults < config file < environment < flags. One table names
 * every setting: its long option (getopt_long) is also its key in the config file and, as
 * COUPOND_<NAME>, its environment variable; the table also says which settings a reload
 * (SIGHUP) applies. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db_redeem_group.h"
#include "issue_pace.h"
#include "coupon/kv_file.h"

#ifndef COUPOND_SQL_DIR
#define COUPOND_SQL_DIR "/usr/share/coupond/sql"
#endif
#ifndef COUPOND_UI_DIR
#define COUPOND_UI_DIR "/usr/share/coupond/ui"
#endif

const char *svc_usage(void)
{
    return "usage: coupond [serve|migrate|keygen|demo|expire-points|check-crl] [options]\n"
           "       coupond -h|--help|-V|--version\n"
           "Every option may also be set as COUPOND_<OPTION> in the environment (--log-level:\n"
           "COUPOND_LOG_LEVEL) and as 'option = value' in the config file; flags win over the\n"
           "environment, the environment over the file. SIGHUP reloads (man coupond).\n"
           "  --log-level LEVEL    debug, info (the default), warn or error\n"
           "  --config FILE        read 'key = value' settings (keys as the long options)\n"
           "  --listen HOST:PORT   where to serve HTTPS (127.0.0.1:8443)\n"
           "  --db CONNINFO        libpq connection string\n"
           "  --cert FILE --key FILE   the server's certificate and key (PEM)\n"
           "  --ca FILE            the CA that signs client certificates\n"
           "  --crl FILE           the CA's revocation list; re-read within a second\n"
           "  --no-crl             serve without revocation checks (serve needs --crl or this)\n"
           "  --keys DIR           signing and MAC keys (coupond keygen --keys DIR adds one)\n"
           "  --sql DIR            schema migrations and stored functions\n"
           "  --ui DIR             the marketer console's files, served under /ui/\n"
           "  --threads N          worker threads, one database connection each (8 per core, "
           "16-64)\n"
           "  --max-connections N  open TLS connections at most (default 4096)\n"
           "  --idle-timeout S     close connections idle this long (default 120)\n"
           "  --max-issues N       coupon issues running at once; more get 503 (default 2)\n"
           "  --issue-share P      percent of the time an issue works, pausing in between so\n"
           "                       tills' redemptions keep their speed (10-100, default 33)\n"
           "  --group-commit N     book up to N plain redemptions of several tills in one\n"
           "                       transaction (2-64; 0 or 1: each alone; default 32)\n"
           "  --group-threads N    threads (and database connections) booking the groups\n"
           "                       (1-16, default 2; checks have one more of their own)\n"
           "  --export-stall-timeout S  cancel an export its client stopped reading (default "
           "60)\n"
           "  --max-connections-per-address N   from one IP address or IPv6 /64 (default 256;\n"
           "                       0: no limit, e.g. behind a load balancer)\n"
           "  --max-unauthenticated N   connections without a verified client certificate\n"
           "                       (default: a quarter of max-connections, at most 256);\n"
           "                       when full, the oldest such one is closed\n"
           "  --max-unauthenticated-per-address N   of those from one address (default: half\n"
           "                       of max-unauthenticated; 0: no limit)\n"
           "  --handshake-deadline S   TLS handshake and first request within S seconds of\n"
           "                       connecting, however busy the client is (default 5)\n"
           "  --outbox-poll-ms N   how often new events are published (default 50)\n"
           "  --event-retention S  keep delivered events this long (default 604800)\n"
           "  --webhook-timeout S  one webhook attempt at most (default 15)\n"
           "  --webhook-retry-max S   longest pause between webhook attempts (default 3600)\n"
           "  --webhook-give-up S  mark a subscription failing after this long (default 259200)\n"
           "  --sse-heartbeat S    heartbeat on a quiet live feed (default 15)\n"

           "  --db-deadline MS     a database round trip answers 503 past this (default 5000)\n"
           "  --drain-delay S      on SIGTERM, answer /readyz 503 this long before refusing new\n"
           "                       connections (default 0; a load balancer's check interval)\n"
           "  --drain-timeout S    on SIGTERM, wait this long for requests in flight (default "
           "20)\n";
}

static int set_str(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

static int parse_uint(const char *text, unsigned min, unsigned max, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < (long)min || v > (long)max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
                                                                                "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

enum cpn_err svc_parse_listen(const char *text, char **host, unsigned *port)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL)
        return CPN_ERR_BAD_REQUEST;
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    unsigned p;
    if (parse_uint(colon + 1, 1, 65535, &p) != 0)
        return CPN_ERR_BAD_REQUEST;
    char *copy = hlen == 0 ? strdup("0.0.0.0") : strndup(h, hlen);
    if (copy == NULL)
        return CPN_ERR_NO_MEMORY;
    free(*host);
    *host = copy;
    *port = p;
    return CPN_OK;
}

/* How a setting's value is read. */
enum setting_kind {
    SET_STRING,    /* a copy of the text */
    SET_NUMBER,    /* a whole number from MIN to MAX */
    SET_BOOL,      /* yes/no; the flag alone means yes */
    SET_LISTEN,    /* HOST:PORT into listen_host and port */
    SET_LOG_LEVEL, /* debug, info, warn or error */
    SET_CONFIG,    /* a config file to read (flags only) */
};

/* Every setting: NAME is its long option and its key in the config file; OFFSET says where it
 * goes in struct svc_config (strings, numbers, booleans). */
static const struct setting {
    const char *name;
    enum setting_kind kind;
    size_t offset;
    unsigned min, max;
    bool reloads; /* a reload applies it; the others need a restart */
} settings[] = {
    {"config", SET_CONFIG, 0, 0, 0, true},
    {"listen", SET_LISTEN, 0, 0, 0, false},
    {"log-level", SET_LOG_LEVEL, 0, 0, 0, true},
    {"no-crl", SET_BOOL, offsetof(struct svc_config, no_crl), 0, 0, true},
    {"db", SET_STRING, offsetof(struct svc_config, db), 0, 0, false},
    {"cert", SET_STRING, offsetof(struct svc_config, cert), 0, 0, true},
    {"key", SET_STRING, offsetof(struct svc_config, key), 0, 0, true},
    {"ca", SET_STRING, offsetof(struct svc_config, ca), 0, 0, true},
    {"crl", SET_STRING, offsetof(struct svc_config, crl), 0, 0, true},
    {"keys", SET_STRING, offsetof(struct svc_config, keys_dir), 0, 0, true},
    {"sql", SET_STRING, offsetof(struct svc_config, sql_dir), 0, 0, false},
    {"ui", SET_STRING, offsetof(struct svc_config, ui_dir), 0, 0, false},
    {"threads", SET_NUMBER, offsetof(struct svc_config, threads), 1, 256, false},
    {"max-connections", SET_NUMBER, offsetof(struct svc_config, max_connections), 1, 100000, false},
    {"idle-timeout", SET_NUMBER, offsetof(struct svc_config, idle_timeout_s), 1, 86400, false},
    {"max-issues", SET_NUMBER, offsetof(struct svc_config, max_issues), 1, 64, true},
    {"issue-share", SET_NUMBER, offsetof(struct svc_config, issue_share), ISSUE_SHARE_MIN,
     ISSUE_SHARE_MAX, true},
    {"group-commit", SET_NUMBER, offsetof(struct svc_config, group_commit), 0, DB_GROUP_MAX, false},
    {"group-threads", SET_NUMBER, offsetof(struct svc_config, group_threads), 1,
     DB_GROUP_THREADS_MAX, false},
    {"export-stall-timeout", SET_NUMBER, offsetof(struct svc_config, export_stall_s), 1, 86400,
     true},

    {"max-connections-per-address", SET_NUMBER, offsetof(struct svc_config, max_per_address), 0,
     100000, false},
    {"max-unauthenticated", SET_NUMBER, offsetof(struct svc_config, max_unauth), 1, 100000, false},
    {"max-unauthenticated-per-address", SET_NUMBER,
     offsetof(struct svc_config, max_unauth_per_address), 0, 100000, false},
    {"handshake-deadline", SET_NUMBER, offsetof(struct svc_config, handshake_deadline_s), 1, 300,
     false},
    {"outbox-poll-ms", SET_NUMBER, offsetof(struct svc_config, outbox_poll_ms), 1, 10000, true},
    {"event-retention", SET_NUMBER, offsetof(struct svc_config, event_retention_s), 0, 366 * 86400,
     true},
    {"webhook-timeout", SET_NUMBER, offsetof(struct svc_config, webhook_timeout_s), 1, 300, true},
    {"webhook-retry-max", SET_NUMBER, offsetof(struct svc_config, webhook_retry_max_s), 1, 86400,
     true},
    {"webhook-give-up", SET_NUMBER, offsetof(struct svc_config, webhook_give_up_s), 1, 30 * 86400,
     true},
    {"sse-heartbeat", SET_NUMBER, offsetof(struct svc_config, sse_heartbeat_s), 1, 3600, true},

    {"db-deadline", SET_NUMBER, offsetof(struct svc_config, db_deadline_ms), 100, 600000, false},
    {"drain-delay", SET_NUMBER, offsetof(struct svc_config, drain_delay_s), 0, 3600, true},
    {"drain-timeout", SET_NUMBER, offsetof(struct svc_config, drain_timeout_s), 1, 3600, true},
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

/* The setting called NAME, or NULL. */
static const struct setting *setting_named(const char *name)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0)
            return &settings[i];
    return NULL;
}

/* Applies VALUE to setting S of C (not SET_CONFIG). Returns 0, or -1 with ERRBUF filled. */
static int apply(struct svc_config *c, const struct setting *s, const char *value, char *errbuf,
                 size_t errlen)
{
    char *slot = (char *)c + s->offset;
    switch (s->kind) {
    case SET_STRING:
        if (set_str((char **)(void *)slot, value) != 0) {
            snprintf(errbuf, errlen, "out of memory");
            return -1;
        }
        return 0;
    case SET_NUMBER:
        if (parse_uint(value, s->min, s->max, (unsigned *)(void *)slot) == 0)
            return 0;
        snprintf(errbuf, errlen, "%s: expected a number from %u to %u, got '%s'", s->name, s->min,
                 s->max, value);
        return -1;
    case SET_BOOL:
        if (parse_bool(value, (bool *)(void *)slot) == 0)
            return 0;
        snprintf(errbuf, errlen, "%s: expected yes or no, got '%s'", s->name, value);
        return -1;
    case SET_LISTEN:
        if (svc_parse_listen(value, &c->listen_host, &c->port) == CPN_OK)
            return 0;
        snprintf(errbuf, errlen, "listen: expected HOST:PORT, got '%s'", value);
        return -1;
    case SET_LOG_LEVEL:
        if (log_level_parse(value, &c->log_level) == 0)
            return 0;
        snprintf(errbuf, errlen, "log-level: expected debug, info, warn or error, got '%s'", value);
        return -1;
    case SET_CONFIG:
        break;
    }
    snprintf(errbuf, errlen, "%s may not be set here", s->name);
    return -1;
}

/* One setting of the config file (cpn_kv_fn): by its long option's name. */
static int file_setting(void *ctx, const char *key, const char *value, unsigned lineno, char *msg,
                        size_t msglen)
{
    (void)lineno;
    const struct setting *s = setting_named(key);
    if (s == NULL) {
        snprintf(msg, msglen, "unknown setting '%s'", key);
        return -1;
    }
    if (s->kind == SET_CONFIG) {
        snprintf(msg, msglen, "config may not name another file");
        return -1;
    }
    return apply(ctx, s, value, msg, msglen);
}

void svc_config_free(struct svc_config *c)
{
    if (c == NULL)
        return;
    free(c->command);
    free(c->listen_host);
    free(c->db);
    free(c->cert);
    free(c->key);
    free(c->ca);
    free(c->crl);
    free(c->keys_dir);
    free(c->sql_dir);
    free(c->ui_dir);
    free(c->config_file);
    free(c);
}

/* The defaults, before any file, variable or flag. Returns 0, or -1 when out of memory. */
static int set_defaults(struct svc_config *c)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    c->port = 8443;
    /* Worker threads, each with its database connection and one request at a time: eight per
     * processor, at least 16 and at most 64. A durable commit waits for its WAL flush; with
     * as many commits in flight as this, PostgreSQL's group commit flushes several at once
     * (docs/operations.md, "Sizing": pgbench's minimal redemption ran 2.5 times as fast at 8
     * clients as at 2 on 2 cores), while a worker waiting for its flush costs no CPU. A worker
     * spends part of each request outside its commit (TLS, HTTP, JSON), so it takes about
     * twice as many workers as pgbench clients to keep as many commits in flight: on 2 cores
     * 16 workers redeemed 12 % more than 8 (five interleaved pairs, every one in favour). */
    long workers = ncpu > 0 ? 8 * ncpu : 16;
    c->threads = workers < 16 ? 16u : workers > 64 ? 64u : (unsigned)workers;
    c->max_connections = 4096;
    c->idle_timeout_s = 120;
    c->max_issues = 2;
    /* Group commit on: with connections spread over the workers (acceptor.c) it booked
     * 1.6 times as many redemptions as each alone (docs/operations.md, "Group commit"). */
    c->group_commit = 32;
    c->group_threads = 2;
    c->issue_share = ISSUE_SHARE_DEFAULT;
    c->export_stall_s = 60;
    c->max_per_address = 256;
    c->max_unauth = 0;                    /* not set: a quarter of max-connections, at most 256 */
    c->max_unauth_per_address = UINT_MAX; /* not set: half of max-unauthenticated */
    c->handshake_deadline_s = 5;
    c->log_level = LOGL_INFO;
    c->drain_delay_s = 0;
    c->drain_timeout_s = 20;
    c->db_deadline_ms = 5000;
    c->outbox_poll_ms = 50;
    c->event_retention_s = 7 * 86400;
    c->webhook_timeout_s = 15;
    c->webhook_retry_max_s = 3600;
    c->webhook_give_up_s = 72 * 3600;
    c->sse_heartbeat_s = 15;
    if (set_str(&c->command, "serve") || set_str(&c->listen_host, "127.0.0.1") ||
        set_str(&c->db, "dbname=coupond") || set_str(&c->cert, "/etc/coupond/server.pem") ||
        set_str(&c->key, "/etc/coupond/server.key") || set_str(&c->ca, "/etc/coupond/ca.pem") ||
        set_str(&c->keys_dir, "/etc/coupond/keys") || set_str(&c->sql_dir, COUPOND_SQL_DIR) ||
        set_str(&c->ui_dir, COUPOND_UI_DIR))
        return -1;
    return 0;
}

/* One option as given: the setting and its value (NULL: a flag alone). */
struct given {
    const struct setting *setting;
    const char *value;
};

/* Reads the options of ARGV (ARGC entries, ARGV[0] not an option) with getopt_long into GIVEN
 * (room for ARGC), in order; -h/--help and -V/--version set C's command to "help" or
 * "version" and end the reading. Returns the number read, or -1 with ERRBUF filled. */
static int read_options(struct svc_config *c, int argc, char **argv, struct given *given,
                        char *errbuf, size_t errlen)
{
    struct option longopts[N_SETTINGS + 3];
    for (size_t i = 0; i < N_SETTINGS; i++)
        longopts[i] = (struct option){
            settings[i].name, settings[i].kind == SET_BOOL ? optional_argument : required_argument,
            NULL, 256 + (int)i};
    longopts[N_SETTINGS] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[N_SETTINGS + 1] = (struct option){"version", no_argument, NULL, 'V'};
    longopts[N_SETTINGS + 2] = (struct option){NULL, 0, NULL, 0};
    int n = 0;
    opterr = 0;
    optind = 0; /* glibc: start afresh (svc_config_new may run more than once) */
    for (;;) {
        int prev = optind > 0 ? optind : 1;
        int opt = getopt_long(argc, argv, "+:hV", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == 'h' || opt == 'V')
            return set_str(&c->command, opt == 'h' ? "help" : "version") == 0 ? 0 : -1;
        if (opt == ':' || opt == '?') {
            snprintf(errbuf, errlen,
                     opt == ':' ? "option '%s' needs a value" : "unknown option '%s'",
                     argv[prev < argc ? prev : argc - 1]);
            return -1;
        }
        given[n++] = (struct given){&settings[opt - 256], optarg};
    }
    if (optind < argc) {
        snprintf(errbuf, errlen, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    return n;
}

/* The environment variable of setting S: COUPOND_ and its name in upper case, '_' for '-'. */
static void env_name(const struct setting *s, char *out, size_t len)
{
    int n = snprintf(out, len, "COUPOND_%s", s->name);
    for (int i = 8; n > 0 && i < n && (size_t)i < len; i++)
        out[i] = out[i] == '-' ? '_' : (char)toupper((unsigned char)out[i]);
}

/* The value COUPOND_<NAME> of setting S gives, or NULL when it is unset or empty. */
static const char *env_value(const struct setting *s)
{
    char var[64];
    env_name(s, var, sizeof var);
    const char *v = getenv(var);
    return v != NULL && *v != '\0' ? v : NULL;
}

/* What the environment sets, between the config file and the flags. Returns 0 or -1. */
static int apply_environment(struct svc_config *c, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const char *v = settings[i].kind != SET_CONFIG ? env_value(&settings[i]) : NULL;
        if (v != NULL && apply(c, &settings[i], v, errbuf, errlen) != 0) {
            char var[64];
            env_name(&settings[i], var, sizeof var);
            size_t used = strlen(errbuf);
            snprintf(errbuf + used, errlen - used, " (from %s)", var);
            return -1;
        }
    }
    return 0;
}

/* True when setting S has the same value in A and B. */
static bool same_value(const struct setting *s, const struct svc_config *a,
                       const struct svc_config *b)
{
    const char *pa = (const char *)a + s->offset, *pb = (const char *)b + s->offset;
    switch (s->kind) {
    case SET_STRING: {
        const char *x = *(char *const *)(const void *)pa, *y = *(char *const *)(const void *)pb;
        return (x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0);
    }
    case SET_NUMBER:
        return *(const unsigned *)(const void *)pa == *(const unsigned *)(const void *)pb;
    case SET_BOOL:
        return *(const bool *)(const void *)pa == *(const bool *)(const void *)pb;
    case SET_LISTEN:
        return a->port == b->port && strcmp(a->listen_host, b->listen_host) == 0;
    case SET_LOG_LEVEL:
        return a->log_level == b->log_level;
    case SET_CONFIG:
        break;
    }
    return true;
}

/* Sets setting S of TO to its value in FROM. Returns 0, or -1 when out of memory. */
static int copy_value(const struct setting *s, struct svc_config *to, const struct svc_config *from)
{
    char *pt = (char *)to + s->offset;
    const char *pf = (const char *)from + s->offset;
    switch (s->kind) {
    case SET_STRING: {
        const char *v = *(char *const *)(const void *)pf;
        if (v == NULL) {
            free(*(char **)(void *)pt);
            *(char **)(void *)pt = NULL;
            return 0;
        }
        return set_str((char **)(void *)pt, v);
    }
    case SET_NUMBER:
        *(unsigned *)(void *)pt = *(const unsigned *)(const void *)pf;
        return 0;
    case SET_BOOL:
        *(bool *)(void *)pt = *(const bool *)(const void *)pf;
        return 0;
    case SET_LISTEN:
        to->port = from->port;
        return set_str(&to->listen_host, from->listen_host);
    case SET_LOG_LEVEL:
        to->log_level = from->log_level;
        return 0;
    case SET_CONFIG:
        break;
    }
    return 0;
}

void svc_config_restart_only(struct svc_config *next, const struct svc_config *cur, char *out,
                             size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (settings[i].reloads || same_value(&settings[i], next, cur))
            continue;
        int n = used < len ? snprintf(out + used, len - used, "%s%s", used > 0 ? ", " : "",
                                      settings[i].name)
                           : 0;
        if (n > 0)
            used += (size_t)n;
        /* Out of memory: NEXT keeps the new value, which OUT names anyway. */
        (void)copy_value(&settings[i], next, cur);
    }
}

/* Settings that follow from others when not given. Returns 0, or -1 with ERRBUF filled. */
static int derive(struct svc_config *c, char *errbuf, size_t errlen)
{
    if (c->max_unauth == 0) {
        c->max_unauth = c->max_connections / 4 < 256 ? c->max_connections / 4 : 256;
        if (c->max_unauth == 0)
            c->max_unauth = 1;
    } else if (c->max_unauth >= c->max_connections) {
        snprintf(errbuf, errlen,
                 "max-unauthenticated (%u) must be below max-connections (%u), so that "
                 "connections with a certificate always have room",
                 c->max_unauth, c->max_connections);
        return -1;
    }
    if (c->max_unauth_per_address == UINT_MAX)
        c->max_unauth_per_address = c->max_unauth / 2 > 0 ? c->max_unauth / 2 : 1;
    return 0;
}

struct svc_config *svc_config_new(int argc, char **argv, char *errbuf, size_t errlen)
{
    struct svc_config *c = calloc(1, sizeof *c);
    struct given *given = calloc((size_t)argc + 1, sizeof *given);
    if (c == NULL || given == NULL || set_defaults(c) != 0) {
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    /* The command word, then the options (getopt_long sees the command as the program). */
    int first = argc > 1 && argv[1][0] != '-' ? 1 : 0;
    if (first == 1 && set_str(&c->command, argv[1]) != 0)
        goto fail;
    int n = read_options(c, argc - first, argv + first, given, errbuf, errlen);
    if (n < 0)
        goto fail;
    if (strcmp(c->command, "help") == 0 || strcmp(c->command, "version") == 0) {
        free(given);
        return c;
    }
    /* The config file sits under the environment and the flags; a --config flag names it,
     * else COUPOND_CONFIG. */
    bool flagged = false;
    for (int i = 0; i < n; i++) {
        if (given[i].setting->kind != SET_CONFIG)
            continue;
        flagged = true;
        if (set_str(&c->config_file, given[i].value) != 0 ||
            cpn_kv_file_read(given[i].value, file_setting, c, errbuf, errlen) != CPN_OK)
            goto fail;
    }
    const char *file = flagged ? NULL : env_value(setting_named("config"));
    if (file != NULL && (set_str(&c->config_file, file) != 0 ||
                         cpn_kv_file_read(file, file_setting, c, errbuf, errlen) != CPN_OK))
        goto fail;
    if (apply_environment(c, errbuf, errlen) != 0)
        goto fail;
    for (int i = 0; i < n; i++) {
        const struct setting *s = given[i].setting;
        const char *v = given[i].value != NULL ? given[i].value : "yes"; /* --no-crl */
        if (s->kind != SET_CONFIG && apply(c, s, v, errbuf, errlen) != 0)
            goto fail;
    }
    if (derive(c, errbuf, errlen) != 0)
        goto fail;
    free(given);
    return c;
fail:
    free(given);
    svc_config_free(c);
    return NULL;
}
