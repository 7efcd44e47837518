-- The check's common case in one statement (issue 12, item 4): the coupon joined with its
-- campaign by primary key, the verdict, discount and points as expressions of that one row.

-- coupon_check_fast(serial, store, basket, card): what coupon_check() answers for a check
-- without a receipt, as one SELECT that PostgreSQL inlines into the statement calling it
-- (LANGUAGE sql, STABLE, not STRICT, a set of rows): coupond prepares
-- "SELECT * FROM coupon_check_fast($1, $2, $3, $4)" once per connection and keeps its plan,
-- so no function is called per check (coupon_verdict_of, discount_of and offer_points_of are
-- inlined too; tests/integration/t_check_fast.sh reads the plan). No row: the coupon does not
-- exist (coupon_check() answers not_found). FULL_CHECK: the answer may need coupon_check()
-- itself, whose other columns this one does not compute: a used-up coupon (already_redeemed
-- answers when and where it was last redeemed) or one a limit per card applies to; the caller
-- then asks coupon_check() and ignores this row. Otherwise STATUS and CAMPAIGN_ID are
-- coupon_check()'s, and DISCOUNT_CENTS and POINTS are too when STATUS is ok: for a refusal
-- they are the offer's, and coupon_check() answers 0 (the caller zeroes them; one level of
-- SELECT, so the statement's executor start stays small: measured in docs/BENCHMARKS.md).
-- A points offer's points read card_programme's one row (migration 0005 makes it, nothing
-- deletes it): without it they would be NULL and coupond's call would fail, where offer_points()
-- would still answer (a fallback for that broken database cost 4 % of the statement).
-- t_check_fast.sh compares the two over a matrix of coupons.
CREATE OR REPLACE FUNCTION coupon_check_fast(p_serial bigint, p_store integer, p_basket bigint,
                                             p_card bigint)
RETURNS TABLE (status text, discount_cents bigint, campaign_id bigint, points bigint,
               full_check boolean)
LANGUAGE sql STABLE AS $$
SELECT coupon_verdict_of(k.batch_id, k.card_serial, k.uses, k.max_uses,
                         x.voided_batches, x.ended_at, x.paused_at, x.starts_at, x.ends_at,
                         x.stores, x.offer_kind, x.min_basket_cents, x.limited_uses,
                         x.max_redemptions, p_store, p_basket, p_card,
                         EXISTS (SELECT 1 FROM cards d WHERE d.serial = p_card), now()),
       discount_of(x.offer_kind, x.offer_value, p_basket),
       x.id,
       CASE WHEN x.offer_kind = 'points'
            THEN (SELECT offer_points_of(x.offer_multiply, x.offer_value, p_basket,
                                         p.points_per_euro, p.max_offer_points)
                    FROM card_programme p)
            ELSE 0 END,
       k.uses >= k.max_uses OR k.max_per_card IS NOT NULL OR x.max_per_card IS NOT NULL
  FROM coupons k JOIN campaigns x ON x.id = k.campaign_id
 WHERE k.serial = p_serial
$$;
