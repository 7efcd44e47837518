/* Client certificate → principal. libmicrohttpd only *requests* a client certificate,
 * so every connection's certificate is verified here: chain and dates by GnuTLS against
 * the trusted CA, the clientAuth purpose, the revocation list, and the subject scheme
 * of certs/README.md: O=coupond, OU=<role>, CN=<name>, and L=<store id> for terminals.
 * The verdict is kept per connection and re-checked on every request (notAfter, CRL). */
#include <errno.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "principal.h"
#include "revocation.h"

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
    log_msg(LOGL_WARN, "refused client certificate%s%s: %s%s", subject ? " " : "",
            subject ? subject : "", reason, more);
}

bool principal_presented(gnutls_session_t session)
{
    unsigned n = 0;
    return gnutls_certificate_get_peers(session, &n) != NULL && n > 0;
}

/* Verifies the peer chain of SESSION: to the trusted CA, validity dates, the clientAuth
 * purpose. Returns NULL, or why not (GnuTLS's own sentence copied into WHY of LEN bytes). */
static const char *verify_chain(gnutls_session_t session, char *why, size_t len)
{
    gnutls_typed_vdata_st purpose = {
        .type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT, .size = 0};
    unsigned status = 0;
    int rc = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
    if (rc < 0)
        return gnutls_strerror(rc);
    if (status == 0)
        return NULL;
    gnutls_datum_t text = {NULL, 0};
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) < 0)
        return "certificate did not verify";
    snprintf(why, len, "%s", (const char *)text.data);
    gnutls_free(text.data);
    return why;
}

/* Reads the serial and the SHA-256 fingerprint of CRT into P. Returns NULL, or why not. */
static const char *read_identity(gnutls_x509_crt_t crt, struct principal *p)
{
    p->serial_len = sizeof p->serial;
    if (gnutls_x509_crt_get_serial(crt, p->serial, &p->serial_len) < 0)
        return "certificate has no readable serial";
    size_t flen = sizeof p->fingerprint;
    if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, p->fingerprint, &flen) < 0)
        return "cannot fingerprint certificate";
    return NULL;
}

/* Reads what the CA signed into the subject of CRT: the role (OU), the name (CN) and a
 * terminal's store (L), and the notAfter, into P. Returns NULL, or why not. */
static const char *read_subject(gnutls_x509_crt_t crt, struct principal *p)
{
    char ou[64], cn[65], loc[32];
    if (dn_attr(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, ou, sizeof ou) != 0 ||
        dn_attr(crt, GNUTLS_OID_X520_COMMON_NAME, cn, sizeof cn) != 0 || cn[0] == '\0')
        return "subject lacks OU (role) or CN (name)";
    if (strcmp(ou, "terminal") == 0) {
        p->role = ROLE_TERMINAL;
        char *end = NULL;
        errno = 0;
        long store = dn_attr(crt, GNUTLS_OID_X520_LOCALITY_NAME, loc, sizeof loc) == 0
                         ? strtol(loc, &end, 10)
                         : 0;
        if (end == NULL || end == loc || *end != '\0' || errno != 0 || store <= 0 ||
            store > INT32_MAX)
            return "terminal certificate names no store (L=<id>)";
        p->store = (int32_t)store;
    } else if (strcmp(ou, "marketer") == 0) {
        p->role = ROLE_MARKETER;
    } else if (strcmp(ou, "admin") == 0) {
        p->role = ROLE_ADMIN;
    } else {
        return "unknown role in OU";
    }
    memcpy(p->name, cn, sizeof p->name);
    p->not_after = gnutls_x509_crt_get_expiration_time(crt);
    if (p->not_after == (time_t)-1)
        return "certificate has no readable notAfter";
    return NULL;
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
    char subject[512] = "(unparsable)", why[256];
    size_t slen = sizeof subject;
    if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
        refuse(p, CPN_ERR_UNAUTHORIZED, "certificate is not valid DER", NULL);
        gnutls_x509_crt_deinit(crt);
        return;
    }
    if (gnutls_x509_crt_get_dn(crt, subject, &slen) < 0)
        memcpy(subject, "(no subject)", sizeof "(no subject)");
    const char *reason = verify_chain(session, why, sizeof why);
    if (reason == NULL)
        reason = read_identity(crt, p);
    if (reason == NULL)
        reason = read_subject(crt, p);
    gnutls_x509_crt_deinit(crt);
    if (reason != NULL) {
        refuse(p, CPN_ERR_UNAUTHORIZED, reason, subject);
        return;
    }
    p->revocation_generation = revocation_generation();
    if (revocation_contains(p->serial, p->serial_len)) {
        refuse(p, CPN_ERR_CERT_REVOKED, "certificate is revoked", subject);
        return;
    }
    p->verdict = CPN_OK;
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
        log_msg(LOGL_WARN, "refused client certificate CN=%s: expired at %s while connected",
                p->name, t);
        return;
    }
    unsigned gen = revocation_generation();
    if (gen == p->revocation_generation)
        return;
    p->revocation_generation = gen;
    if (revocation_contains(p->serial, p->serial_len)) {
        p->verdict = CPN_ERR_CERT_REVOKED;
        log_msg(LOGL_WARN, "refused client certificate CN=%s: revoked while connected", p->name);
    }
}
