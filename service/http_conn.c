/* A connection's own state: finding it, leaving the connection guard's budget once, and
 * whether its principal is accepted. */
#include "http_conn.h"

struct conn_ctx *http_conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

void http_conn_settle(struct conn_ctx *ctx)
{
    if (ctx != NULL && !ctx->settled) {
        ctx->settled = true;
        guard_settle(&ctx->guard);
    }
}

bool http_conn_authenticated(const struct conn_ctx *ctx)
{
    return ctx != NULL && ctx->verified && ctx->principal.verdict == CPN_OK;
}
