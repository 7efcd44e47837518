/* Queueing a response (http_queue.c), under every http_reply_* answer and the console's. */
#ifndef SVC_HTTP_QUEUE_H
#define SVC_HTTP_QUEUE_H

#include <microhttpd.h>

#include "http.h"

/* Queues RESP with STATUS (takes RESP), adding the common headers. */
enum MHD_Result http_queue(struct http_req *r, unsigned status, struct MHD_Response *resp);

#endif
