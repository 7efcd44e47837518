-- card_transaction_void(...): reverses one earn or burn exactly, once, by a terminal of
-- the store that booked it, as a new ledger row. A burn's points go back to the very lots
-- it spent; an earn's points (less any that expired) are taken back from its own lot
-- first, and the void is refused when the card no longer holds them (they were spent).
-- Another store's transaction, or one booked in no store, is not_found, like one that
-- does not exist. Idempotent by (terminal, txn_id).
-- status: ok | replay | conflict | not_found | not_voidable |
--         already_voided (VOID_ID is the earlier void) |
--         insufficient_points (POINTS is what the void needs, BALANCE what the card holds)
-- VOIDED_AT (ok, replay): when it was voided.
DROP FUNCTION IF EXISTS card_transaction_void(bigint, integer, text, text);
CREATE OR REPLACE FUNCTION card_transaction_void(
    p_id bigint, p_store integer, p_terminal text, p_txn text,
    OUT status status_word, OUT void_id bigint, OUT points bigint, OUT balance bigint, OUT kind text,
    OUT voided_at text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    t card_transactions;
    v card_transactions;
    rev record;
    v_balance bigint;
BEGIN
    PERFORM till_txn_lock(p_terminal, p_txn, 'cards');
    SELECT * INTO v FROM card_transactions x WHERE x.terminal = p_terminal AND x.txn_id = p_txn;
    IF FOUND THEN
        IF v.kind = 'void' AND v.voids = p_id THEN
            status := 'replay';
            void_id := v.id;
            points := v.points;
            balance := v.balance_after;
            voided_at := rfc3339(v.created_at);
        ELSE
            status := 'conflict';
        END IF;
        RETURN;
    END IF;
    SELECT * INTO t FROM card_transactions x WHERE x.id = p_id;
    IF NOT FOUND THEN
        status := 'not_found';
        RETURN;
    END IF;
    IF t.store_id IS DISTINCT FROM p_store THEN
        -- Another store's transaction is answered exactly like one that does not exist.
        status := 'not_found';
        RETURN;
    END IF;
    kind := t.kind;
    IF t.kind NOT IN ('earn', 'burn') THEN
        status := 'not_voidable';
        RETURN;
    END IF;
    v_balance := card_lock(t.card_serial);
    SELECT x.id INTO void_id FROM card_transactions x WHERE x.voids = p_id;
    IF FOUND THEN
        status := 'already_voided';
        RETURN;
    END IF;
    IF t.kind = 'burn' THEN
        UPDATE cards SET balance = balance - t.points WHERE serial = t.card_serial
        RETURNING balance INTO v_balance;
        INSERT INTO card_transactions (card_serial, kind, points, balance_after, voids, store_id,
                                       terminal, txn_id)
        VALUES (t.card_serial, 'void', -t.points, v_balance, p_id, p_store, p_terminal, p_txn)
        RETURNING * INTO v;
        -- Back to the lots it spent (a lot past its expiry is booked out by the next expiry).
        UPDATE card_lots l SET remaining = l.remaining - m.points
          FROM card_lot_moves m WHERE m.transaction_id = p_id AND l.id = m.lot_id;
        INSERT INTO card_lot_moves (transaction_id, lot_id, points)
        SELECT v.id, m.lot_id, -m.points FROM card_lot_moves m WHERE m.transaction_id = p_id;
    ELSE
        SELECT * INTO rev
          FROM card_reverse_credit(t.card_serial, t, 'void', p_store, p_terminal, p_txn);
        IF (rev.t).id IS NULL THEN
            status := 'insufficient_points';
            points := rev.need;
            balance := v_balance;
            RETURN;
        END IF;
        v := rev.t;
    END IF;
    status := 'ok';
    void_id := v.id;
    voided_at := rfc3339(now());
    points := v.points;
    balance := v.balance_after;
END;
$$;
