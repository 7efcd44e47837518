/* coupond check-crl: is the CRL coupond reads still good for a while? For a timer that
 * warns before the CRL's nextUpdate passes (after that, revocation checks go stale). */
#ifndef SVC_CRL_CHECK_H
#define SVC_CRL_CHECK_H

#include <time.h>

/* Days before nextUpdate from which check-crl warns (coupond-pki issues CRLs for 30 days
 * and `coupond-pki dev` renews them from 7 days before). */
#define CRL_CHECK_WARN_DAYS 7

/* Reads the PEM CRL at CRL_PATH, verifies its signature with the CA certificate at CA_PATH
 * and compares its nextUpdate with NOW. Returns 0 when it verifies and nextUpdate is more
 * than WARN_DAYS days after NOW (one line on stdout says when it is due); 1 when it is due
 * within WARN_DAYS days, already past, has no nextUpdate, does not verify, or cannot be
 * read, or when CRL_PATH is NULL or empty (one line on stderr says which, and what to do).
 * Changes nothing. */
int crl_check(const char *crl_path, const char *ca_path, unsigned warn_days, time_t now);

#endif
