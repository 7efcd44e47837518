-- The coupon's rules shared by the check, the redemption and offline acceptance: the discount,
-- a points offer's points, the verdict, the last live redemption.
--
-- Each rule is written once, as an SQL function of one expression (discount_of, offer_points_of,
-- coupon_verdict_of): PostgreSQL inlines such a function into the statement or PL/pgSQL
-- expression that calls it (no call, no plan of its own), so the check's one prepared
-- statement (coupon_check_fast, 0307) and the PL/pgSQL callers judge by the same text. They
-- stay inlinable only while they are a single SELECT of an expression without a subquery, not
-- STRICT, not SECURITY DEFINER, without SET, and no more volatile than declared
-- (tests/integration/t_check_fast.sh reads the plan to hold that). The PL/pgSQL helpers
-- (discount_for, offer_points, coupon_verdict_at) keep their signatures for their callers: an
-- SQL function that cannot be inlined is parsed and planned again on every call (measured:
-- 155 µs per coupon_verdict), while PL/pgSQL keeps its plans for the session.

-- discount_of(kind, value, basket): the discount in cents: percent of the basket rounded
-- half-up to the cent, or a fixed amount capped at the basket; points offers give no discount
-- (their points go to the card).
CREATE OR REPLACE FUNCTION discount_of(p_kind text, p_value bigint, p_basket bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE p_kind
    WHEN 'percent' THEN (p_basket * p_value + 50) / 100
    WHEN 'amount' THEN least(p_value, p_basket)
    ELSE 0 END
$$;

-- discount_for(kind, value, basket): discount_of(), NULL when an argument is NULL.
CREATE OR REPLACE FUNCTION discount_for(p_kind text, p_value bigint, p_basket bigint)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    RETURN discount_of(p_kind, p_value, p_basket);
END;
$$;

-- offer_points_of(multiply, value, basket, points_per_euro, max_offer_points): the points a
-- points offer of VALUE gives: its value, or for a multiplying offer (factor N = VALUE) N-1
-- times the programme's points for the basket, so that with the purchase's own earn the
-- customer gets N times the points; never more than the programme's max_offer_points (the
-- last two are card_programme's, NULL when it has no row).
CREATE OR REPLACE FUNCTION offer_points_of(p_multiply boolean, p_value bigint, p_basket bigint,
                                           p_per_euro integer, p_max bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN NOT p_multiply THEN least(p_value, p_max)
            ELSE least((p_value - 1) * (p_basket / 100) * coalesce(p_per_euro, 1), p_max) END
$$;

-- offer_points(campaign, basket): offer_points_of() for campaign C's offer, 0 unless it is a
-- points offer.
CREATE OR REPLACE FUNCTION offer_points(c campaigns, p_basket bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p card_programme;
BEGIN
    IF c.offer_kind <> 'points' THEN
        RETURN 0;
    END IF;
    SELECT * INTO p FROM card_programme;
    RETURN offer_points_of(c.offer_multiply, c.offer_value, p_basket, p.points_per_euro,
                           p.max_offer_points);
END;
$$;

-- coupon_verdict_of(the coupon's and its campaign's columns, store, basket, card, card_known,
-- at): why this coupon cannot be used here at the instant AT, or 'ok'. Shared by the check and
-- the redeem (AT: now(), or the offline time a till accepted it at); a test asks it about any
-- instant. A points offer given a card that is not in the cards table (CARD_KNOWN false) is
-- refused as unknown_card; CARD_KNOWN is read only then, so the caller may pass the subquery
-- itself (EXISTS ... cards ...): inlined, it runs only when reached. A coupon of a voided
-- batch is voided_batch; a campaign ended early is expired from then on; a paused one is
-- campaign_paused from its pause on. The tests are taken in this order, the first true wins;
-- a test on a NULL column (no end, no pause, all stores, no card, no cap) is unknown, which
-- is not true, so none of them needs its own IS NOT NULL (each is a step of the executor's
-- expression, built again at every statement's start). Columns, not the two rows: a PL/pgSQL
-- caller's row fields are cheap to pass, a row's fields picked out by the expression are not
-- (measured: whole-row arguments made redeem() 0.8 % dearer, these 0.3 %).
CREATE OR REPLACE FUNCTION coupon_verdict_of(
    p_batch_id bigint, p_card_serial bigint, p_uses integer, p_max_uses integer,
    p_voided_batches bigint[], p_ended_at timestamptz, p_paused_at timestamptz,
    p_starts_at timestamptz, p_ends_at timestamptz, p_stores integer[], p_offer_kind text,
    p_min_basket_cents bigint, p_limited_uses bigint, p_max_redemptions bigint,
    p_store integer, p_basket bigint, p_card bigint, p_card_known boolean, p_at timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
    WHEN p_batch_id = ANY (p_voided_batches) THEN 'voided_batch'
    WHEN p_at >= p_ended_at THEN 'expired'
    WHEN p_at >= p_paused_at AND p_at < p_ends_at THEN 'campaign_paused'
    WHEN p_at < p_starts_at THEN 'not_started'
    WHEN p_at >= p_ends_at THEN 'expired'
    WHEN NOT (p_store = ANY (p_stores)) THEN 'wrong_store'
    WHEN p_card_serial IS NOT NULL AND p_card IS NULL THEN 'card_required'
    WHEN p_card <> p_card_serial THEN 'wrong_card'
    WHEN p_offer_kind = 'points' AND p_card IS NOT NULL AND NOT p_card_known THEN 'unknown_card'
    WHEN p_basket < p_min_basket_cents THEN 'below_minimum'
    WHEN p_uses >= p_max_uses THEN 'already_redeemed'
    WHEN p_limited_uses >= p_max_redemptions THEN 'campaign_exhausted'
    ELSE 'ok' END
$$;

-- coupon_verdict_at(coupon, campaign, store, basket, card, at): coupon_verdict_of() as a status
-- word, the card looked up only for a points offer with a card (its own IF: a condition with
-- a subquery runs as a query of its own on every call, cheap tests do not; issue 12).
CREATE OR REPLACE FUNCTION coupon_verdict_at(cp coupons, c campaigns, p_store integer,
                                             p_basket bigint, p_card bigint, p_at timestamptz)
RETURNS status_word
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_known boolean := true;
BEGIN
    IF c.offer_kind = 'points' AND p_card IS NOT NULL THEN
        v_known := EXISTS (SELECT 1 FROM cards k WHERE k.serial = p_card);
    END IF;
    RETURN coupon_verdict_of(cp.batch_id, cp.card_serial, cp.uses, cp.max_uses,
                             c.voided_batches, c.ended_at, c.paused_at, c.starts_at, c.ends_at,
                             c.stores, c.offer_kind, c.min_basket_cents, c.limited_uses,
                             c.max_redemptions, p_store, p_basket, p_card, v_known, p_at);
END;
$$;

-- coupon_verdict(coupon, campaign, store, basket, card): coupon_verdict_at() now.
CREATE OR REPLACE FUNCTION coupon_verdict(cp coupons, c campaigns, p_store integer,
                                          p_basket bigint, p_card bigint)
RETURNS status_word
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coupon_verdict_at(cp, c, p_store, p_basket, p_card, now());
END;
$$;

-- last_live_redemption(serial): when and where the coupon was last redeemed (not voided).
CREATE OR REPLACE FUNCTION last_live_redemption(p_serial bigint,
                                                OUT at timestamptz, OUT store integer)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT r.created_at, r.store_id INTO at, store FROM redemptions r
     WHERE r.coupon_serial = p_serial
       AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
     ORDER BY r.id DESC LIMIT 1;
END;
$$;
