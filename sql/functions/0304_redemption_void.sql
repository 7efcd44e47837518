-- Voiding a redemption.

-- redemption_void(...): reverses a redemption once, by a terminal of the same store, as
-- a new row; the coupon (and the campaign's limit) get the use back, and the points a
-- points offer credited to a card are taken back (ledger kind 'coupon_void'). When the
-- card no longer holds them (they were spent) nothing changes and the void is refused
-- as insufficient_points. Idempotent by (terminal, txn_id). Another store's redemption is
-- not_found, as one that does not exist. VOIDED_AT, DISCOUNT_CENTS and CAMPAIGN_ID (ok,
-- replay): when it was voided, and the discount and campaign of what it voided (a till's day
-- closing counts them). status: ok | replay | conflict | not_found | already_voided |
-- insufficient_points
-- Counter (issue 17): the redemption's row is locked (its returns queue there too); its
-- coupon leaves its receipt (the receipt's row locked before the coupon's, as in redeem) and
-- gives its card's use of a limited code or campaign back. Points that returns already took
-- back are not taken again (card_reverse_credit).
DROP FUNCTION IF EXISTS redemption_void(bigint, integer, text, text);
CREATE OR REPLACE FUNCTION redemption_void(
    p_redemption bigint, p_store integer, p_terminal text, p_txn text,
    OUT status status_word, OUT void_id bigint, OUT coupon_serial bigint, OUT voided_at text,
    OUT discount_cents bigint, OUT campaign_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    r redemptions;
    v redemption_voids;
    c campaigns;
    credit card_transactions;
    rev record;
BEGIN
    PERFORM till_txn_lock(p_terminal, p_txn, 'redemption_voids');
    SELECT * INTO v FROM redemption_voids WHERE terminal = p_terminal AND txn_id = p_txn;
    IF FOUND THEN
        status := CASE WHEN v.redemption_id = p_redemption THEN 'replay' ELSE 'conflict' END;
        void_id := v.id;
        IF status = 'replay' THEN
            SELECT * INTO r FROM redemptions x WHERE x.id = v.redemption_id;
            voided_at := rfc3339(v.created_at);
            discount_cents := r.discount_cents;
            campaign_id := r.campaign_id;
        END IF;
        RETURN;
    END IF;
    SELECT * INTO r FROM redemptions WHERE id = p_redemption FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        status := 'not_found';
        RETURN;
    END IF;
    IF r.store_id <> p_store THEN
        -- Another store's redemption is answered exactly like one that does not exist.
        status := 'not_found';
        RETURN;
    END IF;
    INSERT INTO redemption_voids (redemption_id, store_id, terminal, txn_id)
    VALUES (p_redemption, p_store, p_terminal, p_txn)
    ON CONFLICT (redemption_id) DO NOTHING
    RETURNING id INTO void_id;
    IF void_id IS NULL THEN
        status := 'already_voided';
        RETURN;
    END IF;
    SELECT * INTO c FROM campaigns WHERE id = r.campaign_id;
    -- counter {
    IF r.receipt IS NOT NULL THEN
        PERFORM receipt_stack_remove(r.terminal, r.receipt, r.discount_cents,
                                     c.combinable = 'exclusive');
    END IF;
    -- }
    UPDATE coupons SET uses = uses - 1 WHERE serial = r.coupon_serial AND uses > 0;
    IF c.max_redemptions IS NOT NULL THEN
        UPDATE campaigns SET limited_uses = limited_uses - 1
         WHERE id = c.id AND limited_uses > 0;
    END IF;
    -- counter {
    IF r.card_serial IS NOT NULL THEN
        PERFORM card_limit_give('coupon', r.coupon_serial, r.card_serial)
          FROM coupons x WHERE x.serial = r.coupon_serial AND x.max_per_card IS NOT NULL;
        IF c.max_per_card IS NOT NULL THEN
            PERFORM card_limit_give('campaign', c.id, r.card_serial);
        END IF;
    END IF;
    -- }
    IF r.points > 0 AND r.card_serial IS NOT NULL THEN
        SELECT * INTO credit FROM card_transactions x
         WHERE x.redemption_id = r.id AND x.kind = 'coupon';
        IF FOUND THEN
            PERFORM card_lock(r.card_serial);
            SELECT * INTO rev FROM card_reverse_credit(r.card_serial, credit, 'coupon_void',
                                                       p_store, p_terminal, NULL);
            IF (rev.t).id IS NULL THEN
                -- The points were spent: undo this void's rows (raise to the block below).
                RAISE EXCEPTION USING ERRCODE = 'CP409', MESSAGE = 'points already spent';
            END IF;
        END IF;
    END IF;
    coupon_serial := r.coupon_serial;
    voided_at := rfc3339(now());
    discount_cents := r.discount_cents;
    campaign_id := r.campaign_id;
    status := 'ok';
EXCEPTION WHEN SQLSTATE 'CP409' THEN
    status := 'insufficient_points';
    void_id := NULL;
    coupon_serial := NULL;
END;
$$;
