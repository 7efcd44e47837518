/* The one list of prepared statements. Hot paths call one stored function each. */
#include <stddef.h>

#include "db_statements.h"

const struct db_statement db_statements[] = {
    {"ping", "SELECT 1"},
    {"campaign_list", "SELECT campaign_list($1::bigint, $2::integer)"},
    {"campaign_get", "SELECT campaign_get($1::bigint)"},
    {"campaign_create",
     "SELECT status, body FROM campaign_create($1, $2, $3::bigint, $4::bigint, $5::bigint, $6,"
     " $7::bigint, $8::bigint, $9::bigint, $10::integer[], $11::bigint, $12)"},
    {NULL, NULL},
};
