/* GET /v1/offline-conflicts[?campaign=ID][&after=ID][&limit=N] (marketer, admin): the coupons
 * tills accepted offline that the service could not book when they arrived (another till had
 * redeemed them first, or they were no longer valid), for a person to decide: both stores, both
 * txn ids, the times and the discount given. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_closing.h"
#include "handlers.h"
#include "http_common.h"

enum MHD_Result http_offline_conflicts_list(struct http_req *r)
{
    int64_t campaign = 0, after = 0, limit = 100;
    const char *c = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "campaign");
    const char *a = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "after");
    const char *l = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit");
    if (c != NULL && http_parse_id(c, &campaign) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'campaign' must be a campaign id.");
    if (a != NULL && strcmp(a, "0") != 0 && http_parse_id(a, &after) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'after' must be a conflict id.");
    if (l != NULL && (http_parse_id(l, &limit) != 0 || limit > 1000))
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'limit' must be from 1 to 1000.");
    char *text = NULL;
    int rc = db_offline_conflicts(campaign, after, (int)limit, &text);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    json_t *out = json_loads(text, 0, NULL);
    free(text);
    return out != NULL ? http_reply_json(r, 200, out) : http_reply_error(r, CPN_ERR_INTERNAL, NULL);
}
