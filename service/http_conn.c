/* A connection's own state: leaving the connection guard's budget once, and whether its
 * principal is accepted. */
#include "http_conn.h"

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
