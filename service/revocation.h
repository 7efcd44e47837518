/* The revocation list in force (revocation.c): loaded from the CA's CRL, re-read by a watcher
 * thread within a second of a change; principal.c asks it about each certificate. */
#ifndef SVC_REVOCATION_H
#define SVC_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

/* Loads the revocation list from CRL_PATH, checked against the CA in CA_PATH, and starts a
 * thread that re-reads it within a second of any change (revocation.c says which CRLs it
 * applies). CRL_PATH NULL turns revocation checks off (--no-crl; logged as a warning).
 * Returns CPN_OK, or an error (and logs why) with nothing started: a CRL that cannot be
 * read or does not verify against the CA is an error. */
enum cpn_err revocation_start(const char *crl_path, const char *ca_path) CPN_MUST_CHECK;

/* Stops the watcher and frees the lists; safe to call when never started. */
void revocation_stop(void);

/* The generation of the list in force; it changes whenever a new list is loaded. */
unsigned revocation_generation(void);

/* True when SERIAL is on the list in force. */
bool revocation_contains(const uint8_t *serial, size_t len);

#endif
