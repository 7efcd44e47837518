/* The client CA in force: a GnuTLS trust list coupond verifies client certificates with itself
 * (principal.c), so that a reload can replace it; libmicrohttpd only asks for a certificate. */
#include <errno.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "sref.h"
#include "trust.h"

#define MAX_PEER_CHAIN 8

struct trust {
    struct sref ref; /* first */
    gnutls_x509_trust_list_t list;
    unsigned count;
};

static struct sref_slot slot = SREF_SLOT_INIT;

static void trust_free(struct sref *r)
{
    struct trust *t = (struct trust *)r;
    if (t->list != NULL)
        gnutls_x509_trust_list_deinit(t->list, 1);
    free(t);
}

enum cpn_err trust_load(const char *ca_path, struct trust **out, char *why, size_t len)
{
    *out = NULL;
    size_t n = 0;
    char *pem = file_read_all(ca_path, 1u << 20, &n);
    if (pem == NULL) {
        snprintf(why, len, "cannot read the CA %s: %s", ca_path, strerror(errno));
        return CPN_ERR_IO;
    }
    struct trust *t = calloc(1, sizeof *t);
    if (t == NULL) {
        free(pem);
        return CPN_ERR_NO_MEMORY;
    }
    sref_init(&t->ref, trust_free);
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)n};
    int rc = gnutls_x509_trust_list_init(&t->list, 0);
    if (rc >= 0)
        rc = gnutls_x509_trust_list_add_trust_mem(t->list, &d, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
    free(pem);
    if (rc <= 0) {
        snprintf(why, len, "the CA %s holds no PEM certificate%s%s", ca_path, rc < 0 ? ": " : "",
                 rc < 0 ? gnutls_strerror(rc) : "");
        sref_release(&t->ref);
        return CPN_ERR_IO;
    }
    t->count = (unsigned)rc;
    *out = t;
    return CPN_OK;
}

void trust_install(struct trust *t)
{
    sref_install(&slot, t != NULL ? &t->ref : NULL);
}

void trust_uninstall(void)
{
    sref_install(&slot, NULL);
}

void trust_release(struct trust *t)
{
    sref_release(t != NULL ? &t->ref : NULL);
}

const char *trust_verify_peer(gnutls_session_t session, char *why, size_t len)
{
    unsigned n = 0;
    const gnutls_datum_t *chain = gnutls_certificate_get_peers(session, &n);
    if (chain == NULL || n == 0)
        return "no client certificate presented";
    if (n > MAX_PEER_CHAIN)
        n = MAX_PEER_CHAIN;
    gnutls_x509_crt_t crts[MAX_PEER_CHAIN];
    unsigned imported = 0;
    const char *reason = NULL;
    for (; imported < n; imported++) {
        if (gnutls_x509_crt_init(&crts[imported]) < 0) {
            reason = "out of memory";
            break;
        }
        if (gnutls_x509_crt_import(crts[imported], &chain[imported], GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(crts[imported]);
            reason = "certificate is not valid DER";
            break;
        }
    }
    struct trust *t = (struct trust *)sref_hold(&slot);
    if (reason == NULL && t == NULL)
        reason = "no client CA is loaded";
    if (reason == NULL) {
        gnutls_typed_vdata_st purpose = {
            .type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT, .size = 0};
        unsigned status = 0;
        int rc = gnutls_x509_trust_list_verify_crt2(t->list, crts, imported, &purpose, 1, 0,
                                                    &status, NULL);
        if (rc < 0) {
            reason = gnutls_strerror(rc);
        } else if (status != 0) {
            gnutls_datum_t text = {NULL, 0};
            if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) <
                0) {
                reason = "certificate did not verify";
            } else {
                snprintf(why, len, "%s", (const char *)text.data);
                gnutls_free(text.data);
                reason = why;
            }
        }
    }
    sref_release(t != NULL ? &t->ref : NULL);
    for (unsigned i = 0; i < imported; i++)
        gnutls_x509_crt_deinit(crts[i]);
    return reason;
}
