/* The day closing and offline-conflict stored-function calls: one round trip each. */
#include "db.h"
#include "db_closing.h"

int db_terminal_closing(const char *key, const char *name, const char *day, char **json)
{
    const struct db_param params[] = {db_param_text(key), db_param_text(name), db_param_text(day),
                                      DB_PARAM_END};
    return db_select_text("terminal_closing", params, json);
}

int db_offline_conflicts(int64_t campaign, int64_t after, int limit, char **json)
{
    const struct db_param params[] = {db_param_int_if(campaign > 0, campaign), db_param_int(after),
                                      db_param_int(limit), DB_PARAM_END};
    return db_select_text("offline_conflict_list", params, json);
}
