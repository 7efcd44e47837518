-- Offline acceptance's redemption (issue 16): redeem() for a coupon a till accepted offline.

-- redeem_offline(...): redeem() for a coupon a till accepted offline (P_OFFLINE_AT not NULL),
-- judged and booked on that time: the procedural path redeem() had for every call before it
-- was made lean (issue 12), kept for offline acceptance, whose rules (the offline time's
-- verdict, conflicts recorded and replayed) need the steps in this order, with the counter's
-- rules in it (issue 17). Its answer is redeem()'s. Idempotent by (terminal, txn_id): the same
-- request again replays the first answer; another request under the same txn_id is a
-- conflict. Then the guarded UPDATE of the coupon (uses < max_uses) decides who wins a
-- race, and the guarded campaign counter enforces max_redemptions. A points offer
-- redeemed with a card credits its points to that card's ledger (kind 'coupon', with a
-- lot that expires like earned points) in the same transaction; without a card the
-- points are only reported.
-- A replay of a redemption that was voided since answers 'voided' with the redemption and
-- its void (VOID_ID), never the discount again. The till's receipt id, when given, is stored
-- so the report counts a basket's revenue once; a replay compares it too.
-- P_OFFLINE_AT (NULL online): the till accepted the coupon offline at that time and gave the
-- discount already. It is judged and booked on that time (created_at; synced_at is now), and
-- answered with OFFLINE_AT. When it cannot be booked (the coupon was redeemed first, by another
-- till or online; it was not valid at that time; the time is more than five minutes ahead or
-- older than settings.offline_max_age), it is never booked a second time: it is recorded in
-- offline_conflicts (CONFLICT_ID, REASON, DISCOUNT_CENTS the discount given, REDEEMED_AT and
-- REDEEMED_STORE of the redemption that came first) and answered 'offline_conflict', the same
-- again for the same request under that txn_id. The offline time is not part of the request a
-- replay compares: a till that sent it online first (no answer) and offline later is answered
-- with the first booking.
-- status: ok | replay | voided | conflict | offline_conflict | not_found | not_started |
--         expired | wrong_store | card_required | wrong_card | below_minimum |
--         already_redeemed | campaign_exhausted | campaign_paused | voided_batch
-- Counter (issue 17; the blocks marked "counter", helpers in 0305_counter_rules.sql and
-- 0320_bounce.sql): with a receipt id, the coupon joins the receipt's others only as its
-- campaign's max_per_receipt and the exclusive/stackable rule allow, and its discount is its
-- place in the fixed order (amounts, then percents on what is left; receipt_stack_verdict);
-- a code or campaign with max_per_card needs a card and counts its uses (card_limits_take);
-- BASKET_BY_VAT (DSFinV-K rate keys) gets the discount apportioned to the rates, stored in
-- redemption_vat; with P_BOUNCE (coupond passes it while any campaign has a trigger,
-- bounce_campaigns_live()), a purchase that meets a bounce-back trigger gets one coupon of that
-- campaign (next_*; a replay answers the same one). Further statuses: card_limit_reached |
-- card_required_limit | not_combinable_receipt | not_combinable_other |
-- not_combinable_alone | receipt_basket (RECEIPT_DISCOUNT_CENTS is then the receipt's
-- basket). Without a receipt id, basket_by_vat, a per-card limit or P_BOUNCE, none of this adds
-- a statement. Offline (P_OFFLINE_AT), a refusal of these rules is an offline conflict
-- with that reason, as the others are.
DROP FUNCTION IF EXISTS redeem(bigint, integer, text, text, bigint, bigint);
DROP FUNCTION IF EXISTS redeem(bigint, integer, text, text, bigint, bigint, text);
DROP FUNCTION IF EXISTS redeem(bigint, integer, text, text, bigint, bigint, text, timestamptz);
DROP FUNCTION IF EXISTS redeem_offline(bigint, integer, text, text, bigint, bigint, text,
                                       timestamptz);
CREATE OR REPLACE FUNCTION redeem_offline(
    p_serial bigint, p_store integer, p_terminal text, p_txn text, p_basket bigint,
    p_card bigint, p_receipt text, p_offline_at timestamptz,
    p_basket_by_vat jsonb, p_bounce boolean,
    OUT status status_word, OUT redemption_id bigint, OUT discount_cents bigint,
    OUT campaign_id bigint, OUT points bigint, OUT redeemed_at text, OUT redeemed_store integer,
    OUT void_id bigint, OUT offline_at text, OUT conflict_id bigint, OUT reason status_word,
    -- counter (issue 17)
    OUT discount_by_vat jsonb, OUT receipt_discount_cents bigint, OUT receipt_coupons integer,
    OUT next_serial bigint, OUT next_campaign bigint, OUT next_card bigint,
    OUT next_ends_at bigint, OUT next_offer_kind text, OUT next_offer_value bigint,
    OUT next_min_basket bigint, OUT next_issued_at text, OUT next_pool_low boolean)
LANGUAGE plpgsql AS $$
DECLARE
    r redemptions;
    cp coupons;
    c campaigns;
    v status_word;
    last record;
    v_at timestamptz := coalesce(p_offline_at, now());
    k record; -- counter: the receipt's verdict
BEGIN
    -- Requests with the same key queue here, so a retry racing its original replays it.
    PERFORM till_txn_lock(p_terminal, p_txn, 'redemptions');
    SELECT * INTO r FROM redemptions WHERE terminal = p_terminal AND txn_id = p_txn;
    IF FOUND THEN
        IF r.coupon_serial = p_serial AND r.basket_cents = p_basket
           AND r.card_serial IS NOT DISTINCT FROM p_card
           AND r.receipt IS NOT DISTINCT FROM p_receipt
           -- counter: the same parts per VAT rate, and the answer's extras again
           AND (SELECT x.basket_by_vat FROM redemption_vat x WHERE x.redemption_id = r.id)
               IS NOT DISTINCT FROM p_basket_by_vat THEN
            redemption_id := r.id;
            campaign_id := r.campaign_id;
            -- A till retrying after a void learns of the void, and gets no discount again.
            SELECT rv.id INTO void_id FROM redemption_voids rv WHERE rv.redemption_id = r.id;
            IF void_id IS NOT NULL THEN
                status := 'voided';
                RETURN;
            END IF;
            -- The first answer again.
            status := 'replay';
            discount_cents := r.discount_cents;
            points := r.points;
            redeemed_at := rfc3339(r.created_at);
            redeemed_store := r.store_id;
            IF r.synced_at IS NOT NULL THEN
                offline_at := rfc3339(r.created_at);
            END IF;
            -- counter {
            SELECT x.discount_by_vat INTO discount_by_vat FROM redemption_vat x
             WHERE x.redemption_id = r.id;
            IF r.receipt IS NOT NULL THEN -- the receipt as it stands now
                SELECT x.discount_cents, x.coupons INTO receipt_discount_cents, receipt_coupons
                  FROM receipt_stacks x WHERE x.terminal = r.terminal AND x.receipt = r.receipt;
            END IF;
            SELECT * INTO next_serial, next_campaign, next_card, next_ends_at, next_offer_kind,
                          next_offer_value, next_min_basket, next_issued_at, next_pool_low
              FROM bounce_of(r.id, NULL, r.terminal, r.receipt);
            -- }
        ELSE
            status := 'conflict';
        END IF;
        RETURN;
    END IF;
    IF p_offline_at IS NOT NULL THEN
        SELECT * INTO status, conflict_id, reason, discount_cents, campaign_id, redeemed_at,
                      redeemed_store
          FROM offline_conflict_replay(p_terminal, p_txn, p_serial, p_basket, p_card);
        IF status IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
    SELECT * INTO cp FROM coupons WHERE serial = p_serial;
    IF NOT FOUND THEN
        status := 'not_found';
        RETURN;
    END IF;
    SELECT * INTO c FROM campaigns WHERE id = cp.campaign_id;
    campaign_id := c.id;
    IF p_offline_at IS NULL THEN
        v := coupon_verdict_at(cp, c, p_store, p_basket, p_card, v_at);
    ELSE
        v := offline_time_verdict(p_offline_at);
        IF v = 'ok' THEN
            v := coupon_verdict_at(cp, c, p_store, p_basket, p_card, v_at);
        END IF;
    END IF;
    IF v <> 'ok' AND v <> 'already_redeemed' AND v <> 'campaign_exhausted' THEN
        status := v;
        IF p_offline_at IS NOT NULL THEN
            SELECT * INTO status, conflict_id, reason, discount_cents, redeemed_at, redeemed_store
              FROM offline_conflict_record(cp, c, p_store, p_terminal, p_txn, p_basket, p_card,
                                           p_offline_at, v);
        END IF;
        RETURN;
    END IF;
    -- counter {: a limit per card needs the card; a receipt's coupons are decided in turn
    IF p_card IS NULL AND (cp.max_per_card IS NOT NULL OR c.max_per_card IS NOT NULL) THEN
        status := 'card_required_limit';
        IF p_offline_at IS NOT NULL THEN
            SELECT * INTO status, conflict_id, reason, discount_cents, redeemed_at, redeemed_store
              FROM offline_conflict_record(cp, c, p_store, p_terminal, p_txn, p_basket, p_card,
                                           p_offline_at, status);
        END IF;
        RETURN;
    END IF;
    IF p_receipt IS NOT NULL THEN
        SELECT * INTO k FROM receipt_stack_verdict(p_terminal, p_receipt, p_basket, c, true);
        IF k.status <> 'ok' THEN
            status := k.status;
            receipt_discount_cents := k.total;
            receipt_coupons := k.coupons;
            IF p_offline_at IS NOT NULL THEN
                SELECT * INTO status, conflict_id, reason, discount_cents, redeemed_at,
                              redeemed_store
                  FROM offline_conflict_record(cp, c, p_store, p_terminal, p_txn, p_basket,
                                               p_card, p_offline_at, status);
            END IF;
            RETURN;
        END IF;
    END IF;
    -- }
    UPDATE coupons SET uses = uses + 1 WHERE serial = p_serial AND uses < max_uses;
    IF NOT FOUND THEN
        status := 'already_redeemed';
        IF p_offline_at IS NOT NULL THEN
            SELECT * INTO status, conflict_id, reason, discount_cents, redeemed_at, redeemed_store
              FROM offline_conflict_record(cp, c, p_store, p_terminal, p_txn, p_basket, p_card,
                                           p_offline_at, status);
            RETURN;
        END IF;
        last := last_live_redemption(p_serial);
        redeemed_at := rfc3339(last.at);
        redeemed_store := last.store;
        RETURN;
    END IF;
    IF c.max_redemptions IS NOT NULL THEN
        UPDATE campaigns SET limited_uses = limited_uses + 1
         WHERE id = c.id AND limited_uses < max_redemptions;
        IF NOT FOUND THEN
            UPDATE coupons SET uses = uses - 1 WHERE serial = p_serial;
            status := 'campaign_exhausted';
            IF p_offline_at IS NOT NULL THEN
                SELECT * INTO status, conflict_id, reason, discount_cents, redeemed_at,
                              redeemed_store
                  FROM offline_conflict_record(cp, c, p_store, p_terminal, p_txn, p_basket,
                                               p_card, p_offline_at, status);
            END IF;
            RETURN;
        END IF;
    END IF;
    -- counter {: the card's use of a limited code or campaign
    IF p_card IS NOT NULL AND (cp.max_per_card IS NOT NULL OR c.max_per_card IS NOT NULL)
       AND NOT card_limits_take(p_serial, cp.max_per_card, c.id, c.max_per_card, p_card) THEN
        UPDATE coupons SET uses = uses - 1 WHERE serial = p_serial;
        IF c.max_redemptions IS NOT NULL THEN
            UPDATE campaigns SET limited_uses = limited_uses - 1 WHERE id = c.id;
        END IF;
        status := 'card_limit_reached';
        IF p_offline_at IS NOT NULL THEN
            SELECT * INTO status, conflict_id, reason, discount_cents, redeemed_at, redeemed_store
              FROM offline_conflict_record(cp, c, p_store, p_terminal, p_txn, p_basket, p_card,
                                           p_offline_at, status);
        END IF;
        RETURN;
    END IF;
    -- }
    discount_cents := discount_for(c.offer_kind, c.offer_value, p_basket);
    -- counter: on a receipt, the coupon's place in the fixed order
    IF p_receipt IS NOT NULL THEN
        discount_cents := k.discount;
    END IF;
    points := offer_points(c, p_basket);
    INSERT INTO redemptions (coupon_serial, campaign_id, store_id, terminal, txn_id,
                             basket_cents, discount_cents, points, card_serial, receipt,
                             created_at, synced_at)
    VALUES (p_serial, c.id, p_store, p_terminal, p_txn, p_basket, discount_cents, points, p_card,
            p_receipt, v_at, CASE WHEN p_offline_at IS NOT NULL THEN now() END)
    RETURNING id, rfc3339(created_at) INTO redemption_id, redeemed_at;
    IF p_offline_at IS NOT NULL THEN
        offline_at := redeemed_at;
    END IF;
    -- The card's points, the receipt's total, the VAT shares, the bounce-back coupon (counter):
    -- only when the request carries any of them.
    IF (points > 0 AND p_card IS NOT NULL) OR p_receipt IS NOT NULL
       OR p_basket_by_vat IS NOT NULL OR p_bounce THEN
        SELECT * INTO discount_by_vat, receipt_discount_cents, receipt_coupons, next_serial,
                      next_campaign, next_card, next_ends_at, next_offer_kind, next_offer_value,
                      next_min_basket, next_issued_at, next_pool_low
          FROM redemption_booked(redemption_id, c.id, c.combinable = 'exclusive', p_store,
                                 p_terminal, p_basket, p_card, p_receipt, discount_cents, points,
                                 p_basket_by_vat, p_bounce);
    END IF;
    redeemed_store := p_store;
    status := 'ok';
END;
$$;
