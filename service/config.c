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
           "  --keys DIR           signing and MAC keys (coupond keygen --keys DIR adds one)\n"
           "  --sql DIR            schema migrations and stored functions\n"
           "  --threads N          worker threads, one database connection each\n"
           "  --max-connections N  open TLS connections at most (default 4096)\n"
           "  --idle-timeout S     close connections idle this long (default 120)\n"
           "  --outbox-poll-ms N   how often new events are published (default 50)\n"
           "  --event-retention S  keep delivered events this long (default 604800)\n"
           "  --webhook-timeout S  one webhook attempt at most (default 15)\n"
           "  --webhook-retry-max S   longest pause between webhook attempts (default 3600)\n"
           "  --webhook-give-up S  mark a subscription failing after this long (default 259200)\n"
           "  --sse-heartbeat S    heartbeat on a quiet live feed (default 15)\n";
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
    } strs[] = {{"db", &c->db},   {"cert", &c->cert},     {"key", &c->key},    {"ca", &c->ca},
                {"crl", &c->crl}, {"keys", &c->keys_dir}, {"sql", &c->sql_dir}};
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
    struct {
        const char *name;
        unsigned *slot, min, max;
    } nums[] = {{"threads", &c->threads, 1, 256},
                {"max-connections", &c->max_connections, 1, 100000},
                {"idle-timeout", &c->idle_timeout_s, 1, 86400},
                {"outbox-poll-ms", &c->outbox_poll_ms, 1, 10000},
                {"event-retention", &c->event_retention_s, 0, 366 * 86400},
                {"webhook-timeout", &c->webhook_timeout_s, 1, 300},
                {"webhook-retry-max", &c->webhook_retry_max_s, 1, 86400},
                {"webhook-give-up", &c->webhook_give_up_s, 1, 30 * 86400},
                {"sse-heartbeat", &c->sse_heartbeat_s, 1, 3600}};
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
    char line[4096];
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
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
    c->outbox_poll_ms = 50;
    c->event_retention_s = 7 * 86400;
    c->webhook_timeout_s = 15;
    c->webhook_retry_max_s = 3600;
    c->webhook_give_up_s = 72 * 3600;
    c->sse_heartbeat_s = 15;
    if (set_str(&c->command, "serve") || set_str(&c->listen_host, "127.0.0.1") ||
        set_str(&c->db, "dbname=coupond") || set_str(&c->cert, "/etc/coupond/server.pem") ||
        set_str(&c->key, "/etc/coupond/server.key") || set_str(&c->ca, "/etc/coupond/ca.pem") ||
        set_str(&c->keys_dir, "/etc/coupond/keys") || set_str(&c->sql_dir, COUPOND_SQL_DIR)) {
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
    return c;
fail:
    svc_config_free(c);
    return NULL;
}
