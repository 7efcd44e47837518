/* The server's certificate and key in force. libmicrohttpd 0.9.75 cannot swap the credentials
 * it loaded, but it lets a gnutls_certificate_retrieve_function2 choose them per handshake;
 * http.c pins the credentials in force to each connection when it opens and answers its
 * handshake from them, so a reload reaches every new connection and frees the old ones only
 * after the last connection that used them has closed. */
#include <errno.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "sref.h"
#include "tls_creds.h"

#define MAX_CHAIN 8
#define PEM_MAX   (1u << 20)

struct tls_creds {
    struct sref ref; /* first */
    gnutls_pcert_st pcert[MAX_CHAIN];
    unsigned n;
    gnutls_privkey_t key;
    time_t not_after;
    char subject[256];
    char serial[80];
};

static struct sref_slot slot = SREF_SLOT_INIT;

static void creds_free(struct sref *r)
{
    struct tls_creds *c = (struct tls_creds *)r;
    for (unsigned i = 0; i < c->n; i++)
        gnutls_pcert_deinit(&c->pcert[i]);
    if (c->key != NULL)
        gnutls_privkey_deinit(c->key);
    free(c);
}

/* True when the public key of PCERT is the one of KEY. */
static bool key_matches(gnutls_pcert_st *pcert, gnutls_privkey_t key)
{
    gnutls_pubkey_t from_key = NULL;
    gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
    bool same = gnutls_pubkey_init(&from_key) >= 0 &&
                gnutls_pubkey_import_privkey(from_key, key, 0, 0) >= 0 &&
                gnutls_pubkey_export2(from_key, GNUTLS_X509_FMT_DER, &a) >= 0 &&
                gnutls_pubkey_export2(pcert->pubkey, GNUTLS_X509_FMT_DER, &b) >= 0 &&
                a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
    gnutls_free(a.data);
    gnutls_free(b.data);
    if (from_key != NULL)
        gnutls_pubkey_deinit(from_key);
    return same;
}

/* Reads the subject, serial and notAfter of C's first certificate. Returns 0 or -1. */
static int read_leaf(struct tls_creds *c)
{
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0)
        return -1;
    int rc = gnutls_x509_crt_import(crt, &c->pcert[0].cert, GNUTLS_X509_FMT_DER);
    size_t slen = sizeof c->subject;
    unsigned char serial[40];
    size_t serial_len = sizeof serial;
    if (rc >= 0)
        c->not_after = gnutls_x509_crt_get_expiration_time(crt);
    if (rc >= 0 && gnutls_x509_crt_get_dn(crt, c->subject, &slen) < 0)
        snprintf(c->subject, sizeof c->subject, "(no subject)");
    if (rc >= 0 && gnutls_x509_crt_get_serial(crt, serial, &serial_len) >= 0) {
        size_t o = 0;
        for (size_t i = 0; i < serial_len && o + 3 < sizeof c->serial; i++)
            o += (size_t)snprintf(c->serial + o, sizeof c->serial - o, "%02x", serial[i]);
    }
    gnutls_x509_crt_deinit(crt);
    return rc >= 0 && c->not_after != (time_t)-1 ? 0 : -1;
}

enum cpn_err tls_creds_load(const char *cert_path, const char *key_path, struct tls_creds **out,
                            char *why, size_t len)
{
    *out = NULL;
    size_t clen = 0, klen = 0;
    char *cert = file_read_all(cert_path, PEM_MAX, &clen);
    if (cert == NULL) {
        snprintf(why, len, "cannot read the certificate %s: %s", cert_path, strerror(errno));
        return CPN_ERR_IO;
    }
    char *key = file_read_all(key_path, PEM_MAX, &klen);
    if (key == NULL) {
        snprintf(why, len, "cannot read the key %s: %s", key_path, strerror(errno));
        free(cert);
        return CPN_ERR_IO;
    }
    struct tls_creds *c = calloc(1, sizeof *c);
    enum cpn_err err = c != NULL ? CPN_OK : CPN_ERR_NO_MEMORY;
    if (c != NULL) {
        sref_init(&c->ref, creds_free);
        gnutls_datum_t cd = {(unsigned char *)cert, (unsigned)clen};
        gnutls_datum_t kd = {(unsigned char *)key, (unsigned)klen};
        unsigned n = MAX_CHAIN;
        int rc = gnutls_pcert_list_import_x509_raw(c->pcert, &n, &cd, GNUTLS_X509_FMT_PEM, 0);
        if (rc < 0 || n == 0) {
            snprintf(why, len, "%s is not a PEM certificate (chain): %s", cert_path,
                     rc < 0 ? gnutls_strerror(rc) : "no certificate in it");
            err = CPN_ERR_IO;
        } else {
            c->n = n;
        }
        if (err == CPN_OK && (gnutls_privkey_init(&c->key) < 0 ||
                              (rc = gnutls_privkey_import_x509_raw(c->key, &kd, GNUTLS_X509_FMT_PEM,
                                                                   NULL, 0)) < 0)) {
            snprintf(why, len, "%s is not a PEM private key: %s", key_path, gnutls_strerror(rc));
            err = CPN_ERR_IO;
        }
        if (err == CPN_OK && !key_matches(&c->pcert[0], c->key)) {
            snprintf(why, len, "the key %s does not belong to the certificate %s", key_path,
                     cert_path);
            err = CPN_ERR_IO;
        }
        if (err == CPN_OK && read_leaf(c) != 0) {
            snprintf(why, len, "cannot read the certificate %s", cert_path);
            err = CPN_ERR_IO;
        }
        if (err == CPN_OK && c->not_after < time(NULL)) {
            snprintf(why, len, "the certificate %s expired (notAfter has passed)", cert_path);
            err = CPN_ERR_IO;
        }
    }
    free(cert);
    explicit_bzero(key, klen);
    free(key);
    if (err != CPN_OK) {
        if (c != NULL)
            sref_release(&c->ref);
        return err;
    }
    *out = c;
    return CPN_OK;
}

void tls_creds_install(struct tls_creds *c)
{
    sref_install(&slot, c != NULL ? &c->ref : NULL);
}

void tls_creds_uninstall(void)
{
    sref_install(&slot, NULL);
}

struct tls_creds *tls_creds_hold(void)
{
    return (struct tls_creds *)sref_hold(&slot);
}

void tls_creds_release(struct tls_creds *c)
{
    sref_release(c != NULL ? &c->ref : NULL);
}

void tls_creds_get(const struct tls_creds *c, gnutls_pcert_st **pcert, unsigned *n,
                   gnutls_privkey_t *key)
{
    *pcert = (gnutls_pcert_st *)c->pcert;
    *n = c->n;
    *key = c->key;
}

time_t tls_creds_not_after(const struct tls_creds *c)
{
    return c->not_after;
}

const char *tls_creds_describe(const struct tls_creds *c, char *buf, size_t len)
{
    char t[32] = "?";
    struct tm tm;
    if (gmtime_r(&c->not_after, &tm) != NULL)
        strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(buf, len, "%s, serial %s, notAfter %s", c->subject, c->serial, t);
    return buf;
}
