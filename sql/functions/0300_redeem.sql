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
    -- a points offer credits its card, which must be one of ours
    ELSIF c.offer_kind = 'points' AND p_card IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM cards k WHERE k.serial = p_card) THEN
        RETURN 'unknown_card';
    ELSIF p_basket < c.min_basket_cents THEN
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

-- redeem(...): one round trip for the till. Idempotent by (terminal, txn_id): the same
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
CREATE OR REPLACE FUNCTION redeem(
    p_serial bigint, p_store integer, p_terminal text, p_txn text, p_basket bigint,
    p_card bigint, p_receipt text, p_offline_at timestamptz DEFAULT NULL,
    p_basket_by_vat jsonb DEFAULT NULL, p_bounce boolean DEFAULT false,
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
    IF points > 0 AND p_card IS NOT NULL THEN
        -- Lock order as everywhere: coupon, campaign, then the card.
        IF card_has_due(p_card) THEN
            PERFORM card_lock(p_card);
        END IF;
        PERFORM card_credit(p_card, 'coupon', points, NULL, redemption_id, p_store, p_terminal,
                            NULL);
    END IF;
    IF p_offline_at IS NOT NULL THEN
        offline_at := redeemed_at;
    END IF;
    -- counter {: the receipt's total, the VAT shares, the bounce-back coupon
    IF p_receipt IS NOT NULL THEN
        SELECT * INTO receipt_discount_cents, receipt_coupons
          FROM receipt_stack_add(p_terminal, p_receipt, discount_cents,
                                 c.combinable = 'exclusive');
    END IF;
    IF p_basket_by_vat IS NOT NULL THEN
        discount_by_vat := vat_split(discount_cents, p_basket_by_vat);
        INSERT INTO redemption_vat (redemption_id, campaign_id, basket_by_vat, discount_by_vat)
        VALUES (redemption_id, c.id, p_basket_by_vat, discount_by_vat);
    END IF;
    IF p_bounce THEN
        SELECT * INTO next_serial, next_campaign, next_card, next_ends_at, next_offer_kind,
                      next_offer_value, next_min_basket, next_issued_at, next_pool_low
          FROM bounce_for(p_store, p_basket, p_card, p_terminal, p_receipt, redemption_id, NULL);
    END IF;
    -- }
    redeemed_store := p_store;
    status := 'ok';
END;
$$;

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
