-- Partial returns of a redemption's basket (issue 17): the returned share of the discount and
-- of the points the redemption credited, both apportioned so that the returns of one basket
-- add up to its discount and its points exactly. The coupon stays used (only a void gives it
-- back); the report counts revenue and discount net of returns.

-- return_share(total, part, whole): TOTAL's share of PART out of WHOLE, rounded half up to the
-- cent (0 when WHOLE is 0). Applied to running totals, so that consecutive returns' shares
-- (share of the new total less share of the old one) add up to TOTAL exactly when the whole
-- basket has come back, and each is within a cent of its exact proportion.
CREATE OR REPLACE FUNCTION return_share(p_total bigint, p_part bigint, p_whole bigint)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    IF p_whole = 0 THEN
        RETURN 0;
    END IF;
    RETURN div(2 * p_total::numeric * p_part + p_whole, 2 * p_whole::numeric)::bigint;
END;
$$;

-- redemption_return(redemption, store, terminal, txn, returned): goods worth RETURNED cents of
-- redemption REDEMPTION's basket came back at TERMINAL (of STORE, the redemption's store).
-- Idempotent by (terminal, txn_id): the same request again answers the first answer; another
-- request under the same txn is a conflict. Under the redemption row's lock (returns and a
-- void of one redemption queue there): the discount share of the running total returned, and
-- the points the redemption's coupon credited to a card in the same proportion (rounded down,
-- never more than the card holds), as a ledger row of kind 'return' taken from that credit's
-- lot first. A void later gives back only what returns have not.
-- status: ok | replay | conflict | not_found (no such redemption in this store) |
--         voided_redemption | beyond_basket (BASKET_CENTS and RETURNED_TOTAL_CENTS say what
--         could still come back)
CREATE OR REPLACE FUNCTION redemption_return(p_redemption bigint, p_store integer,
                                             p_terminal text, p_txn text, p_returned bigint,
    OUT status status_word, OUT return_id bigint, OUT discount_cents bigint, OUT points bigint,
    OUT basket_cents bigint, OUT redemption_discount_cents bigint,
    OUT returned_total_cents bigint, OUT discount_total_cents bigint, OUT balance bigint,
    OUT returned_at text)
LANGUAGE plpgsql AS $$
DECLARE
    x redemption_returns;
    r redemptions;
    t redemption_returned;
    credit card_transactions;
    v_prior bigint;
    v_cum bigint;
    v_want bigint;
    v_take bigint;
    v_tx bigint;
    v_lot bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_terminal || '/' || p_txn, 7316107));
    SELECT * INTO x FROM redemption_returns q WHERE q.terminal = p_terminal AND q.txn_id = p_txn;
    IF FOUND THEN
        IF x.redemption_id = p_redemption AND x.returned_cents = p_returned THEN
            SELECT q.basket_cents, q.discount_cents INTO basket_cents, redemption_discount_cents
              FROM redemptions q WHERE q.id = x.redemption_id;
            status := 'replay';
            return_id := x.id;
            discount_cents := x.discount_cents;
            points := x.points;
            returned_total_cents := x.returned_total_cents;
            discount_total_cents := x.discount_total_cents;
            returned_at := rfc3339(x.created_at);
            SELECT q.balance_after INTO balance FROM card_transactions q
             WHERE q.id = x.card_transaction_id;
        ELSE
            status := 'conflict';
        END IF;
        RETURN;
    END IF;
    SELECT * INTO r FROM redemptions q WHERE q.id = p_redemption FOR NO KEY UPDATE;
    IF NOT FOUND OR r.store_id <> p_store THEN
        -- Another store's redemption is answered exactly like one that does not exist.
        status := 'not_found';
        RETURN;
    END IF;
    basket_cents := r.basket_cents;
    redemption_discount_cents := r.discount_cents;
    IF EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id) THEN
        status := 'voided_redemption';
        RETURN;
    END IF;
    SELECT * INTO t FROM redemption_returned q WHERE q.redemption_id = r.id;
    v_prior := coalesce(t.returned_cents, 0);
    IF p_returned > r.basket_cents - v_prior THEN
        status := 'beyond_basket';
        returned_total_cents := v_prior;
        discount_total_cents := coalesce(t.returned_discount_cents, 0);
        RETURN;
    END IF;
    v_cum := v_prior + p_returned;
    discount_total_cents := return_share(r.discount_cents, v_cum, r.basket_cents);
    discount_cents := discount_total_cents - coalesce(t.returned_discount_cents, 0);
    returned_total_cents := v_cum;
    points := 0;
    IF r.points > 0 AND r.card_serial IS NOT NULL THEN
        SELECT * INTO credit FROM card_transactions q
         WHERE q.redemption_id = r.id AND q.kind = 'coupon';
        v_want := div(r.points * v_cum::numeric, r.basket_cents)::bigint
                  - div(r.points * v_prior::numeric, r.basket_cents)::bigint;
        IF credit.id IS NOT NULL AND v_want > 0 THEN
            v_take := least(v_want, card_lock(r.card_serial));
            IF v_take > 0 THEN
                UPDATE cards k SET balance = k.balance - v_take WHERE k.serial = r.card_serial
                RETURNING k.balance INTO balance;
                INSERT INTO card_transactions (card_serial, kind, points, balance_after,
                                               returns_of, store_id, terminal)
                VALUES (r.card_serial, 'return', -v_take, balance, credit.id, p_store, p_terminal)
                RETURNING id INTO v_tx;
                SELECT l.id INTO v_lot FROM card_lots l WHERE l.transaction_id = credit.id;
                PERFORM card_lots_take(r.card_serial, v_tx, v_take, v_lot);
                points := v_take;
            END IF;
        END IF;
    END IF;
    INSERT INTO redemption_returned AS q (redemption_id, campaign_id, basket_cents,
                                          discount_cents, returned_cents,
                                          returned_discount_cents, returns)
    VALUES (r.id, r.campaign_id, r.basket_cents, r.discount_cents, v_cum, discount_total_cents,
            1)
    ON CONFLICT (redemption_id) DO UPDATE
       SET returned_cents = EXCLUDED.returned_cents,
           returned_discount_cents = EXCLUDED.returned_discount_cents,
           returns = q.returns + 1;
    INSERT INTO redemption_returns (redemption_id, store_id, terminal, txn_id, returned_cents,
                                    discount_cents, points, card_transaction_id,
                                    returned_total_cents, discount_total_cents)
    VALUES (r.id, p_store, p_terminal, p_txn, p_returned, discount_cents, points, v_tx, v_cum,
            discount_total_cents)
    RETURNING id, rfc3339(created_at) INTO return_id, returned_at;
    status := 'ok';
END;
$$;
