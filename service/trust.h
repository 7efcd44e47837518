/* The client CA in force (trust.c): the certificates that may sign a client certificate,
 * read from the CA file, replaced by a reload for every verification that starts after it. */
#ifndef SVC_TRUST_H
#define SVC_TRUST_H

#include <gnutls/gnutls.h>
#include <stddef.h>

#include "coupon/err.h"

struct trust;

/* Reads every certificate in the PEM file CA_PATH into a new trust list the caller owns
 * (release with trust_release). Returns CPN_OK with *OUT set, or an error with WHY (LEN bytes)
 * saying what is wrong and nothing allocated. */
enum cpn_err trust_load(const char *ca_path, struct trust **out, char *why,
                        size_t len) CPN_MUST_CHECK;

/* Puts T in force, taking over the caller's reference; the list in force before is freed
 * once no verification uses it. */
void trust_install(struct trust *t);

/* Empties the slot (at shutdown). */
void trust_uninstall(void);

/* Drops a reference given by trust_load; NULL is a no-op. */
void trust_release(struct trust *t);

/* Verifies the peer chain of SESSION against the trust list in force: chain, validity dates,
 * the clientAuth purpose. Returns NULL when it holds, or why not (a sentence copied into WHY
 * of LEN bytes). */
const char *trust_verify_peer(gnutls_session_t session, char *why, size_t len);

#endif
