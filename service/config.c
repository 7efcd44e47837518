/* coupond's configuration: defaults < config file < environment < flags. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

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
           "  --config FILE        read 'key = value' settings (keys as the long options)\n"
           "  --listen HOST:PORT   where to serve HTTPS (env COUPOND_LISTEN; 127.0.0.1:8443)\n"
           "  --db CONNINFO        libpq connection string (env COUPOND_DB)\n"
           "  --cert FILE --key FILE   the server's certificate and key (PEM)\n"
           "  --ca FILE            the CA that signs client certificates\n"
           "  --crl FILE           the CA's revocation list; re-read within a second\n"
           "  --no-crl             serve without revocation checks (serve needs --crl or this)\n"
           "  --keys DIR           signing and MAC keys (coupond keygen --keys DIR adds one)\n"
           "  --sql DIR            schema migrations and stored functions\n"
           "  --ui DIR             the marketer console's files, served under /ui/\n"
           "  --threads N          worker threads, one database connection each\n"
           "  --max-connections N  open TLS connections at most (default 4096)\n"
           "  --idle-timeout S     close connections idle this long (default 120)\n"
           "  --max-issues N       coupon issues running at once; more get 503 (default 2)\n"
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

           "  --db-deadline MS     a database round trip answers 503 past this (default 5000)\n";
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

/* Applies one setting by its long-option name. Returns 0, or -1 with ERRBUF filled. */
static int apply(struct svc_config *c, const char *name, const char *value, char *errbuf,
                 size_t errlen)
{
    struct {
        const char *name;
        char **slot;
    } strs[] = {{"db", &c->db},   {"cert", &c->cert},     {"key", &c->key},     {"ca", &c->ca},
                {"crl", &c->crl}, {"keys", &c->keys_dir}, {"sql", &c->sql_dir}, {"ui", &c->ui_dir}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (strcmp(name, strs[i].name) == 0) {
            if (set_str(strs[i].slot, value) != 0) {
                snprintf(errbuf, errlen, "out of memory");
                return -1;
            }
            return 0;
        }
    }
    if (strcmp(name, "listen") == 0) {
        if (svc_parse_listen(value, &c->listen_host, &c->port) != CPN_OK) {
            snprintf(errbuf, errlen, "listen: expected HOST:PORT, got '%s'", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "no-crl") == 0) {
        if (parse_bool(value, &c->no_crl) != 0) {
            snprintf(errbuf, errlen, "no-crl: expected yes or no, got '%s'", value);
            return -1;
        }
        return 0;
    }
    struct {
        const char *name;
        unsigned *slot, min, max;
    } nums[] = {{"threads", &c->threads, 1, 256},
                {"max-connections", &c->max_connections, 1, 100000},
                {"idle-timeout", &c->idle_timeout_s, 1, 86400},
                {"max-issues", &c->max_issues, 1, 64},
                {"export-stall-timeout", &c->export_stall_s, 1, 86400},
                {"max-connections-per-address", &c->max_per_address, 0, 100000},
                {"max-unauthenticated", &c->max_unauth, 1, 100000},
                {"max-unauthenticated-per-address", &c->max_unauth_per_address, 0, 100000},
                {"handshake-deadline", &c->handshake_deadline_s, 1, 300},
                {"outbox-poll-ms", &c->outbox_poll_ms, 1, 10000},
                {"event-retention", &c->event_retention_s, 0, 366 * 86400},
                {"webhook-timeout", &c->webhook_timeout_s, 1, 300},
                {"webhook-retry-max", &c->webhook_retry_max_s, 1, 86400},
                {"webhook-give-up", &c->webhook_give_up_s, 1, 30 * 86400},
                {"sse-heartbeat", &c->sse_heartbeat_s, 1, 3600},

                {"db-deadline", &c->db_deadline_ms, 100, 600000}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strcmp(name, nums[i].name) == 0) {
            if (parse_uint(value, nums[i].min, nums[i].max, nums[i].slot) != 0) {
                snprintf(errbuf, errlen, "%s: expected a number from %u to %u, got '%s'", name,
                         nums[i].min, nums[i].max, value);
                return -1;
            }
            return 0;
        }
    }
    snprintf(errbuf, errlen, "unknown setting '%s'", name);
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int load_file(struct svc_config *c, const char *path, char *errbuf, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(errbuf, errlen, "cannot read config file %s: %s", path, strerror(errno));
        return -1;
    }
    /* Whole lines of any length (getline): a fixed buffer once read the tail of a long
     * comment as a setting of its own. */
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0) {
        ssize_t len = getline(&line, &cap, f);
        if (len < 0)
            break;
        lineno++;
        if ((size_t)len != strlen(line)) {
            snprintf(errbuf, errlen, "%s:%u: the line contains a NUL byte", path, lineno);
            rc = -1;
            break;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(errbuf, errlen, "%s:%u: expected 'key = value'", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        char inner[512];
        if (strcmp(k, "config") == 0 || apply(c, k, v, inner, sizeof inner) != 0) {
            snprintf(errbuf, errlen, "%s:%u: %s", path, lineno,
                     strcmp(k, "config") == 0 ? "config may not name another file" : inner);
            rc = -1;
        }
    }
    free(line);
    fclose(f);
    return rc;
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
    free(c);
}

struct svc_config *svc_config_new(int argc, char **argv, char *errbuf, size_t errlen)
{
    struct svc_config *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    c->port = 8443;
    c->threads = ncpu > 0 && ncpu <= 64 ? (unsigned)ncpu : 2;
    c->max_connections = 4096;
    c->idle_timeout_s = 120;
    c->max_issues = 2;
    c->export_stall_s = 60;
    c->max_per_address = 256;
    c->max_unauth = 0;                    /* not set: a quarter of max-connections, at most 256 */
    c->max_unauth_per_address = UINT_MAX; /* not set: half of max-unauthenticated */
    c->handshake_deadline_s = 5;
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
        set_str(&c->ui_dir, COUPOND_UI_DIR)) {
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    /* First pass: the command word and --config, so the file sits under env and flags. */
    int first = 1;
    if (argc > 1 && argv[1][0] != '-') {
        if (set_str(&c->command, argv[1]) != 0)
            goto fail;
        first = 2;
    }
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                snprintf(errbuf, errlen, "--config needs a file");
                goto fail;
            }
            if (load_file(c, argv[i + 1], errbuf, errlen) != 0)
                goto fail;
        }
    }
    const char *env_db = getenv("COUPOND_DB");
    if (env_db != NULL && *env_db != '\0' && apply(c, "db", env_db, errbuf, errlen) != 0)
        goto fail;
    const char *env_listen = getenv("COUPOND_LISTEN");
    if (env_listen != NULL && *env_listen != '\0' &&
        apply(c, "listen", env_listen, errbuf, errlen) != 0)
        goto fail;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            snprintf(errbuf, errlen, "unexpected argument '%s'", a);
            goto fail;
        }
        const char *name = a + 2;
        if (strcmp(name, "no-crl") == 0) {
            c->no_crl = true; /* the one flag without a value */
            continue;
        }
        const char *eq = strchr(name, '=');
        char namebuf[64];
        const char *value;
        if (eq != NULL) {
            size_t n = (size_t)(eq - name);
            if (n >= sizeof namebuf) {
                snprintf(errbuf, errlen, "unknown option '%s'", a);
                goto fail;
            }
            memcpy(namebuf, name, n);
            namebuf[n] = '\0';
            value = eq + 1;
        } else {
            if (i + 1 >= argc) {
                snprintf(errbuf, errlen, "option '%s' needs a value", a);
                goto fail;
            }
            if (strlen(name) >= sizeof namebuf) {
                snprintf(errbuf, errlen, "unknown option '%s'", a);
                goto fail;
            }
            memcpy(namebuf, name, strlen(name) + 1);
            value = argv[++i];
        }
        if (strcmp(namebuf, "config") == 0)
            continue;
        if (apply(c, namebuf, value, errbuf, errlen) != 0)
            goto fail;
    }
    if (c->max_unauth == 0) {
        c->max_unauth = c->max_connections / 4 < 256 ? c->max_connections / 4 : 256;
        if (c->max_unauth == 0)
            c->max_unauth = 1;
    } else if (c->max_unauth >= c->max_connections) {
        snprintf(errbuf, errlen,
                 "max-unauthenticated (%u) must be below max-connections (%u), so that "
                 "connections with a certificate always have room",
                 c->max_unauth, c->max_connections);
        goto fail;
    }
    if (c->max_unauth_per_address == UINT_MAX)
        c->max_unauth_per_address = c->max_unauth / 2 > 0 ? c->max_unauth / 2 : 1;
    return c;
fail:
    svc_config_free(c);
    return NULL;
}
