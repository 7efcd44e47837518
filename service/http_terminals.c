/* GET /v1/terminals/{name}/closing?day=YYYY-MM-DD[&store=N]: a till's day closing
 * (Kassenabschluss) for the local business day in the retailer's time zone. A terminal sees only
 * its own (its certificate's name, its store); an admin any terminal's, of one store or of all
 * the stores it booked in. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_closing.h"
#include "handlers.h"
#include "http_common.h"

/* Returns true when NAME could be a terminal's certificate name: 1 to 64 of A-Z a-z 0-9 . _ -. */
static bool name_valid(const char *name)
{
    size_t n = strlen(name);
    return n >= 1 && n <= 64 &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Returns true when DAY is a date YYYY-MM-DD from 2000 to 2999 that exists. */
static bool day_valid(const char *day)
{
    if (strlen(day) != 10 || day[4] != '-' || day[7] != '-' || strspn(day, "0123456789") != 4 ||
        strspn(day + 5, "0123456789") != 2 || strspn(day + 8, "0123456789") != 2)
        return false;
    int y = (day[0] - '0') * 1000 + (day[1] - '0') * 100 + (day[2] - '0') * 10 + (day[3] - '0');
    int m = (day[5] - '0') * 10 + (day[6] - '0'), d = (day[8] - '0') * 10 + (day[9] - '0');
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= days[m - 1] + (m == 2 && leap);
}

enum MHD_Result http_terminals_closing(struct http_req *r)
{
    const struct principal *p = r->principal;
    const char *name = r->params[0];
    const char *day = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "day");
    const char *store = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "store");
    if (!name_valid(name))
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no terminal with that name.");
    if (day == NULL || !day_valid(day))
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'day' must be a date like 2026-03-29.");
    int64_t store_id = 0;
    if (store != NULL && (http_parse_id(store, &store_id) != 0 || store_id > INT32_MAX))
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'store' must be a store number.");
    if (p->role == ROLE_TERMINAL &&
        (strcmp(name, p->name) != 0 || (store != NULL && store_id != p->store)))
        return http_reply_error(r, CPN_ERR_FORBIDDEN, "A till may only see its own closing.");
    char key[128];
    bool one = p->role == ROLE_TERMINAL || store != NULL;
    if (one) {
        int n = snprintf(key, sizeof key, "%" PRId64 "/%s",
                         p->role == ROLE_TERMINAL ? (int64_t)p->store : store_id, name);
        if (n < 0 || (size_t)n >= sizeof key)
            return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    char *text = NULL;
    int rc = db_terminal_closing(one ? key : NULL, name, day, &text);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    json_t *out = json_loads(text, 0, NULL);
    free(text);
    if (out == NULL)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    json_object_set_new(out, "terminal", json_string(name));
    if (one)
        json_object_set_new(out, "store",
                            json_integer(p->role == ROLE_TERMINAL ? p->store : store_id));
    return http_reply_json(r, 200, out);
}
