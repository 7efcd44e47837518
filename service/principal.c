/* Client certificate → principal. libmicrohttpd only *requests* a client certificate,
 * so every connection's certificate is verified here: chain and dates by GnuTLS against
 * the trusted CA, the clientAuth purpose, the revocation list, and the subject scheme
 * of certs/README.md: O=coupond, OU=<role>, CN=<name>, and L=<store id> for terminals.
 * The verdict is kept per connection and re-checked on every request (notAfter, CRL). */
#include <errno.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "principal.h"

const char *principal_role_name(enum principal_role role)
{
    switch (role) {
    case ROLE_TERMINAL:
        return "terminal";
    case ROLE_MARKETER:
        return "marketer";
    case ROLE_ADMIN:
        return "admin";
    default:
        return "none";
    }
}

/* Reads the first attribute OID of CRT's subject into BUF as a string. Returns 0 or -1. */
static int dn_attr(gnutls_x509_crt_t crt, const char *oid, char *buf, size_t len)
{
    size_t n = len;
    if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, buf, &n) < 0)
        return -1;
    buf[len - 1] = '\0';
    return 0;
}

/* Anyone who reaches the port can make coupond refuse a certificate: a burst, then a trickle. */
static struct log_limit refusal_log = LOG_LIMIT_INIT(20.0, 2.0);

static void refuse(struct principal *p, enum cpn_err why, const char *reason, const char *subject)
{
    p->verdict = why;
    unsigned long left_out = 0;
    if (!log_limit_allow(&refusal_log, &left_out))
        return;
    char more[96] = "";
    if (left_out > 0)
        snprintf(more, sizeof more, " (%lu more refusal(s) not logged before this one)", left_out);
    log_msg(LOG_WARN, "refused client certificate%s%s: %s%s", subject ? " " : "",
            subject ? subject : "", reason, more);
}

bool principal_presented(gnutls_session_t session)
{
    unsigned n = 0;
    return gnutls_certificate_get_peers(session, &n) != NULL && n > 0;
}

void principal_from_session(gnutls_session_t session, struct principal *p)
{
    memset(p, 0, sizeof *p);
    p->verdict = CPN_ERR_UNAUTHORIZED;
    unsigned n = 0;
    const gnutls_datum_t *chain = gnutls_certificate_get_peers(session, &n);
    if (chain == NULL || n == 0) {
        refuse(p, CPN_ERR_UNAUTHORIZED, "no client certificate presented", NULL);
        return;
    }
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0)
        return;
    char subject[512] = "(unparsable)";
    size_t slen = sizeof subject;
    if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
        refuse(p, CPN_ERR_UNAUTHORIZED, "certificate is not valid DER", NULL);
        goto out;
    }
    if (gnutls_x509_crt_get_dn(crt, subject, &slen) < 0)
        memcpy(subject, "(no subject)", sizeof "(no subject)");

    gnutls_typed_vdata_st purpose = {
        .type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT, .size = 0};
    unsigned status = 0;
    int rc = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
    if (rc < 0) {
        refuse(p, CPN_ERR_UNAUTHORIZED, gnutls_strerror(rc), subject);
        goto out;
    }
    if (status != 0) {
        gnutls_datum_t text = {NULL, 0};
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) >= 0) {
            refuse(p, CPN_ERR_UNAUTHORIZED, (const char *)text.data, subject);
            gnutls_free(text.data);
        } else {
            refuse(p, CPN_ERR_UNAUTHORIZED, "certificate did not verify", subject);
        }
        goto out;
    }

    p->serial_len = sizeof p->serial;
    if (gnutls_x509_crt_get_serial(crt, p->serial, &p->serial_len) < 0) {
        refuse(p, CPN_ERR_UNAUTHORIZED, "certificate has no readable serial", subject);
        goto out;
    }
    size_t flen = sizeof p->fingerprint;
    if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, p->fingerprint, &flen) < 0) {
        refuse(p, CPN_ERR_UNAUTHORIZED, "cannot fingerprint certificate", subject);
        goto out;
    }

    char ou[64], cn[65], loc[32];
    if (dn_attr(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, ou, sizeof ou) != 0 ||
        dn_attr(crt, GNUTLS_OID_X520_COMMON_NAME, cn, sizeof cn) != 0 || cn[0] == '\0') {
        refuse(p, CPN_ERR_UNAUTHORIZED, "subject lacks OU (role) or CN (name)", subject);
        goto out;
    }
    if (strcmp(ou, "terminal") == 0) {
        p->role = ROLE_TERMINAL;
        char *end = NULL;
        errno = 0;
        long store = dn_attr(crt, GNUTLS_OID_X520_LOCALITY_NAME, loc, sizeof loc) == 0
                         ? strtol(loc, &end, 10)
                         : 0;
        if (end == NULL || end == loc || *end != '\0' || errno != 0 || store <= 0 ||
            store > INT32_MAX) {
            refuse(p, CPN_ERR_UNAUTHORIZED, "terminal certificate names no store (L=<id>)",
                   subject);
            goto out;
        }
        p->store = (int32_t)store;
    } else if (strcmp(ou, "marketer") == 0) {
        p->role = ROLE_MARKETER;
    } else if (strcmp(ou, "admin") == 0) {
        p->role = ROLE_ADMIN;
    } else {
        refuse(p, CPN_ERR_UNAUTHORIZED, "unknown role in OU", subject);
        goto out;
    }
    memcpy(p->name, cn, sizeof p->name);
    p->not_after = gnutls_x509_crt_get_expiration_time(crt);
    if (p->not_after == (time_t)-1) {
        refuse(p, CPN_ERR_UNAUTHORIZED, "certificate has no readable notAfter", subject);
        goto out;
    }
    p->revocation_generation = revocation_generation();
    if (revocation_contains(p->serial, p->serial_len)) {
        refuse(p, CPN_ERR_CERT_REVOKED, "certificate is revoked", subject);
        goto out;
    }
    p->verdict = CPN_OK;
out:
    gnutls_x509_crt_deinit(crt);
}

void principal_recheck(struct principal *p)
{
    if (p->verdict != CPN_OK)
        return;
    if (time(NULL) > p->not_after) {
        p->verdict = CPN_ERR_UNAUTHORIZED;
        char t[32] = "?";
        struct tm tm;
        if (gmtime_r(&p->not_after, &tm) != NULL)
            strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
        log_msg(LOG_WARN, "refused client certificate CN=%s: expired at %s while connected",
                p->name, t);
        return;
    }
    unsigned gen = revocation_generation();
    if (gen == p->revocation_generation)
        return;
    p->revocation_generation = gen;
    if (revocation_contains(p->serial, p->serial_len)) {
        p->verdict = CPN_ERR_CERT_REVOKED;
        log_msg(LOG_WARN, "refused client certificate CN=%s: revoked while connected", p->name);
    }
}
