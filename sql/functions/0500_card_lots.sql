-- The points bookkeeping every card function shares: crediting a card (a ledger row and
-- an earn lot), taking points from its lots closest to expiry first, and expiring the
-- lots that are due. Callers lock the card's row before touching its lots (lock order:
-- advisory idempotency lock, coupon, campaign, card, lots), so no two writers of one
-- card's points ever interleave.

-- card_credit(...): adds P_POINTS (>= 0) to card P_CARD as a ledger row of P_KIND ('earn'
-- or 'coupon') with the given request fields, and a lot that expires after the
-- programme's expiry_months. Returns the ledger row, or NULL when there is no such card.
CREATE OR REPLACE FUNCTION card_credit(p_card bigint, p_kind text, p_points bigint,
                                       p_basket bigint, p_redemption bigint, p_store integer,
                                       p_terminal text, p_txn text)
RETURNS card_transactions
LANGUAGE plpgsql AS $$
DECLARE
    v_balance bigint;
    t card_transactions;
BEGIN
    UPDATE cards SET balance = balance + p_points WHERE serial = p_card
    RETURNING balance INTO v_balance;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO card_transactions (card_serial, kind, points, balance_after, basket_cents,
                                   redemption_id, store_id, terminal, txn_id)
    VALUES (p_card, p_kind, p_points, v_balance, p_basket, p_redemption, p_store, p_terminal,
            p_txn)
    RETURNING * INTO t;
    IF p_points > 0 THEN
        INSERT INTO card_lots (card_serial, transaction_id, points, remaining, expires_at)
        SELECT p_card, t.id, p_points, p_points, now() + make_interval(months => expiry_months)
          FROM card_programme;
    END IF;
    RETURN t;
END;
$$;

-- card_lots_take(card, tx, points, first_lot): takes POINTS from the card's open lots,
-- FIRST_LOT first (may be NULL), then those closest to expiry, recording every move under
-- ledger row TX. The caller holds the card's lock and has already lowered the balance by
-- POINTS; if the lots cannot cover it the books disagree, and it raises (all rolls back).
CREATE OR REPLACE FUNCTION card_lots_take(p_card bigint, p_tx bigint, p_points bigint,
                                          p_first_lot bigint)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    l record;
    v_left bigint := p_points;
    v_take bigint;
BEGIN
    IF v_left <= 0 THEN
        RETURN;
    END IF;
    FOR l IN SELECT id, remaining FROM card_lots
              WHERE card_serial = p_card AND remaining > 0
              ORDER BY (id IS NOT DISTINCT FROM p_first_lot) DESC, expires_at, id
              FOR UPDATE
    LOOP
        v_take := least(l.remaining, v_left);
        UPDATE card_lots SET remaining = remaining - v_take WHERE id = l.id;
        INSERT INTO card_lot_moves (transaction_id, lot_id, points) VALUES (p_tx, l.id, -v_take);
        v_left := v_left - v_take;
        EXIT WHEN v_left = 0;
    END LOOP;
    IF v_left > 0 THEN
        RAISE EXCEPTION 'card %: its lots hold % points less than its balance', p_card, v_left;
    END IF;
END;
$$;

-- card_expire_due(card): turns the points of the card's lots whose expiry has come into
-- one ledger row of kind 'expire'. The caller holds the card's lock. Returns the points
-- expired (0 when nothing was due: then nothing is written). Idempotent.
CREATE OR REPLACE FUNCTION card_expire_due(p_card bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_points bigint;
    v_balance bigint;
    v_tx bigint;
BEGIN
    SELECT coalesce(sum(remaining), 0) INTO v_points FROM card_lots
     WHERE card_serial = p_card AND remaining > 0 AND expires_at <= now();
    IF v_points = 0 THEN
        RETURN 0;
    END IF;
    UPDATE cards SET balance = balance - v_points WHERE serial = p_card
    RETURNING balance INTO v_balance;
    INSERT INTO card_transactions (card_serial, kind, points, balance_after)
    VALUES (p_card, 'expire', -v_points, v_balance)
    RETURNING id INTO v_tx;
    INSERT INTO card_lot_moves (transaction_id, lot_id, points)
    SELECT v_tx, id, -remaining FROM card_lots
     WHERE card_serial = p_card AND remaining > 0 AND expires_at <= now();
    UPDATE card_lots SET remaining = 0
     WHERE card_serial = p_card AND remaining > 0 AND expires_at <= now();
    RETURN v_points;
END;
$$;

-- card_lock(card): locks the card's row and expires what is due on it. Returns the
-- balance after that, or NULL when there is no such card.
CREATE OR REPLACE FUNCTION card_lock(p_card bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_balance bigint;
BEGIN
    SELECT balance INTO v_balance FROM cards WHERE serial = p_card FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF card_expire_due(p_card) > 0 THEN
        SELECT balance INTO v_balance FROM cards WHERE serial = p_card;
    END IF;
    RETURN v_balance;
END;
$$;

-- card_has_due(card): whether any of the card's lots has reached its expiry (cheap: an
-- index probe), so the hot paths lock and expire only when there is something to do.
CREATE OR REPLACE FUNCTION card_has_due(p_card bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM card_lots
                    WHERE card_serial = p_card AND remaining > 0 AND expires_at <= now());
END;
$$;

-- card_reverse_credit(card, credit, kind, ...): reverses credit ledger row CREDIT (an
-- earn or a coupon) as a new row of KIND ('void' or 'coupon_void'): takes back its points
-- less those of its lot that already expired, from its own lot first, then from the lots
-- closest to expiry. The caller holds the card's lock. Returns the new row T; or T NULL
-- with nothing changed when the balance cannot cover it (the points were already spent).
-- NEED gets the points the reversal takes. Points that partial returns of the purchase already
-- took back (ledger rows of kind 'return' naming the credit, issue 17) are not taken again.
CREATE OR REPLACE FUNCTION card_reverse_credit(p_card bigint, p_credit card_transactions,
                                               p_kind text, p_store integer, p_terminal text,
                                               p_txn text, OUT t card_transactions,
                                               OUT need bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_lot bigint;
    v_expired bigint;
    v_balance bigint;
    v_returned bigint; -- counter
BEGIN
    SELECT id INTO v_lot FROM card_lots WHERE transaction_id = p_credit.id;
    SELECT coalesce(-sum(m.points), 0) INTO v_expired
      FROM card_lot_moves m JOIN card_transactions x ON x.id = m.transaction_id
     WHERE m.lot_id = v_lot AND x.kind = 'expire';
    -- counter: what returns took back
    SELECT coalesce(-sum(x.points), 0) INTO v_returned
      FROM card_transactions x WHERE x.returns_of = p_credit.id;
    need := greatest(p_credit.points - v_expired - v_returned, 0);
    UPDATE cards SET balance = balance - need WHERE serial = p_card AND balance >= need
    RETURNING balance INTO v_balance;
    IF NOT FOUND THEN
        t := NULL;
        RETURN;
    END IF;
    INSERT INTO card_transactions (card_serial, kind, points, balance_after, voids,
                                   redemption_id, store_id, terminal, txn_id)
    VALUES (p_card, p_kind, -need, v_balance,
            CASE WHEN p_kind = 'void' THEN p_credit.id END,
            CASE WHEN p_kind = 'coupon_void' THEN p_credit.redemption_id END,
            p_store, p_terminal, p_txn)
    RETURNING * INTO t;
    PERFORM card_lots_take(p_card, t.id, need, v_lot);
END;
$$;
