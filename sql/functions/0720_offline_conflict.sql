-- Offline conflicts (issue 16): a coupon a till accepted offline that the service cannot book
-- when it arrives. The customer got the discount already, so nothing is refused outright and
-- nothing is booked twice: the case is recorded once per (terminal, txn_id) for a person to
-- decide (GET /v1/offline-conflicts) and counted in the campaign's report. Called by redeem().

-- offline_time_verdict(offline_at): 'ok' when a till's offline time is one the service books
-- on: not more than five minutes ahead of the database's clock (a till's clock may run a
-- little fast) and not older than settings.offline_max_age; else offline_in_future or
-- offline_too_old.
CREATE OR REPLACE FUNCTION offline_time_verdict(p_offline_at timestamptz) RETURNS status_word
LANGUAGE plpgsql STABLE AS $$
DECLARE
    max_age interval;
BEGIN
    IF p_offline_at > now() + interval '5 minutes' THEN
        RETURN 'offline_in_future';
    END IF;
    SELECT offline_max_age INTO max_age FROM settings;
    IF p_offline_at < now() - coalesce(max_age, interval '7 days') THEN
        RETURN 'offline_too_old';
    END IF;
    RETURN 'ok';
END;
$$;

-- offline_conflict_record(...): records that the coupon CP of campaign C, accepted offline at
-- P_OFFLINE_AT by terminal P_TERMINAL (store P_STORE) under P_TXN for a basket of P_BASKET
-- (card P_CARD), could not be booked because of P_REASON; with the coupon's live redemption,
-- when it has one (the redemption that came first). The discount recorded is the one the till
-- gave: the offer's, as discount_for() computes it. Returns status 'offline_conflict' with the
-- conflict's id, the reason, that discount, and when and where the first redemption was made.
-- The caller holds the (terminal, txn_id) lock.
CREATE OR REPLACE FUNCTION offline_conflict_record(
    cp coupons, c campaigns, p_store integer, p_terminal text, p_txn text, p_basket bigint,
    p_card bigint, p_offline_at timestamptz, p_reason text,
    OUT status status_word, OUT conflict_id bigint, OUT reason status_word, OUT discount_cents bigint,
    OUT redeemed_at text, OUT redeemed_store integer)
LANGUAGE plpgsql AS $$
DECLARE
    first record;
BEGIN
    SELECT r.id, r.created_at, r.store_id INTO first FROM redemptions r
     WHERE r.coupon_serial = cp.serial
       AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
     ORDER BY r.id DESC LIMIT 1;
    discount_cents := discount_for(c.offer_kind, c.offer_value, p_basket);
    INSERT INTO offline_conflicts (coupon_serial, campaign_id, store_id, terminal, txn_id,
                                   basket_cents, discount_cents, card_serial, reason,
                                   redemption_id, offline_at)
    VALUES (cp.serial, c.id, p_store, p_terminal, p_txn, p_basket, discount_cents, p_card,
            p_reason, first.id, p_offline_at)
    RETURNING id INTO conflict_id;
    status := 'offline_conflict';
    reason := p_reason;
    redeemed_at := rfc3339(first.created_at);
    redeemed_store := first.store_id;
END;
$$;

-- offline_conflict_replay(terminal, txn, serial, basket, card): the answer recorded for an
-- offline conflict under (P_TERMINAL, P_TXN): 'offline_conflict' with what was recorded when the
-- request is the same, 'conflict' when that txn_id was used for another; STATUS is NULL when
-- there is none.
CREATE OR REPLACE FUNCTION offline_conflict_replay(
    p_terminal text, p_txn text, p_serial bigint, p_basket bigint, p_card bigint,
    OUT status status_word, OUT conflict_id bigint, OUT reason status_word, OUT discount_cents bigint,
    OUT campaign_id bigint, OUT redeemed_at text, OUT redeemed_store integer)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    k offline_conflicts;
    first redemptions;
BEGIN
    SELECT * INTO k FROM offline_conflicts x WHERE x.terminal = p_terminal AND x.txn_id = p_txn;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF k.coupon_serial <> p_serial OR k.basket_cents <> p_basket
       OR k.card_serial IS DISTINCT FROM p_card THEN
        status := 'conflict';
        RETURN;
    END IF;
    SELECT * INTO first FROM redemptions r WHERE r.id = k.redemption_id;
    status := 'offline_conflict';
    conflict_id := k.id;
    reason := k.reason;
    discount_cents := k.discount_cents;
    campaign_id := k.campaign_id;
    redeemed_at := rfc3339(first.created_at);
    redeemed_store := first.store_id;
END;
$$;
