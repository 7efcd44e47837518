/* The bulk exports' registry (http_export.c): their stall timeout, and cancelling them all at
 * shutdown. */
#ifndef SVC_HTTP_EXPORT_H
#define SVC_HTTP_EXPORT_H

/* Sets how long an export may wait for its client to take the next chunk before it is
 * cancelled (its slot and database snapshot released); before serving. */
void http_exports_configure(unsigned stall_timeout_s);

/* Cancels every running export and resumes its connection (libmicrohttpd may not be stopped
 * with suspended connections); new exports are refused from then on. Before MHD_stop_daemon. */
void http_exports_stop(void);

#endif
