-- campaign_terms(id): what a coupon's signed form says about its campaign (end as Unix
-- seconds, offer), or no row.
CREATE OR REPLACE FUNCTION campaign_terms(p_campaign bigint,
    OUT ends_at bigint, OUT offer_kind text, OUT offer_value bigint, OUT min_basket_cents bigint)
RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT extract(epoch FROM ends_at)::bigint,
           CASE WHEN offer_multiply THEN 'points_multiply' ELSE offer_kind END,
           offer_value, min_basket_cents
      FROM campaigns WHERE id = p_campaign;
$$;

-- coupon_terms(serial): the campaign and card a coupon belongs to, with its campaign's
-- terms, or no row.
CREATE OR REPLACE FUNCTION coupon_terms(p_serial bigint,
    OUT campaign_id bigint, OUT card_serial bigint, OUT ends_at bigint, OUT offer_kind text,
    OUT offer_value bigint, OUT min_basket_cents bigint)
RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT cp.campaign_id, cp.card_serial, t.ends_at, t.offer_kind, t.offer_value,
           t.min_basket_cents
      FROM coupons cp, campaign_terms(cp.campaign_id) t
     WHERE cp.serial = p_serial;
$$;
