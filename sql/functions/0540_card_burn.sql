-- card_burn(...): spends P_POINTS of card P_CARD at a till in one round trip: a guarded
-- UPDATE (balance >= points; CHECK (balance >= 0) backs it up), an append-only ledger row,
-- and the points taken from the lots closest to expiry first. Idempotent by (terminal,
-- txn_id) like card_earn. VALUE_CENTS is what the points are worth (cents_per_point).
-- A replay of a burn that was voided since answers 'voided' with the void's id (VOIDED_BY).
-- BOOKED_AT: when it was booked.
-- status: ok | replay | voided | conflict | not_found |
--         insufficient_points (BALANCE is the card's)
DROP FUNCTION IF EXISTS card_burn(bigint, integer, text, text, bigint);
CREATE OR REPLACE FUNCTION card_burn(
    p_card bigint, p_store integer, p_terminal text, p_txn text, p_points bigint,
    OUT status status_word, OUT transaction_id bigint, OUT points bigint, OUT balance bigint,
    OUT value_cents bigint, OUT voided_by bigint, OUT booked_at text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    t card_transactions;
    v_balance bigint;
BEGIN
    PERFORM till_txn_lock(p_terminal, p_txn, 'cards');
    SELECT * INTO t FROM card_transactions x WHERE x.terminal = p_terminal AND x.txn_id = p_txn;
    IF FOUND THEN
        IF t.kind = 'burn' AND t.card_serial = p_card AND t.points = -p_points THEN
            transaction_id := t.id;
            SELECT x.id INTO voided_by FROM card_transactions x WHERE x.voids = t.id;
            IF voided_by IS NOT NULL THEN
                status := 'voided';
                RETURN;
            END IF;
            status := 'replay';
            points := p_points;
            balance := t.balance_after;
            booked_at := rfc3339(t.created_at);
            SELECT p_points * cents_per_point INTO value_cents FROM card_programme;
        ELSE
            status := 'conflict';
        END IF;
        RETURN;
    END IF;
    IF card_has_due(p_card) THEN
        PERFORM card_lock(p_card);
    END IF;
    UPDATE cards SET balance = balance - p_points
     WHERE serial = p_card AND balance >= p_points
    RETURNING balance INTO v_balance;
    IF NOT FOUND THEN
        SELECT c.balance INTO v_balance FROM cards c WHERE c.serial = p_card;
        status := CASE WHEN FOUND THEN 'insufficient_points' ELSE 'not_found' END;
        balance := v_balance;
        RETURN;
    END IF;
    INSERT INTO card_transactions (card_serial, kind, points, balance_after, store_id, terminal,
                                   txn_id)
    VALUES (p_card, 'burn', -p_points, v_balance, p_store, p_terminal, p_txn)
    RETURNING id INTO transaction_id;
    PERFORM card_lots_take(p_card, transaction_id, p_points, NULL);
    status := 'ok';
    points := p_points;
    balance := v_balance;
    booked_at := rfc3339(now());
    SELECT p_points * cents_per_point INTO value_cents FROM card_programme;
END;
$$;
