/* A certificate revocation list as coupond reads it: parsed, checked against the client CA,
 * its number, dates and revoked serials taken out (see crl.h). */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crl.h"

/* GnuTLS's verdicts on a CRL's dates; the caller judges those itself. */
#define DATE_FLAGS                                                                                 \
    (GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE | GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED)

/* Writes SERIAL (LEN bytes) without its leading zero bytes to OUT; a serial longer than
 * CRL_SERIAL_MAX bytes is cut to its first CRL_SERIAL_MAX. */
static void crl_serial_normalise(const uint8_t *serial, size_t len, struct crl_serial *out)
{
    while (len > 1 && serial[0] == 0) {
        serial++;
        len--;
    }
    if (len > CRL_SERIAL_MAX)
        len = CRL_SERIAL_MAX;
    out->len = (uint8_t)len;
    memcpy(out->bytes, serial, len);
}

void crl_serial_hex(const struct crl_serial *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < s->len && n + 2 < outlen; i++) {
        out[n++] = hex[s->bytes[i] >> 4];
        out[n++] = hex[s->bytes[i] & 15];
    }
    if (outlen > 0)
        out[n] = '\0';
}

/* Compares serials as unsigned big-endian numbers (both normalised). */
static int cmp_serial(const void *a, const void *b)
{
    const struct crl_serial *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->bytes, y->bytes, x->len);
}

void crl_clear(struct crl *c)
{
    free(c->revoked);
    memset(c, 0, sizeof *c);
}

int crl_compare(const struct crl *a, const struct crl *b)
{
    if (a->has_number && b->has_number) {
        int by_number = cmp_serial(&a->number, &b->number);
        if (by_number != 0)
            return by_number;
    }
    if (a->this_update != b->this_update)
        return a->this_update > b->this_update ? 1 : -1;
    return 0;
}

bool crl_same_list(const struct crl *a, const struct crl *b)
{
    return a->count == b->count &&
           (a->count == 0 || memcmp(a->revoked, b->revoked, a->count * sizeof *a->revoked) == 0);
}

bool crl_contains(const struct crl *c, const uint8_t *serial, size_t len)
{
    struct crl_serial key;
    crl_serial_normalise(serial, len, &key);
    return c->count > 0 && bsearch(&key, c->revoked, c->count, sizeof key, cmp_serial) != NULL;
}

/* Fills WHY with "issued by <crl issuer>, not by the client CA <ca subject>". */
static void wrong_issuer(gnutls_x509_crl_t crl, gnutls_x509_crt_t ca, char *why, size_t whylen)
{
    char issuer[256] = "(unreadable)", subject[256] = "(unreadable)";
    size_t n = sizeof issuer;
    if (gnutls_x509_crl_get_issuer_dn(crl, issuer, &n) < 0)
        snprintf(issuer, sizeof issuer, "(unreadable)");
    n = sizeof subject;
    if (gnutls_x509_crt_get_dn(ca, subject, &n) < 0)
        snprintf(subject, sizeof subject, "(unreadable)");
    snprintf(why, whylen, "it was issued by '%s', not by the client CA '%s'", issuer, subject);
}

/* Fills WHY with what GnuTLS's verification STATUS of a CRL means. */
static void describe_status(unsigned status, char *why, size_t whylen)
{
    if (status & GNUTLS_CERT_SIGNATURE_FAILURE) {
        snprintf(why, whylen, "its signature does not verify with the client CA's key");
    } else if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
        snprintf(why, whylen, "its signer is not the client CA");
    } else if (status & GNUTLS_CERT_SIGNER_NOT_CA) {
        snprintf(why, whylen, "the client CA certificate may not sign CRLs");
    } else if (status & GNUTLS_CERT_INSECURE_ALGORITHM) {
        snprintf(why, whylen, "it is signed with an insecure algorithm");
    } else {
        gnutls_datum_t text = {NULL, 0};
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) >= 0) {
            size_t n = strlen((const char *)text.data);
            while (n > 0 && text.data[n - 1] == ' ')
                text.data[--n] = '\0';
            snprintf(why, whylen, "it does not verify against the client CA: %s",
                     (const char *)text.data);
            gnutls_free(text.data);
        } else {
            snprintf(why, whylen, "it does not verify against the client CA (status 0x%x)", status);
        }
    }
}

/* Reads the revoked serials of CRL into OUT (sorted). Returns CPN_OK or an error with WHY. */
static enum cpn_err read_serials(gnutls_x509_crl_t crl, struct crl *out, char *why, size_t whylen)
{
    int count = gnutls_x509_crl_get_crt_count(crl);
    if (count < 0)
        count = 0;
    out->revoked = calloc((size_t)count + 1, sizeof *out->revoked);
    if (out->revoked == NULL)
        return CPN_ERR_NO_MEMORY;
    gnutls_x509_crl_iter_t iter = NULL;
    size_t n = 0;
    for (;;) {
        uint8_t sbuf[64];
        size_t slen = sizeof sbuf;
        time_t when;
        int rc = gnutls_x509_crl_iter_crt_serial(crl, &iter, sbuf, &slen, &when);
        if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (rc < 0 || n >= (size_t)count) {
            gnutls_x509_crl_iter_deinit(iter);
            snprintf(why, whylen, "its entry %zu is unreadable (%s)", n + 1,
                     rc < 0 ? gnutls_strerror(rc) : "more entries than counted");
            return CPN_ERR_BAD_REQUEST;
        }
        crl_serial_normalise(sbuf, slen, &out->revoked[n++]);
    }
    gnutls_x509_crl_iter_deinit(iter);
    out->count = n;
    qsort(out->revoked, n, sizeof *out->revoked, cmp_serial);
    return CPN_OK;
}

/* True when DATA contains "-----BEGIN" (then it is read as PEM, else as DER). */
static bool has_pem_header(const uint8_t *data, size_t len)
{
    static const char mark[] = "-----BEGIN";
    for (size_t i = 0; i + sizeof mark - 1 <= len; i++)
        if (data[i] == '-' && memcmp(data + i, mark, sizeof mark - 1) == 0)
            return true;
    return false;
}

enum cpn_err crl_parse(const void *data, size_t len, gnutls_x509_crt_t ca, struct crl *out,
                       char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    snprintf(why, whylen, "no reason");
    if (len == 0 || len > UINT32_MAX) {
        snprintf(why, whylen, "it is %s", len == 0 ? "empty" : "too large");
        return CPN_ERR_BAD_REQUEST;
    }
    gnutls_x509_crl_t crl;
    if (gnutls_x509_crl_init(&crl) < 0)
        return CPN_ERR_NO_MEMORY;
    gnutls_datum_t datum = {(unsigned char *)data, (unsigned)len};
    bool pem = has_pem_header(data, len);
    int rc = gnutls_x509_crl_import(crl, &datum, pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
    enum cpn_err err = CPN_ERR_BAD_REQUEST;
    if (rc < 0) {
        snprintf(why, whylen, "it is not a %s CRL (%s)", pem ? "PEM" : "DER", gnutls_strerror(rc));
        goto out;
    }
    if (gnutls_x509_crl_check_issuer(crl, ca) != 1) {
        wrong_issuer(crl, ca, why, whylen);
        goto out;
    }
    unsigned status = 0;
    rc = gnutls_x509_crl_verify(crl, &ca, 1, 0, &status);
    if (rc < 0) {
        snprintf(why, whylen, "its signature cannot be checked (%s)", gnutls_strerror(rc));
        goto out;
    }
    status &= ~(unsigned)DATE_FLAGS;
    if (status & ~(unsigned)GNUTLS_CERT_INVALID) {
        describe_status(status, why, whylen);
        goto out;
    }
    out->this_update = gnutls_x509_crl_get_this_update(crl);
    out->next_update = gnutls_x509_crl_get_next_update(crl);
    if (out->this_update == (time_t)-1) {
        snprintf(why, whylen, "it has no readable thisUpdate");
        goto out;
    }
    uint8_t number[64];
    size_t nlen = sizeof number;
    unsigned critical = 0;
    if (gnutls_x509_crl_get_number(crl, number, &nlen, &critical) >= 0 && nlen > 0) {
        out->has_number = true;
        crl_serial_normalise(number, nlen, &out->number);
    }
    err = read_serials(crl, out, why, whylen);
out:
    gnutls_x509_crl_deinit(crl);
    if (err != CPN_OK)
        crl_clear(out);
    return err;
}
