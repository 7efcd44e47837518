/* The one list of prepared statements. Hot paths call one stored function each. */
#include <stddef.h>

#include "db_statements.h"

const struct db_statement db_statements[] = {
    {.name = "ping", .sql = "SELECT 1"},
    {.name = "campaign_list", .sql = "SELECT campaign_list($1::bigint, $2::integer)"},
    {.name = "campaign_get", .sql = "SELECT campaign_get($1::bigint)"},
    {.once = true,
     .name = "campaign_create",
     .sql =
         "SELECT status, body FROM campaign_create($1, $2, $3::bigint, $4::bigint, $5::bigint, $6,"
         " $7::bigint, $8::bigint, $9::bigint, $10::integer[], $11::bigint, $12, $13::boolean)"},
    {.name = "coupon_issue_begin",
     .sql = "SELECT * FROM coupon_issue_begin($1::bigint, $2::integer, $3::integer, $4::bigint, $5,"
            " $6)"},
    {.name = "coupon_issue_finish",
     .sql = "SELECT coupon_issue_finish($1::bigint, $2::bigint, $3::integer)"},
    {.name = "coupon_get", .sql = "SELECT coupon_get($1::bigint)"},
    {.name = "coupon_batch_serials",
     .sql = "SELECT serial FROM coupons WHERE serial BETWEEN $2::bigint AND $3::bigint"
            " AND batch_id = $1::bigint ORDER BY serial"},
    {.name = "campaign_terms", .sql = "SELECT * FROM campaign_terms($1::bigint)"},
    {.name = "coupon_terms", .sql = "SELECT * FROM coupon_terms($1::bigint)"},
    {.name = "redeem",
     .sql = "SELECT * FROM redeem($1::bigint, $2::integer, $3, $4, $5::bigint, $6::bigint)"},
    {.name = "coupon_check",
     .sql = "SELECT * FROM coupon_check($1::bigint, $2::integer, $3::bigint, $4::bigint)"},
    {.name = "redemption_void",
     .sql = "SELECT * FROM redemption_void($1::bigint, $2::integer, $3, $4)"},
    {.name = "campaign_report", .sql = "SELECT campaign_report($1::bigint)"},
    {.once = true,
     .name = "card_serials_reserve",
     .sql = "SELECT card_serials_reserve($1::integer, $2::integer)"},
    {.once = true, .name = "card_create", .sql = "SELECT card_create($1::bigint)"},
    {.name = "card_get", .sql = "SELECT card_get($1::bigint)"},
    {.name = "card_earn",
     .sql = "SELECT * FROM card_earn($1::bigint, $2::integer, $3, $4, $5::bigint)"},
    {.name = "card_burn",
     .sql = "SELECT * FROM card_burn($1::bigint, $2::integer, $3, $4, $5::bigint)"},
    {.name = "card_transaction_void",
     .sql = "SELECT * FROM card_transaction_void($1::bigint, $2::integer, $3, $4)"},
    {.name = "card_expire", .sql = "SELECT card_expire($1::integer)"},
    {.name = "code_key_claim", .sql = "SELECT code_key_claim($1, $2::integer)"},
    {.once = true,
     .name = "webhook_create",
     .sql = "SELECT status, body FROM webhook_create($1, $2::text[], $3, $4::bytea, $5::boolean,"
            " $6, $7)"},
    {.name = "webhook_list", .sql = "SELECT webhook_list()"},
    {.name = "webhook_get", .sql = "SELECT webhook_get($1::bigint)"},
    {.name = "webhook_delete", .sql = "SELECT webhook_delete($1::bigint)"},
    {.name = "webhook_redeliver",
     .sql = "SELECT status, body, oldest FROM webhook_redeliver($1::bigint, $2::bigint)"},
    {.name = "webhook_deliveries",
     .sql = "SELECT webhook_deliveries($1::bigint, $2::bigint, $3::integer)"},
    {.name = NULL, .sql = NULL},
};
