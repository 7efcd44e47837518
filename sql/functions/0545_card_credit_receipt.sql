-- Crediting a card later with a receipt code (issue 17). The till prints a code the service
-- signed (store, terminal, txn, basket, time, deadline) on the receipt of a purchase made
-- without a card; until the deadline, the customer's card can be credited with the points
-- that purchase would have earned, once. coupond checks the code's MAC and deadline; the
-- rules that must hold under concurrency are here.

-- receipt_credit_days(): how many days after a purchase its receipt code can be credited.
CREATE OR REPLACE FUNCTION receipt_credit_days() RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT receipt_credit_days FROM card_programme;
$$;

-- card_credit_receipt(card, store, terminal, txn, r_terminal, r_txn, basket, valid_until):
-- credits card P_CARD at TERMINAL (of STORE, under its own TXN) with the points of the
-- purchase R_TXN of till R_TERMINAL ("<store>/<name>") worth BASKET cents, as an earn would
-- have (a ledger row of kind 'earn' with that basket, its lot expiring as earned points do).
-- Idempotent by (terminal, txn): the same request again answers the first answer; another
-- request under the same txn is a conflict. A purchase is credited once (receipt_credits'
-- key), never after VALID_UNTIL (Unix seconds, by the database's clock), and never when the
-- purchase itself earned points (an earn under R_TERMINAL and R_TXN); the purchase's own key
-- (the one its earn takes) is held meanwhile, so an earn and a credit of it queue.
-- status: ok | replay | voided | conflict | not_found (no such card) | expired |
--         already_credited | already_earned
CREATE OR REPLACE FUNCTION card_credit_receipt(
    p_card bigint, p_store integer, p_terminal text, p_txn text, p_r_terminal text,
    p_r_txn text, p_basket bigint, p_valid_until bigint,
    OUT status status_word, OUT transaction_id bigint, OUT points bigint, OUT balance bigint,
    OUT voided_by bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    t card_transactions;
    p card_programme;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_terminal || '/' || p_txn, 7316106));
    SELECT * INTO t FROM card_transactions x WHERE x.terminal = p_terminal AND x.txn_id = p_txn;
    IF FOUND THEN
        IF t.kind = 'earn' AND t.card_serial = p_card AND t.basket_cents = p_basket
           AND EXISTS (SELECT 1 FROM receipt_credits rc
                        WHERE rc.transaction_id = t.id AND rc.terminal = p_r_terminal
                          AND rc.txn_id = p_r_txn) THEN
            transaction_id := t.id;
            SELECT x.id INTO voided_by FROM card_transactions x WHERE x.voids = t.id;
            IF voided_by IS NOT NULL THEN
                status := 'voided';
                RETURN;
            END IF;
            status := 'replay';
            points := t.points;
            balance := t.balance_after;
        ELSE
            status := 'conflict';
        END IF;
        RETURN;
    END IF;
    IF now() > to_timestamp(p_valid_until) THEN
        status := 'expired';
        RETURN;
    END IF;
    IF p_r_terminal || '/' || p_r_txn <> p_terminal || '/' || p_txn THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(p_r_terminal || '/' || p_r_txn, 7316106));
    END IF;
    IF EXISTS (SELECT 1 FROM card_transactions x
                WHERE x.terminal = p_r_terminal AND x.txn_id = p_r_txn AND x.kind = 'earn') THEN
        status := 'already_earned';
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM receipt_credits rc
                WHERE rc.terminal = p_r_terminal AND rc.txn_id = p_r_txn) THEN
        status := 'already_credited';
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
    INSERT INTO receipt_credits (terminal, txn_id, card_serial, transaction_id)
    VALUES (p_r_terminal, p_r_txn, p_card, t.id);
    status := 'ok';
    transaction_id := t.id;
    balance := t.balance_after;
END;
$$;
