-- The coupon's rules shared by the check, the redemption and offline acceptance: the discount,
-- a points offer's points, the verdict, the last live redemption.
--
-- The helpers below are PL/pgSQL, not SQL functions: called from PL/pgSQL, a SQL
-- function that cannot be inlined is parsed and planned again on every call (measured:
-- 155 µs per coupon_verdict), while PL/pgSQL keeps its plans for the session.

-- discount_for(kind, value, basket): the discount in cents: percent of the basket
-- rounded half-up to the cent, or a fixed amount capped at the basket; points offers
-- give no discount (their points go to the card).
CREATE OR REPLACE FUNCTION discount_for(p_kind text, p_value bigint, p_basket bigint)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    RETURN CASE p_kind
        WHEN 'percent' THEN (p_basket * p_value + 50) / 100
        WHEN 'amount' THEN least(p_value, p_basket)
        ELSE 0 END;
END;
$$;

-- offer_points(campaign, basket): the points a points offer gives: its value, or for a
-- multiplying offer (factor N) N-1 times the programme's points for the basket, so that
-- with the purchase's own earn the customer gets N times the points; never more than the
-- programme's max_offer_points.
CREATE OR REPLACE FUNCTION offer_points(c campaigns, p_basket bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p card_programme;
BEGIN
    IF c.offer_kind <> 'points' THEN
        RETURN 0;
    END IF;
    SELECT * INTO p FROM card_programme;
    IF NOT c.offer_multiply THEN
        RETURN least(c.offer_value, p.max_offer_points);
    END IF;
    RETURN least((c.offer_value - 1) * (p_basket / 100) * coalesce(p.points_per_euro, 1),
                 p.max_offer_points);
END;
$$;

-- coupon_verdict_at(coupon, campaign, store, basket, card, at): why this coupon cannot be used
-- here at the instant AT, or 'ok'. Shared by the check and the redeem (AT: now(), or the offline
-- time a till accepted it at); a test asks it about any instant.
-- A points offer given a card that is not in the cards table is refused as unknown_card.
-- A coupon of a voided batch is voided_batch; a campaign ended early is expired from then on; a
-- paused one is campaign_paused from its pause on.
CREATE OR REPLACE FUNCTION coupon_verdict_at(cp coupons, c campaigns, p_store integer,
                                             p_basket bigint, p_card bigint, p_at timestamptz)
RETURNS status_word
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF cp.batch_id = ANY (c.voided_batches) THEN
        RETURN 'voided_batch';
    ELSIF c.ended_at IS NOT NULL AND p_at >= c.ended_at THEN
        RETURN 'expired';
    ELSIF c.paused_at IS NOT NULL AND p_at >= c.paused_at AND p_at < c.ends_at THEN
        RETURN 'campaign_paused';
    END IF;
    IF p_at < c.starts_at THEN
        RETURN 'not_started';
    ELSIF p_at >= c.ends_at THEN
        RETURN 'expired';
    ELSIF c.stores IS NOT NULL AND NOT (p_store = ANY (c.stores)) THEN
        RETURN 'wrong_store';
    ELSIF cp.card_serial IS NOT NULL AND p_card IS NULL THEN
        RETURN 'card_required';
    ELSIF cp.card_serial IS NOT NULL AND p_card <> cp.card_serial THEN
        RETURN 'wrong_card';
    END IF;
    -- a points offer credits its card, which must be one of ours (its own IF: a condition with
    -- a subquery runs as a query of its own on every call, cheap tests do not; issue 12)
    IF c.offer_kind = 'points' AND p_card IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM cards k WHERE k.serial = p_card) THEN
            RETURN 'unknown_card';
        END IF;
    END IF;
    IF p_basket < c.min_basket_cents THEN
        RETURN 'below_minimum';
    ELSIF cp.uses >= cp.max_uses THEN
        RETURN 'already_redeemed';
    ELSIF c.max_redemptions IS NOT NULL AND c.limited_uses >= c.max_redemptions THEN
        RETURN 'campaign_exhausted';
    END IF;
    RETURN 'ok';
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
