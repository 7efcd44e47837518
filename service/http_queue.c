/* Queueing a response: the headers every answer carries, and closing a connection that has
 * no verified certificate after its one answer. */
#include "http_conn.h"
#include "http_queue.h"

enum MHD_Result http_queue(struct http_req *r, unsigned status, struct MHD_Response *resp)
{
    if (resp == NULL)
        return MHD_NO;
    if (MHD_get_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL) == NULL)
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->close || !http_conn_authenticated(r->ctx)) {
        /* A connection without a verified certificate serves one answer: it leaves the
         * guard's budget now and is closed after this answer. */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
        http_conn_settle(r->ctx);
    }
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->allow[0] != '\0')
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    r->status = status;
    enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}
