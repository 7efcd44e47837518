-- card_earn(...): a purchase of P_BASKET cents at a till earns points on card P_CARD by the
-- programme (points_per_euro per full euro, nothing below min_basket_cents), as a ledger
-- row and a lot that expires after expiry_months. Idempotent by (terminal, txn_id): the
-- same request again replays the first answer; another request under the same txn_id is
-- a conflict; a replay of an earn that was voided since answers 'voided' with the void's id
-- (VOIDED_BY), never the points again. BOOKED_AT: when it was booked.
-- P_OFFLINE_AT (NULL online): a till accepted the purchase offline at that time; it is booked
-- on that time (created_at, and its lot expires from then; synced_at is now) when
-- offline_time_verdict() accepts the time, else now (points are owed either way), and answered
-- with OFFLINE_AT.
-- status: ok | replay | voided | conflict | not_found
-- Counter (issue 17): with P_BOUNCE (coupond passes it while any campaign has a trigger), a
-- purchase that meets a bounce-back trigger gets one coupon of that campaign (next_*,
-- bounce_for(); a replay answers the same one).
DROP FUNCTION IF EXISTS card_earn(bigint, integer, text, text, bigint);
DROP FUNCTION IF EXISTS card_earn(bigint, integer, text, text, bigint, timestamptz);
CREATE OR REPLACE FUNCTION card_earn(
    p_card bigint, p_store integer, p_terminal text, p_txn text, p_basket bigint,
    p_offline_at timestamptz DEFAULT NULL, p_bounce boolean DEFAULT false,
    OUT status status_word, OUT transaction_id bigint, OUT points bigint, OUT balance bigint,
    OUT voided_by bigint, OUT booked_at text, OUT offline_at text,
    -- counter (issue 17)
    OUT next_serial bigint, OUT next_campaign bigint, OUT next_card bigint,
    OUT next_ends_at bigint, OUT next_offer_kind text, OUT next_offer_value bigint,
    OUT next_min_basket bigint, OUT next_issued_at text, OUT next_pool_low boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    t card_transactions;
    p card_programme;
    v_at timestamptz;
BEGIN
    -- Requests with the same key queue here, so a retry racing its original replays it.
    PERFORM till_txn_lock(p_terminal, p_txn, 'cards');
    SELECT * INTO t FROM card_transactions x WHERE x.terminal = p_terminal AND x.txn_id = p_txn;
    IF FOUND THEN
        IF t.kind = 'earn' AND t.card_serial = p_card AND t.basket_cents = p_basket THEN
            transaction_id := t.id;
            SELECT x.id INTO voided_by FROM card_transactions x WHERE x.voids = t.id;
            IF voided_by IS NOT NULL THEN
                status := 'voided';
                RETURN;
            END IF;
            status := 'replay';
            points := t.points;
            balance := t.balance_after;
            booked_at := rfc3339(t.created_at);
            IF t.synced_at IS NOT NULL THEN
                offline_at := booked_at;
            END IF;
            -- counter {
            SELECT * INTO next_serial, next_campaign, next_card, next_ends_at, next_offer_kind,
                          next_offer_value, next_min_basket, next_issued_at, next_pool_low
              FROM bounce_of(NULL, t.id, NULL, NULL);
            -- }
        ELSE
            status := 'conflict';
        END IF;
        RETURN;
    END IF;
    IF card_has_due(p_card) THEN
        PERFORM card_lock(p_card);
    END IF;
    SELECT * INTO p FROM card_programme;
    points := CASE WHEN p_basket >= p.min_basket_cents
                   THEN (p_basket / 100) * p.points_per_euro ELSE 0 END;
    t := card_credit(p_card, 'earn', points, p_basket, NULL, p_store, p_terminal, p_txn);
    IF t.id IS NULL THEN
        status := 'not_found';
        points := NULL;
        RETURN;
    END IF;
    IF p_offline_at IS NOT NULL THEN
        -- The row and its lot were made just now, in this transaction: put them on the time
        -- the till accepted the purchase.
        v_at := CASE WHEN offline_time_verdict(p_offline_at) = 'ok' THEN p_offline_at ELSE now() END;
        UPDATE card_transactions x SET created_at = v_at, synced_at = now() WHERE x.id = t.id;
        UPDATE card_lots l SET expires_at = v_at + make_interval(months => p.expiry_months)
         WHERE l.transaction_id = t.id;
        offline_at := rfc3339(v_at);
    END IF;
    status := 'ok';
    transaction_id := t.id;
    balance := t.balance_after;
    booked_at := rfc3339(coalesce(v_at, t.created_at));
    -- counter {
    IF p_bounce THEN
        SELECT * INTO next_serial, next_campaign, next_card, next_ends_at, next_offer_kind,
                      next_offer_value, next_min_basket, next_issued_at, next_pool_low
          FROM bounce_for(p_store, p_basket, p_card, p_terminal, NULL, NULL, t.id);
    END IF;
    -- }
END;
$$;
