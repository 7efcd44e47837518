/* Telling the service manager how coupond is doing (systemd's sd_notify protocol, written
 * out by hand: one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET). */
#ifndef SVC_NOTIFY_H
#define SVC_NOTIFY_H

/* Sends STATE (newline-separated "KEY=value" assignments, e.g. "READY=1") to the socket
 * named by $NOTIFY_SOCKET: a path, or an abstract name written with a leading '@'.
 * Returns 1 when it was sent, 0 when $NOTIFY_SOCKET is unset or empty (not run by a
 * service manager: nothing to do), -1 when it could not be sent (errno set; the caller
 * logs it, coupond runs on either way). */
int notify_send(const char *state);

/* "READY=1" plus a STATUS line: the listener is up and the database answers. Same
 * returns as notify_send. */
int notify_ready(void);

/* "STOPPING=1": shutdown begins. Same returns as notify_send. */
int notify_stopping(void);

#endif
