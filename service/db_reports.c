/* Report stored-function calls: one round trip each, JSON text out. */
#include "db.h"
#include "db_reports.h"

int db_campaign_report(int64_t campaign, const char *from, const char *to, char **json)
{
    const struct db_param params[] = {db_param_int(campaign), db_param_text(from),
                                      db_param_text(to), DB_PARAM_END};
    return db_select_text("campaign_report", params, json);
}

int db_campaign_compare(int64_t campaign, char **json)
{
    const struct db_param params[] = {db_param_int(campaign), DB_PARAM_END};
    return db_select_text("campaign_compare", params, json);
}

int db_campaign_batches(int64_t campaign, char **json)
{
    const struct db_param params[] = {db_param_int(campaign), DB_PARAM_END};
    return db_select_text("campaign_batches", params, json);
}

int db_audit_list(int64_t after, int limit, int64_t campaign, char **json)
{
    const struct db_param params[] = {db_param_int(after), db_param_int(limit),
                                      db_param_int_if(campaign > 0, campaign), DB_PARAM_END};
    return db_select_text("audit_list", params, json);
}
