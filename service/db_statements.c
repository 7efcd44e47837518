/* The one list of prepared statements. Hot paths call one stored function each. */
#include <stddef.h>

#include "db_statements.h"

const struct db_statement db_statements[] = {
    {.name = "ping", .sql = "SELECT 1"},
    {.name = "campaign_list", .sql = "SELECT campaign_list($1::bigint, $2::integer, $3, $4)"},
    {.name = "campaign_get", .sql = "SELECT campaign_get($1::bigint)"},
    {.once = true,
     .name = "campaign_create",
     .sql =
         "SELECT status, body FROM campaign_create($1, $2, $3::bigint, $4::bigint, $5::bigint, $6,"
         " $7::bigint, $8::bigint, $9::bigint, $10::integer[], $11::bigint, $12, $13::boolean,"
         " $14::date, $15::numeric, $16::bigint, $17::integer, $18, $19::date, $20::date,"
         " $21::integer, $22::integer, $23, $24::bigint, $25::boolean)"},
    {.name = "coupon_issue_begin",
     .sql = "SELECT * FROM coupon_issue_begin($1::bigint, $2::integer, $3::integer, $4::bigint, $5,"
            " $6, $7::integer)"},
    {.name = "coupon_issue_finish",
     .sql = "SELECT coupon_issue_finish($1::bigint, $2::bigint, $3::integer)"},
    {.name = "coupon_get", .sql = "SELECT coupon_get($1::bigint)"},
    {.name = "coupon_batch_serials",
     .sql = "SELECT serial FROM coupons WHERE serial BETWEEN $2::bigint AND $3::bigint"
            " AND batch_id = $1::bigint ORDER BY serial"},
    {.name = "campaign_terms", .sql = "SELECT * FROM campaign_terms($1::bigint)"},
    {.name = "coupon_terms", .sql = "SELECT * FROM coupon_terms($1::bigint)"},
    {.name = "redeem",
     .sql = "SELECT * FROM redeem($1::bigint, $2::integer, $3, $4, $5::bigint, $6::bigint, $7,"
            " $8::timestamptz, $9::jsonb, $10::boolean)"},
    /* The commonest redemption in one statement, no PL/pgSQL (sql/functions/0302_redeem.sql
     * says when it applies and what it answers; db_redeem() falls back to redeem()). A card
     * only on an offer that is not points, so unknown_card (card_known) cannot arise. */
    {.lazy = true,
     .name = "redeem_fast",
     .sql = "WITH u AS (UPDATE coupons k SET uses = k.uses + 1 FROM campaigns x"
            " WHERE k.serial = $1::bigint AND x.id = k.campaign_id AND k.uses < k.max_uses"
            " AND x.max_redemptions IS NULL AND k.max_per_card IS NULL"
            " AND x.max_per_card IS NULL AND (x.offer_kind <> 'points' OR $6::bigint IS NULL)"
            " AND coupon_verdict_of(k.batch_id, k.card_serial, k.uses, k.max_uses,"
            " x.voided_batches, x.ended_at, x.paused_at, x.starts_at, x.ends_at, x.stores,"
            " x.offer_kind, x.min_basket_cents, x.limited_uses, x.max_redemptions,"
            " $2::integer, $5::bigint, $6::bigint, true, now()) = 'ok'"
            " RETURNING x.id, discount_of(x.offer_kind, x.offer_value, $5::bigint) AS discount,"
            " CASE WHEN x.offer_kind = 'points' THEN (SELECT offer_points_of(x.offer_multiply,"
            " x.offer_value, $5::bigint, p.points_per_euro, p.max_offer_points)"
            " FROM card_programme p) ELSE 0 END AS points)"
            " INSERT INTO redemptions (coupon_serial, campaign_id, store_id, terminal, txn_id,"
            " basket_cents, discount_cents, points, card_serial)"
            " SELECT $1::bigint, u.id, $2::integer, $3, $4, $5::bigint, u.discount, u.points,"
            " $6::bigint FROM u"
            " ON CONFLICT (terminal, txn_id) DO UPDATE SET terminal = redeem_key_taken()"
            " RETURNING id AS redemption_id, discount_cents, campaign_id, points,"
            " rfc3339(created_at) AS redeemed_at"},
    /* Group commit (db_redeem_group.c): redeem_fast for several redemptions at once, one per
     * element of the arrays (serial, store, terminal, txn_id, basket, card; card 0 = none),
     * in serial order; a row per redemption booked, by its key. Its guards, verdict, discount,
     * points and key gate are redeem_fast's text with i.<column> for each parameter: change
     * both together (tests/unit/test_svc_db_seam.c compares them). */
    {.lazy = true,
     .name = "redeem_group",
     .sql = "WITH i AS (SELECT t.serial, t.store, t.terminal, t.txn, t.basket,"
            " NULLIF(t.card, 0) AS card FROM unnest($1::bigint[], $2::integer[], $3::text[],"
            " $4::text[], $5::bigint[], $6::bigint[]) AS t(serial, store, terminal, txn, basket,"
            " card)),"
            " u AS (UPDATE coupons k SET uses = k.uses + 1 FROM i, campaigns x"
            " WHERE k.serial = i.serial AND x.id = k.campaign_id AND k.uses < k.max_uses"
            " AND x.max_redemptions IS NULL AND k.max_per_card IS NULL"
            " AND x.max_per_card IS NULL AND (x.offer_kind <> 'points' OR i.card IS NULL)"
            " AND coupon_verdict_of(k.batch_id, k.card_serial, k.uses, k.max_uses,"
            " x.voided_batches, x.ended_at, x.paused_at, x.starts_at, x.ends_at, x.stores,"
            " x.offer_kind, x.min_basket_cents, x.limited_uses, x.max_redemptions,"
            " i.store, i.basket, i.card, true, now()) = 'ok'"
            " RETURNING k.serial, x.id, i.store, i.terminal, i.txn, i.basket, i.card,"
            " discount_of(x.offer_kind, x.offer_value, i.basket) AS discount,"
            " CASE WHEN x.offer_kind = 'points' THEN (SELECT offer_points_of(x.offer_multiply,"
            " x.offer_value, i.basket, p.points_per_euro, p.max_offer_points)"
            " FROM card_programme p) ELSE 0 END AS points)"
            " INSERT INTO redemptions (coupon_serial, campaign_id, store_id, terminal, txn_id,"
            " basket_cents, discount_cents, points, card_serial)"
            " SELECT u.serial, u.id, u.store, u.terminal, u.txn, u.basket, u.discount, u.points,"
            " u.card FROM u"
            " ON CONFLICT (terminal, txn_id) DO UPDATE SET terminal = redeem_key_taken()"
            " RETURNING terminal, txn_id, id AS redemption_id, discount_cents, campaign_id,"
            " points, rfc3339(created_at) AS redeemed_at"},
    /* Group commit's checks (db_redeem_group.c): coupon_check_fast() for several checks at
     * once, one per element of the arrays (serial, store, basket, card; card 0 = none); a row
     * per coupon found, N its element's place (from 1). */
    {.lazy = true,
     .name = "check_group",
     .sql = "SELECT i.n, r.status, r.discount_cents, r.campaign_id, r.points, r.full_check"
            " FROM unnest($1::bigint[], $2::integer[], $3::bigint[], $4::bigint[])"
            " WITH ORDINALITY AS i(serial, store, basket, card, n)"
            " CROSS JOIN LATERAL coupon_check_fast(i.serial, i.store, i.basket,"
            " NULLIF(i.card, 0)) AS r"},
    {.name = "coupon_check",
     .sql = "SELECT * FROM coupon_check($1::bigint, $2::integer, $3::bigint, $4::bigint, $5, $6)"},
    {.name = "coupon_check_fast",
     .sql = "SELECT * FROM coupon_check_fast($1::bigint, $2::integer, $3::bigint, $4::bigint)"},
    {.name = "redemption_void",
     .sql = "SELECT * FROM redemption_void($1::bigint, $2::integer, $3, $4)"},
    {.name = "campaign_report", .sql = "SELECT campaign_report($1::bigint, $2::date, $3::date)"},
    {.once = true,
     .name = "card_serials_reserve",
     .sql = "SELECT card_serials_reserve($1::integer, $2::integer)"},
    {.once = true, .name = "card_create", .sql = "SELECT card_create($1::bigint)"},
    {.name = "card_get", .sql = "SELECT card_get($1::bigint)"},
    {.name = "card_earn",
     .sql = "SELECT * FROM card_earn($1::bigint, $2::integer, $3, $4, $5::bigint,"
            " $6::timestamptz, $7::boolean)"},
    {.name = "card_burn",
     .sql = "SELECT * FROM card_burn($1::bigint, $2::integer, $3, $4, $5::bigint)"},
    {.name = "card_transaction_void",
     .sql = "SELECT * FROM card_transaction_void($1::bigint, $2::integer, $3, $4)"},
    {.name = "card_expire", .sql = "SELECT card_expire($1::integer)"},
    {.name = "code_key_claim", .sql = "SELECT code_key_claim($1, $2::integer)"},
    {.name = "campaign_lifecycle",
     .sql = "SELECT status, body FROM campaign_lifecycle($1::bigint, $2, $3, $4)"},
    {.name = "campaign_update",
     .sql = "SELECT status, body FROM campaign_update($1::bigint, $2, $3::bigint, $4::bigint,"
            " $5::bigint, $6::numeric, $7::date, $8::integer, $9, $10)"},
    {.name = "campaign_batches", .sql = "SELECT campaign_batches($1::bigint)"},
    {.name = "batch_void", .sql = "SELECT status, body FROM batch_void($1::bigint, $2, $3, $4)"},
    {.name = "audit_list", .sql = "SELECT audit_list($1::bigint, $2::integer, $3::bigint)"},
    {.name = "campaign_compare", .sql = "SELECT campaign_compare($1::bigint)"},
    {.name = "recipients_prepare",
     .sql =
         "SELECT status, holdout_key, unknown FROM recipients_prepare($1::bigint, $2::bigint[])"},
    {.name = "recipients_begin",
     .sql = "SELECT status, recipients, holdout, batch_id FROM recipients_begin($1::bigint,"
            " $2::bytea, $3::bytea, $4::integer, $5::numeric, $6::integer, $7)"},
    {.name = "recipients_finish",
     .sql = "SELECT status FROM recipients_finish($1::bigint, $2::bigint, $3::bigint[], $4, $5)"},
    {.name = "terminal_closing",
     .sql = "SELECT terminal_closing(CASE WHEN $1::text IS NULL THEN terminal_keys($2)"
            " ELSE ARRAY[$1::text] END, $3::date)"},
    {.name = "offline_conflict_list",
     .sql = "SELECT offline_conflict_list($1::bigint, $2::bigint, $3::integer)"},
    {.name = "campaign_get_terms", .sql = "SELECT campaign_get_terms($1::bigint)"},
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
    /* counter (issue 17) */
    {.name = "redemption_return",
     .sql = "SELECT * FROM redemption_return($1::bigint, $2::integer, $3, $4, $5::bigint)"},
    {.name = "bounce_pool_needs", .sql = "SELECT * FROM bounce_pool_needs($1::integer)"},
    {.name = "bounce_pool_reserve",
     .sql = "SELECT * FROM bounce_pool_reserve($1::bigint, $2::integer, $3::integer)"},
    {.name = "bounce_pool_add",
     .sql = "SELECT bounce_pool_add($1::bigint, $2::bigint, $3::bigint, $4::bigint[])"},
    {.name = "receipt_credit_days", .sql = "SELECT receipt_credit_days()"},
    {.name = "bounce_campaigns_live", .sql = "SELECT bounce_campaigns_live()"},
    {.name = "card_credit_receipt",
     .sql = "SELECT * FROM card_credit_receipt($1::bigint, $2::integer, $3, $4, $5, $6,"
            " $7::bigint, $8::bigint)"},
    {.name = NULL, .sql = NULL},
};
