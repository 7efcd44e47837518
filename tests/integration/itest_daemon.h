/* A coupond of a test's own, for tests that need flags the shared coupond_running fixture does
 * not set, or that stop coupond themselves: started from $COUPOND_BUILD_DIR on a free
 * loopback port with the dev PKI and $COUPOND_DB, logging to a file of its own. */
#ifndef ITEST_DAEMON_H
#define ITEST_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

/* Starts coupond serve with the EXTRA flags (a NULL-terminated list, may be NULL) and points
 * itest_base_url() at it: call before any other itest call. A second start (after
 * itest_daemon_stop) serves on the same address with the same flags. Returns 0 once
 * /healthz answers, or -1 (the log is printed to stderr). */
int itest_daemon_start(const char *const *extra);

/* Sends SIGTERM and waits up to TIMEOUT_S seconds. Returns coupond's exit status, or -1 when
 * it had to be killed, died from a signal, or was not running. */
int itest_daemon_stop(int timeout_s);

/* The running coupond's process id, or 0. */
pid_t itest_daemon_pid(void);

/* True when coupond's log so far contains NEEDLE. */
bool itest_daemon_log_has(const char *needle);

/* Removes coupond's log (after a run that went well). */
void itest_daemon_remove_log(void);

/* True when coupond's log holds a sanitizer report (ASan, LeakSanitizer, UBSan); it is
 * printed to stderr then. */
bool itest_daemon_sanitizer_report(void);

#endif
