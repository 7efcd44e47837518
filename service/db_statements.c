/* The one list of prepared statements. Hot paths call one stored function each. */
#include <stddef.h>

#include "db_statements.h"

const struct db_statement db_statements[] = {
    {"ping", "SELECT 1"},
    {"campaign_list", "SELECT campaign_list($1::bigint, $2::integer)"},
    {"campaign_get", "SELECT campaign_get($1::bigint)"},
    {"campaign_create",
     "SELECT status, body FROM campaign_create($1, $2, $3::bigint, $4::bigint, $5::bigint, $6,"
     " $7::bigint, $8::bigint, $9::bigint, $10::integer[], $11::bigint, $12, $13::boolean)"},
    {"coupon_issue_begin",
     "SELECT * FROM coupon_issue_begin($1::bigint, $2::integer, $3::integer, $4::bigint, $5,"
     " $6)"},
    {"coupon_issue_finish", "SELECT coupon_issue_finish($1::bigint, $2::bigint, $3::integer)"},
    {"coupon_get", "SELECT coupon_get($1::bigint)"},
    {"campaign_terms", "SELECT * FROM campaign_terms($1::bigint)"},
    {"coupon_terms", "SELECT * FROM coupon_terms($1::bigint)"},
    {"redeem", "SELECT * FROM redeem($1::bigint, $2::integer, $3, $4, $5::bigint, $6::bigint)"},
    {"coupon_check", "SELECT * FROM coupon_check($1::bigint, $2::integer, $3::bigint, $4::bigint)"},
    {"redemption_void", "SELECT * FROM redemption_void($1::bigint, $2::integer, $3, $4)"},
    {"campaign_report", "SELECT campaign_report($1::bigint)"},
    {"card_serials_reserve", "SELECT card_serials_reserve($1::integer)"},
    {"card_create", "SELECT card_create($1::bigint)"},
    {"card_get", "SELECT card_get($1::bigint)"},
    {"card_earn", "SELECT * FROM card_earn($1::bigint, $2::integer, $3, $4, $5::bigint)"},
    {"card_burn", "SELECT * FROM card_burn($1::bigint, $2::integer, $3, $4, $5::bigint)"},
    {"card_transaction_void",
     "SELECT * FROM card_transaction_void($1::bigint, $2::integer, $3, $4)"},
    {NULL, NULL},
};
