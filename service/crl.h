/* A certificate revocation list as coupond reads it: parsed from PEM or DER, its issuer and
 * signature checked against the client CA, its number, dates and revoked serials taken
 * out. Pure (no files, no globals, no log), so that it can be fuzzed. */
#ifndef SVC_CRL_H
#define SVC_CRL_H

#include <gnutls/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "coupon/err.h"

#define CRL_SERIAL_MAX 40

/* A serial number without leading zero bytes (DER sign padding), so encodings compare equal. */
struct crl_serial {
    uint8_t len;
    uint8_t bytes[CRL_SERIAL_MAX];
};

struct crl {
    bool has_number;
    struct crl_serial number; /* the CRL number extension, when has_number */
    time_t this_update;
    time_t next_update;         /* (time_t)-1 when the CRL names none */
    struct crl_serial *revoked; /* sorted; owned */
    size_t count;
};

/* Parses DATA (LEN bytes: one PEM "X509 CRL" block, or DER) and checks that CA issued and
 * signed it. Dates are not judged here: a CRL whose thisUpdate lies in the future or whose
 * nextUpdate has passed is returned like any other (the caller decides what to say).
 * On success returns CPN_OK with *OUT filled (free it with crl_clear). Otherwise returns
 * CPN_ERR_BAD_REQUEST with WHY (WHYLEN bytes) saying what is wrong in one phrase (not
 * valid PEM/DER, another issuer, a bad signature, …) or CPN_ERR_NO_MEMORY, and *OUT is
 * left empty. */
enum cpn_err crl_parse(const void *data, size_t len, gnutls_x509_crt_t ca, struct crl *out,
                       char *why, size_t whylen) CPN_MUST_CHECK;

/* Frees what C owns and empties it; an empty crl is a no-op. */
void crl_clear(struct crl *c);

/* Orders two CRLs of one CA by issue: by CRL number when both have one and the numbers
 * differ, otherwise by thisUpdate. Returns > 0 when A is newer than B, 0 when they are the
 * same issue, < 0 when A is older. */
int crl_compare(const struct crl *a, const struct crl *b);

/* True when A and B revoke exactly the same serials. */
bool crl_same_list(const struct crl *a, const struct crl *b);

/* True when SERIAL (LEN bytes, leading zeros allowed) is on C's list. */
bool crl_contains(const struct crl *c, const uint8_t *serial, size_t len);

/* Writes S as lower-case hex (at most OUTLEN-1 characters) to OUT. */
void crl_serial_hex(const struct crl_serial *s, char *out, size_t outlen);

#endif
