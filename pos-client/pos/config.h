/* The till's configuration: where coupond is, which CA and terminal certificate to use, where
 * local state lives and how long to wait, read from a `key = value` file and the environment. */
#ifndef POS_CONFIG_H
#define POS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "coupon/err.h"

#define POS_CONFIG_DEFAULT_PATH        "/etc/coupond/pos-client.conf"
#define POS_DEFAULT_TIMEOUT_MS         8000L
#define POS_DEFAULT_CONNECT_TIMEOUT_MS 3000L
#define POS_MAX_TIMEOUT_MS             600000L
/* The journal is compacted above this size (journal_max_bytes), and the range allowed. */
#define POS_DEFAULT_JOURNAL_MAX_BYTES 65536L
#define POS_MIN_JOURNAL_MAX_BYTES     4096L
#define POS_MAX_JOURNAL_MAX_BYTES     (64L * 1024L * 1024L)
/* Floor limits of offline redemption (docs/cashier.md): the largest discount per coupon, the most
 * offline redemptions waiting to be sent, the most hours since the last successful contact with
 * the service; 0 for any of them switches offline redemption off. */
#define POS_DEFAULT_OFFLINE_MAX_DISCOUNT_CENTS 1000L
#define POS_MAX_OFFLINE_MAX_DISCOUNT_CENTS     1000000L
#define POS_DEFAULT_OFFLINE_MAX_COUNT          50L
#define POS_MAX_OFFLINE_MAX_COUNT              100000L
#define POS_DEFAULT_OFFLINE_MAX_HOURS          24L
#define POS_MAX_OFFLINE_MAX_HOURS              8760L

struct pos_config {
    char *url;       /* https://host:port of coupond, without a trailing slash */
    char *ca;        /* PEM file of the CA that signed coupond's server certificate */
    char *cert;      /* PEM file of this terminal's client certificate */
    char *key;       /* PEM file of this terminal's private key */
    char *state_dir; /* keys.json and journal.log live here */
    long timeout_ms; /* a whole call, connect included */
    long connect_timeout_ms;
    long journal_max_bytes;          /* journal.log is compacted when it grows beyond this */
    long offline_max_discount_cents; /* offline: largest discount per coupon (0: none offline) */
    long offline_max_count;          /* offline: most redemptions waiting to be sent (0: off) */
    long offline_max_hours;          /* offline: most hours since the last contact (0: off) */
    char *printer; /* the receipt printer: a device (ESC/POS bytes) or a file (appended); NULL */
    char *receipt; /* where the receipt's text goes: a file (appended), "-" standard output; NULL */
};

/* A configuration holding only the defaults (timeouts, journal size, offline limits; no strings
 * set). The caller
 * owns it and frees it with pos_config_free(). Returns NULL when out of memory. */
struct pos_config *pos_config_new(void);

/* Frees CFG and every string in it; pos_config_free(NULL) does nothing. */
void pos_config_free(struct pos_config *cfg);

/* Reads `key = value` lines from PATH into CFG (keys: url, ca, cert, key, state, timeout_ms,
 * connect_timeout_ms, journal_max_bytes, offline_max_discount (euros), offline_max_count,
 * offline_max_hours, printer, receipt; lines starting with '#' and blank lines are skipped; a key
 * given twice takes its last value). A missing PATH is an error when REQUIRED, else nothing is
 * read. Returns CPN_OK; CPN_ERR_BAD_REQUEST for a bad line (MSG names file and line); CPN_ERR_IO
 * when PATH cannot be read; CPN_ERR_NO_MEMORY. MSG (MSG_SIZE bytes) receives one line for a person
 * on error. On error CFG may hold some of the file's values; the caller should free it. */
CPN_MUST_CHECK enum cpn_err pos_config_read_file(struct pos_config *cfg, const char *path,
                                                 bool required, char *msg, size_t msg_size);

/* Overrides CFG with POS_URL, POS_CA, POS_CERT, POS_KEY, POS_STATE, POS_TIMEOUT_MS,
 * POS_CONNECT_TIMEOUT_MS, POS_JOURNAL_MAX_BYTES, POS_OFFLINE_MAX_DISCOUNT, POS_OFFLINE_MAX_COUNT,
 * POS_OFFLINE_MAX_HOURS, POS_PRINTER and POS_RECEIPT where set and not empty. Returns CPN_OK,
 * CPN_ERR_BAD_REQUEST for a bad number (MSG says which variable) or CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_config_apply_env(struct pos_config *cfg, char *msg,
                                                 size_t msg_size);

/* Fills in the default state directory when none is set ($XDG_STATE_HOME/pos-client when that
 * is an absolute path, else $HOME/.local/state/pos-client), drops a trailing '/' from the URL,
 * and checks that the URL starts with https:// and that ca, cert and key are set. Returns
 * CPN_OK, CPN_ERR_BAD_REQUEST with one line in MSG, or CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_config_finish(struct pos_config *cfg, char *msg, size_t msg_size);

/* The whole load: defaults, then the file PATH (PATH_GIVEN says whether the user named it with
 * --config: only then is a missing file an error; NULL means POS_CONFIG_DEFAULT_PATH), then the
 * environment, then pos_config_finish(). On CPN_OK *OUT is a configuration the caller owns; on
 * error *OUT is NULL and MSG holds one line for a person. */
CPN_MUST_CHECK enum cpn_err pos_config_load(const char *path, bool path_given,
                                            struct pos_config **out, char *msg, size_t msg_size);

#endif
