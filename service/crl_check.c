/* coupond check-crl: reads the CRL coupond is configured with, verifies it against the CA
 * and warns (exit 1) when its nextUpdate is near or past, for coupond-crl-check.timer. */
#include <errno.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crl_check.h"
#include "files.h"

/* Reads the PEM file PATH into *OUT (data freed by the caller). Returns 0, or -1 with
 * errno set. */
static int read_pem(const char *path, gnutls_datum_t *out)
{
    size_t len = 0;
    char *buf = file_read_all(path, 64u << 20, &len);
    if (buf == NULL)
        return -1;
    out->data = (unsigned char *)buf;
    out->size = (unsigned)len;
    return 0;
}

/* Writes T as RFC 3339 UTC into OUT (at least 21 bytes). */
static void format_utc(time_t t, char *out, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Loads and verifies the CRL; returns its nextUpdate, or (time_t)-1 after printing why. */
static time_t verified_next_update(const char *crl_path, const char *ca_path)
{
    gnutls_datum_t crl_pem = {NULL, 0}, ca_pem = {NULL, 0};
    gnutls_x509_crl_t crl = NULL;
    gnutls_x509_crt_t ca = NULL;
    time_t next = (time_t)-1;
    unsigned status = 0;
    if (read_pem(crl_path, &crl_pem) != 0) {
        fprintf(stderr, "coupond check-crl: cannot read the CRL %s: %s\n", crl_path,
                strerror(errno));
        goto out;
    }
    if (read_pem(ca_path, &ca_pem) != 0) {
        fprintf(stderr, "coupond check-crl: cannot read the CA %s: %s\n", ca_path, strerror(errno));
        goto out;
    }
    if (gnutls_x509_crl_init(&crl) < 0 || gnutls_x509_crt_init(&ca) < 0)
        goto out;
    if (gnutls_x509_crl_import(crl, &crl_pem, GNUTLS_X509_FMT_PEM) < 0) {
        fprintf(stderr, "coupond check-crl: %s is not a PEM CRL\n", crl_path);
        goto out;
    }
    if (gnutls_x509_crt_import(ca, &ca_pem, GNUTLS_X509_FMT_PEM) < 0) {
        fprintf(stderr, "coupond check-crl: %s is not a PEM certificate\n", ca_path);
        goto out;
    }
    /* Whether it is out of date is the caller's question (with a clearer message): here
     * only whether the CA signed it. GnuTLS adds GNUTLS_CERT_INVALID to its time flags. */
    const unsigned time_flags =
        GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED | GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE;
    int rc = gnutls_x509_crl_verify(crl, &ca, 1, 0, &status);
    if (rc >= 0 && (status & time_flags) != 0)
        status &= ~(time_flags | (unsigned)GNUTLS_CERT_INVALID);
    if (rc < 0 || status != 0) {
        fprintf(stderr, "coupond check-crl: the CRL %s is not signed by the CA %s\n", crl_path,
                ca_path);
        goto out;
    }
    next = gnutls_x509_crl_get_next_update(crl);
    if (next == (time_t)-1)
        fprintf(stderr, "coupond check-crl: the CRL %s has no nextUpdate\n", crl_path);
out:
    if (crl != NULL)
        gnutls_x509_crl_deinit(crl);
    if (ca != NULL)
        gnutls_x509_crt_deinit(ca);
    free(crl_pem.data);
    free(ca_pem.data);
    return next;
}

int crl_check(const char *crl_path, const char *ca_path, unsigned warn_days, time_t now)
{
    if (crl_path == NULL || *crl_path == '\0') {
        fprintf(stderr, "coupond check-crl: no CRL configured (crl = FILE): revoked client "
                        "certificates would be accepted\n");
        return 1;
    }
    time_t next = verified_next_update(crl_path, ca_path);
    if (next == (time_t)-1)
        return 1;
    char when[32];
    format_utc(next, when, sizeof when);
    if (next <= now) {
        fprintf(stderr,
                "coupond check-crl: warning: the CRL %s expired at %s; re-issue it now "
                "(coupond-pki crl CADIR) and copy it here\n",
                crl_path, when);
        return 1;
    }
    long long left_s = (long long)(next - now);
    long long days = left_s / 86400;
    if (left_s <= (long long)warn_days * 86400) {
        fprintf(stderr,
                "coupond check-crl: warning: the CRL %s expires at %s, in %lld day(s) and %lld "
                "hour(s); re-issue it (coupond-pki crl CADIR) and copy it here\n",
                crl_path, when, days, (left_s % 86400) / 3600);
        return 1;
    }
    printf("CRL %s: next update %s, in %lld days\n", crl_path, when, days);
    return 0;
}
