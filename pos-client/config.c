/* Loads the till's configuration: defaults, then a `key = value` file (read by libcoupon's
 * cpn_kv_file_read), then POS_* environment variables, then checks that what the till needs to
 * talk to coupond is there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coupon/kv_file.h"
#include "pos/config.h"
#include "pos/i18n.h"
#include "pos/money.h"

struct pos_config *pos_config_new(void)
{
    struct pos_config *cfg = calloc(1, sizeof *cfg);
    if (cfg == NULL)
        return NULL;
    cfg->timeout_ms = POS_DEFAULT_TIMEOUT_MS;
    cfg->connect_timeout_ms = POS_DEFAULT_CONNECT_TIMEOUT_MS;
    cfg->journal_max_bytes = POS_DEFAULT_JOURNAL_MAX_BYTES;
    cfg->offline_max_discount_cents = POS_DEFAULT_OFFLINE_MAX_DISCOUNT_CENTS;
    cfg->offline_max_count = POS_DEFAULT_OFFLINE_MAX_COUNT;
    cfg->offline_max_hours = POS_DEFAULT_OFFLINE_MAX_HOURS;
    return cfg;
}

void pos_config_free(struct pos_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->url);
    free(cfg->ca);
    free(cfg->cert);
    free(cfg->key);
    free(cfg->state_dir);
    free(cfg->printer);
    free(cfg->receipt);
    free(cfg);
}

/* Replaces the string *SLOT with a copy of VALUE. Returns CPN_OK or CPN_ERR_NO_MEMORY (then *SLOT
 * is unchanged). */
static enum cpn_err set_string(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return CPN_ERR_NO_MEMORY;
    free(*slot);
    *slot = copy;
    return CPN_OK;
}

/* One settable item: its name in the file, its environment variable, and where it goes (by
 * offset into struct pos_config): a string slot when UNIT is NULL, an amount of euros (kept in
 * cents) from MIN to MAX cents when UNIT is "EUR", else a whole number of UNIT ("milliseconds",
 * "bytes") from MIN to MAX. */
struct setting {
    const char *file_key;
    const char *env;
    size_t offset;
    const char *unit;
    long min, max;
};

/* Parses VALUE as a whole number in S's range into *OUT. Returns CPN_OK, or CPN_ERR_BAD_REQUEST
 * with a message naming NAME (then *OUT is unchanged). */
static enum cpn_err set_number(long *out, const struct setting *s, const char *value,
                               const char *name, char *msg, size_t msg_size)
{
    if (strcmp(s->unit, "EUR") == 0) {
        int64_t cents;
        if (pos_money_parse(value, &cents) != CPN_OK || cents < s->min || cents > s->max) {
            char low[POS_MONEY_SIZE], high[POS_MONEY_SIZE];
            snprintf(msg, msg_size, _("%s must be an amount of euros from %s to %s, not '%s'"),
                     name, pos_money_format(s->min, low), pos_money_format(s->max, high), value);
            return CPN_ERR_BAD_REQUEST;
        }
        *out = (long)cents;
        return CPN_OK;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < s->min || v > s->max) {
        snprintf(msg, msg_size, _("%s must be a whole number of %s from %ld to %ld, not '%s'"),
                 name, _(s->unit), s->min, s->max, value);
        return CPN_ERR_BAD_REQUEST;
    }
    *out = v;
    return CPN_OK;
}

static const struct setting settings[] = {
    {"url", "POS_URL", offsetof(struct pos_config, url), NULL, 0, 0},
    {"ca", "POS_CA", offsetof(struct pos_config, ca), NULL, 0, 0},
    {"cert", "POS_CERT", offsetof(struct pos_config, cert), NULL, 0, 0},
    {"key", "POS_KEY", offsetof(struct pos_config, key), NULL, 0, 0},
    {"state", "POS_STATE", offsetof(struct pos_config, state_dir), NULL, 0, 0},
    {"timeout_ms", "POS_TIMEOUT_MS", offsetof(struct pos_config, timeout_ms), N_("milliseconds"), 1,
     POS_MAX_TIMEOUT_MS},
    {"connect_timeout_ms", "POS_CONNECT_TIMEOUT_MS",
     offsetof(struct pos_config, connect_timeout_ms), N_("milliseconds"), 1, POS_MAX_TIMEOUT_MS},
    {"journal_max_bytes", "POS_JOURNAL_MAX_BYTES", offsetof(struct pos_config, journal_max_bytes),
     N_("bytes"), POS_MIN_JOURNAL_MAX_BYTES, POS_MAX_JOURNAL_MAX_BYTES},
    {"offline_max_discount", "POS_OFFLINE_MAX_DISCOUNT",
     offsetof(struct pos_config, offline_max_discount_cents), "EUR", 0,
     POS_MAX_OFFLINE_MAX_DISCOUNT_CENTS},
    {"offline_max_count", "POS_OFFLINE_MAX_COUNT", offsetof(struct pos_config, offline_max_count),
     N_("redemptions"), 0, POS_MAX_OFFLINE_MAX_COUNT},
    {"offline_max_hours", "POS_OFFLINE_MAX_HOURS", offsetof(struct pos_config, offline_max_hours),
     N_("hours"), 0, POS_MAX_OFFLINE_MAX_HOURS},
    {"printer", "POS_PRINTER", offsetof(struct pos_config, printer), NULL, 0, 0},
    {"receipt", "POS_RECEIPT", offsetof(struct pos_config, receipt), NULL, 0, 0},
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])
#define KNOWN_KEYS                                                                                 \
    "url, ca, cert, key, state, timeout_ms, connect_timeout_ms, journal_max_bytes, "               \
    "offline_max_discount, offline_max_count, offline_max_hours, printer, receipt"

/* Stores VALUE into CFG for setting S; NAME (the key or variable) is for messages. Returns
 * CPN_OK, CPN_ERR_BAD_REQUEST (message in MSG, without saying where the value came from) or
 * CPN_ERR_NO_MEMORY. */
static enum cpn_err apply(struct pos_config *cfg, const struct setting *s, const char *value,
                          const char *name, char *msg, size_t msg_size)
{
    char *base = (char *)cfg;
    if (s->unit != NULL)
        return set_number((long *)(void *)(base + s->offset), s, value, name, msg, msg_size);
    return set_string((char **)(void *)(base + s->offset), value);
}

/* What the file reader's callback keeps between lines: the configuration it fills, and an error
 * that is not the line's fault (out of memory). */
struct file_ctx {
    struct pos_config *cfg;
    enum cpn_err err;
};

/* cpn_kv_file_read()'s callback: applies the setting KEY = VALUE of line LINENO to the
 * configuration. Returns 0, or -1 with one sentence in MSG (libcoupon puts "FILE:LINE: " in
 * front of it). */
static int file_setting(void *ctx, const char *key, const char *value, unsigned lineno, char *msg,
                        size_t msg_size)
{
    struct file_ctx *fc = ctx;
    (void)lineno;
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (strcmp(settings[i].file_key, key) != 0)
            continue;
        if (*value == '\0') {
            snprintf(msg, msg_size, _("'%s' has no value"), key);
            return -1;
        }
        fc->err = apply(fc->cfg, &settings[i], value, key, msg, msg_size);
        return fc->err == CPN_OK ? 0 : -1;
    }
    snprintf(msg, msg_size, _("unknown key '%.60s' (known: %s)"), key, KNOWN_KEYS);
    fc->err = CPN_ERR_BAD_REQUEST;
    return -1;
}

enum cpn_err pos_config_read_file(struct pos_config *cfg, const char *path, bool required,
                                  char *msg, size_t msg_size)
{
    if (!required && access(path, F_OK) != 0 && errno == ENOENT)
        return CPN_OK;
    struct file_ctx fc = {.cfg = cfg, .err = CPN_OK};
    enum cpn_err err = cpn_kv_file_read(path, file_setting, &fc, msg, msg_size);
    if (fc.err == CPN_ERR_NO_MEMORY) {
        snprintf(msg, msg_size, _("out of memory while reading %s"), path);
        return CPN_ERR_NO_MEMORY;
    }
    return err;
}

enum cpn_err pos_config_apply_env(struct pos_config *cfg, char *msg, size_t msg_size)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const char *value = getenv(settings[i].env);
        if (value == NULL || *value == '\0')
            continue;
        char why[512];
        enum cpn_err err = apply(cfg, &settings[i], value, settings[i].env, why, sizeof why);
        if (err == CPN_ERR_NO_MEMORY)
            snprintf(msg, msg_size, "%s", _("out of memory while reading the environment"));
        else if (err != CPN_OK)
            snprintf(msg, msg_size, "%s: %s", _("environment"), why);
        if (err != CPN_OK)
            return err;
    }
    return CPN_OK;
}

/* Sets CFG's state directory to the default, if it has none. Returns CPN_OK (also when no
 * default can be found: then state_dir stays NULL) or CPN_ERR_NO_MEMORY. */
static enum cpn_err default_state_dir(struct pos_config *cfg)
{
    if (cfg->state_dir != NULL)
        return CPN_OK;
    const char *base = getenv("XDG_STATE_HOME");
    const char *suffix = "/pos-client";
    if (base == NULL || base[0] != '/') {
        base = getenv("HOME");
        suffix = "/.local/state/pos-client";
        if (base == NULL || base[0] != '/')
            return CPN_OK;
    }
    size_t blen = strlen(base);
    while (blen > 1 && base[blen - 1] == '/')
        blen--;
    size_t slen = strlen(suffix);
    char *dir = malloc(blen + slen + 1);
    if (dir == NULL)
        return CPN_ERR_NO_MEMORY;
    memcpy(dir, base, blen);
    memcpy(dir + blen, suffix, slen + 1);
    cfg->state_dir = dir;
    return CPN_OK;
}

enum cpn_err pos_config_finish(struct pos_config *cfg, char *msg, size_t msg_size)
{
    if (default_state_dir(cfg) != CPN_OK) {
        snprintf(msg, msg_size, "%s", _("out of memory"));
        return CPN_ERR_NO_MEMORY;
    }
    if (cfg->url == NULL) {
        snprintf(msg, msg_size, "%s",
                 _("no service URL configured: set 'url' in the configuration file or POS_URL"));
        return CPN_ERR_BAD_REQUEST;
    }
    if (strncmp(cfg->url, "https://", 8) != 0 || cfg->url[8] == '\0' || cfg->url[8] == '/') {
        snprintf(msg, msg_size,
                 _("the service URL must start with https:// and name a host, not '%s'"), cfg->url);
        return CPN_ERR_BAD_REQUEST;
    }
    size_t n = strlen(cfg->url);
    while (n > 8 && cfg->url[n - 1] == '/')
        cfg->url[--n] = '\0';
    const struct {
        const char *value, *what, *key, *env;
    } files[] = {
        {cfg->ca, N_("CA certificate"), "ca", "POS_CA"},
        {cfg->cert, N_("terminal certificate"), "cert", "POS_CERT"},
        {cfg->key, N_("terminal key"), "key", "POS_KEY"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (files[i].value == NULL) {
            snprintf(msg, msg_size, _("no %s configured: set '%s' in the configuration file or %s"),
                     _(files[i].what), files[i].key, files[i].env);
            return CPN_ERR_BAD_REQUEST;
        }
    }
    if (cfg->state_dir == NULL) {
        snprintf(msg, msg_size, "%s",
                 _("no state directory: set 'state' in the configuration file, POS_STATE or "
                   "HOME"));
        return CPN_ERR_BAD_REQUEST;
    }
    return CPN_OK;
}

enum cpn_err pos_config_load(const char *path, bool path_given, struct pos_config **out, char *msg,
                             size_t msg_size)
{
    *out = NULL;
    struct pos_config *cfg = pos_config_new();
    if (cfg == NULL) {
        snprintf(msg, msg_size, "%s", _("out of memory"));
        return CPN_ERR_NO_MEMORY;
    }
    if (path == NULL)
        path = POS_CONFIG_DEFAULT_PATH;
    enum cpn_err err = pos_config_read_file(cfg, path, path_given, msg, msg_size);
    if (err == CPN_OK)
        err = pos_config_apply_env(cfg, msg, msg_size);
    if (err == CPN_OK)
        err = pos_config_finish(cfg, msg, msg_size);
    if (err != CPN_OK) {
        pos_config_free(cfg);
        return err;
    }
    *out = cfg;
    return CPN_OK;
}
