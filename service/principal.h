/* Client certificate → principal (role, store), verified once per TLS connection
 * and re-checked against the revocation list whenever that list changes. */
#ifndef SVC_PRINCIPAL_H
#define SVC_PRINCIPAL_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdint.h>

#include "coupon/err.h"

enum principal_role {
    ROLE_NONE = 0,
    ROLE_TERMINAL = 1,
    ROLE_MARKETER = 2,
    ROLE_ADMIN = 4,
};
#define ROLE_ANY (ROLE_TERMINAL | ROLE_MARKETER | ROLE_ADMIN)

struct principal {
    enum cpn_err verdict; /* CPN_OK when the certificate was accepted */
    enum principal_role role;
    int32_t store; /* terminals only; 0 otherwise */
    char name[65]; /* the certificate's CN */
    uint8_t serial[40];
    size_t serial_len;
    uint8_t fingerprint[32]; /* SHA-256 of the DER certificate */
    unsigned revocation_generation;
};

/* Loads the revocation list from CRL_PATH (may be NULL: nothing is revoked), checked
 * against the CA in CA_PATH, and starts a thread that re-reads it within a second of
 * any change. Returns CPN_OK, or an error (and logs why) with nothing started. */
enum cpn_err revocation_start(const char *crl_path, const char *ca_path) CPN_MUST_CHECK;

/* Stops the watcher and frees the lists; safe to call when never started. */
void revocation_stop(void);

/* The generation of the list in force; it changes whenever a new list is loaded. */
unsigned revocation_generation(void);

/* True when SERIAL is on the list in force. */
bool revocation_contains(const uint8_t *serial, size_t len);

/* Verifies the peer certificate of SESSION (chain to the trusted CA, validity dates,
 * clientAuth purpose, revocation) and fills P. Always fills P->verdict: CPN_OK,
 * CPN_ERR_UNAUTHORIZED or CPN_ERR_CERT_REVOKED; logs every refusal. */
void principal_from_session(gnutls_session_t session, struct principal *p);

/* Re-checks an accepted principal against the revocation list when the list has changed
 * since P was verified; updates P->verdict. Cheap when nothing changed. */
void principal_recheck(struct principal *p);

/* "terminal", "marketer", "admin" or "none". */
const char *principal_role_name(enum principal_role role);

#endif
