/* The server's certificate (with its chain) and private key in force (tls_creds.c): read and
 * checked from their files, handed to each TLS handshake, replaced by a reload for new
 * connections while connections that began with the old ones keep them. */
#ifndef SVC_TLS_CREDS_H
#define SVC_TLS_CREDS_H

#include <gnutls/abstract.h>
#include <stddef.h>
#include <time.h>

#include "coupon/err.h"

struct tls_creds;

/* Reads the certificate chain CERT_PATH and the private key KEY_PATH (PEM, the key not
 * encrypted) into new credentials the caller owns (release with tls_creds_release). Refuses a
 * file that cannot be read or parsed, a key that does not belong to the certificate, and a
 * certificate whose notAfter has passed. Returns CPN_OK with *OUT set, or an error with WHY
 * (LEN bytes) saying what is wrong and nothing allocated. */
enum cpn_err tls_creds_load(const char *cert_path, const char *key_path, struct tls_creds **out,
                            char *why, size_t len) CPN_MUST_CHECK;

/* Puts C in force for new connections, taking over the caller's reference; the credentials
 * in force before are freed once the last connection that uses them has closed. */
void tls_creds_install(struct tls_creds *c);

/* The credentials in force with a reference for the caller (a new connection keeps them
 * until it closes), or NULL when none are installed. */
struct tls_creds *tls_creds_hold(void);

/* Drops a reference taken by tls_creds_hold or given by tls_creds_load; NULL is a no-op. */
void tls_creds_release(struct tls_creds *c);

/* Empties the slot (at shutdown, after the last connection closed). */
void tls_creds_uninstall(void);

/* Points *PCERT and *N at C's certificate chain and *KEY at its key, as a
 * gnutls_certificate_retrieve_function2 answers (GnuTLS neither changes nor frees them; they
 * live as long as the caller's reference to C). */
void tls_creds_get(const struct tls_creds *c, gnutls_pcert_st **pcert, unsigned *n,
                   gnutls_privkey_t *key);

/* The notAfter of C's certificate. */
time_t tls_creds_not_after(const struct tls_creds *c);

/* A line describing C's certificate for the log ("CN=…, serial …, notAfter …") into BUF. */
const char *tls_creds_describe(const struct tls_creds *c, char *buf, size_t len);

#endif
