-- The check: what a redemption would answer now, changing nothing.

-- coupon_check(...): what redeem would answer now, changing nothing. Counter (issue 17): with
-- TERMINAL's receipt id RECEIPT, the coupon's place among the receipt's live coupons
-- (receipt_stack_verdict, reading only) and its refusals; a per-card limit reached, or missing
-- its card. RECEIPT_DISCOUNT_CENTS and RECEIPT_COUPONS: the receipt's so far.
DROP FUNCTION IF EXISTS coupon_check(bigint, integer, bigint, bigint);
CREATE OR REPLACE FUNCTION coupon_check(
    p_serial bigint, p_store integer, p_basket bigint, p_card bigint,
    p_terminal text DEFAULT NULL, p_receipt text DEFAULT NULL,
    OUT status status_word, OUT discount_cents bigint, OUT campaign_id bigint, OUT points bigint,
    OUT redeemed_at text, OUT redeemed_store integer,
    OUT receipt_discount_cents bigint, OUT receipt_coupons integer)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cp coupons;
    c campaigns;
    last record;
    k record; -- counter: the receipt's verdict
BEGIN
    SELECT * INTO cp FROM coupons WHERE serial = p_serial;
    IF NOT FOUND THEN
        status := 'not_found';
        RETURN;
    END IF;
    SELECT * INTO c FROM campaigns WHERE id = cp.campaign_id;
    campaign_id := c.id;
    status := coupon_verdict_at(cp, c, p_store, p_basket, p_card, now());
    IF status = 'already_redeemed' THEN
        last := last_live_redemption(p_serial);
        redeemed_at := rfc3339(last.at);
        redeemed_store := last.store;
    END IF;
    -- counter {
    IF status = 'ok' AND (cp.max_per_card IS NOT NULL OR c.max_per_card IS NOT NULL) THEN
        IF p_card IS NULL THEN
            status := 'card_required_limit';
        ELSIF card_limits_reached(p_serial, cp.max_per_card, c.id, c.max_per_card, p_card) THEN
            status := 'card_limit_reached';
        END IF;
    END IF;
    IF status = 'ok' AND p_receipt IS NOT NULL THEN
        SELECT * INTO k FROM receipt_stack_verdict(p_terminal, p_receipt, p_basket, c, false);
        status := k.status;
        receipt_discount_cents := k.total;
        receipt_coupons := k.coupons;
    END IF;
    -- }
    discount_cents := CASE WHEN status = 'ok'
                           THEN discount_for(c.offer_kind, c.offer_value, p_basket) ELSE 0 END;
    -- counter: on a receipt, the coupon's place in the fixed order
    IF status = 'ok' AND p_receipt IS NOT NULL THEN
        discount_cents := k.discount;
    END IF;
    points := CASE WHEN status = 'ok' THEN offer_points(c, p_basket) ELSE 0 END;
END;
$$;
