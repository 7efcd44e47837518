/* Client certificate → principal (role, store), verified once per TLS connection and
 * re-checked on every request: against the revocation list whenever that list changes,
 * and against the certificate's notAfter. */
#ifndef SVC_PRINCIPAL_H
#define SVC_PRINCIPAL_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

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
    time_t not_after; /* the certificate stops working after this second */
};

/* True when the peer of SESSION presented a certificate. */
bool principal_presented(gnutls_session_t session);

/* Verifies the peer certificate of SESSION (chain to the trusted CA, validity dates,
 * clientAuth purpose, revocation) and fills P. Always fills P->verdict: CPN_OK,
 * CPN_ERR_UNAUTHORIZED or CPN_ERR_CERT_REVOKED; logs refusals (at most a burst of 20, then
 * 2 per second, saying how many were left out; the subject escaped by log_msg). */
void principal_from_session(gnutls_session_t session, struct principal *p);

/* Re-checks an accepted principal: refuses it (P->verdict CPN_ERR_UNAUTHORIZED) once the
 * clock passes its certificate's notAfter, and (CPN_ERR_CERT_REVOKED) when the revocation
 * list has changed since P was verified and now names it. Cheap when nothing changed. */
void principal_recheck(struct principal *p);

/* "terminal", "marketer", "admin" or "none". */
const char *principal_role_name(enum principal_role role);

#endif
