-- The online redemption, the till's hot path (issue 12's lean form, issue 17's rules).

-- redeem(...): one round trip for the till. Idempotent by (terminal, txn_id): the same
-- request again replays the first answer; another request under the same txn_id is a
-- conflict. A points offer redeemed with a card credits its points to that card's ledger
-- (kind 'coupon', with a lot that expires like earned points) in the same transaction;
-- without a card the points are only reported. A replay of a redemption that was voided
-- since answers 'voided' with the redemption and its void (VOID_ID), never the discount again.
-- The till's receipt id, when given, is stored so the report counts a basket's revenue once;
-- a replay compares it too. P_OFFLINE_AT (NULL online): see redeem_offline(), which books it.
-- status: ok | replay | voided | conflict | offline_conflict | not_found | not_started |
--         expired | wrong_store | card_required | wrong_card | unknown_card | below_minimum |
--         already_redeemed | campaign_exhausted | campaign_paused | voided_batch
--
-- Online, the common case (a valid coupon, a new key) is three statements (issue 12, "lean
-- redeem"), with no advisory lock and no lookup before the work:
--   1. the verdict and the guarded use in one UPDATE: the coupon's row gets one more use only
--      if coupon_verdict_at() says ok (every rule lives there, and only there) and a use is
--      left (uses < max_uses, re-checked by PostgreSQL on the newest row when two race);
--   2. for a capped campaign only, the guarded counter (limited_uses < max_redemptions);
--   3. the redemption's INSERT with the unique key (terminal, txn_id) as the idempotency gate:
--      ON CONFLICT DO NOTHING, and on a conflict the row that holds the key is compared
--      (insert, then compare: the pattern of GNU Taler's exchange). An INSERT racing an
--      uncommitted one with the same key waits for it, so a retry racing its original finds it.
-- Anything else (a refusal, a replay, a key used before) takes the slow path, read-only in
-- the common cases: the key is looked up (replay, voided, conflict), then the refusal is
-- coupon_verdict_at()'s word; only a refusal that an original still in flight could have
-- changed (expired, paused, ...: see below) waits for the coupon's row (FOR SHARE) and looks
-- again. Writes undone on that path are undone in the same transaction: the coupon's use by
-- an UPDATE (no trigger), a capped campaign's counter and the INSERT by rolling back their
-- subtransaction (so the outbox's events for them go too), which only capped campaigns pay
-- for.
-- Rules are added to coupon_verdict_at() (both paths judge by it) or, when they need the
-- request's other rows, as a step between 1 and 3 that refuses by raising CP422 with the word
-- in the message (see the capped counter below).
-- Counter (issue 17; helpers in 0305_counter_rules.sql and 0320_bounce.sql): a coupon with a
-- limit per card (its code's or its campaign's) or with a receipt id takes steps between 1 and
-- 3 in the capped campaign's subtransaction: the card's use (card_limits_take;
-- card_required_limit without a card, card_limit_reached), then its place among the receipt's
-- coupons (receipt_stack_verdict: max_per_receipt, exclusive or stackable, and its discount in
-- the fixed order, amounts then percents on what is left). A refusal there is answered with
-- its word once the slow path has found no replay and the coupon usable. Booked,
-- redemption_booked() (0306, shared with redeem_offline(), called only when the request
-- carries any of these) takes a card's points, the receipt's
-- total (receipt_stack_add), the discount per VAT rate (BASKET_BY_VAT, redemption_vat) and,
-- with P_BOUNCE (coupond passes it while any campaign has a trigger), the bounce-back coupon
-- (bounce_for; a replay answers the same one). A coupon without any of these takes the three
-- statements above and nothing more. The lock order becomes coupon, campaign, receipt, card
-- (a void locks the receipt before the coupon: the two can deadlock on one coupon of one
-- receipt, which PostgreSQL breaks and the db layer retries).
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
    used record;         -- counter: step 1's campaign and the coupon's own limit per card
    rk record;           -- counter: the receipt's verdict
    v_rule status_word;  -- counter: the rule that refused it between steps 1 and 3
    v_counter boolean;   -- counter: a rule of issue 17 applies to this coupon
BEGIN
    IF p_offline_at IS NOT NULL THEN
        SELECT * INTO status, redemption_id, discount_cents, campaign_id, points, redeemed_at,
                      redeemed_store, void_id, offline_at, conflict_id, reason,
                      discount_by_vat, receipt_discount_cents, receipt_coupons, next_serial,
                      next_campaign, next_card, next_ends_at, next_offer_kind, next_offer_value,
                      next_min_basket, next_issued_at, next_pool_low
          FROM redeem_offline(p_serial, p_store, p_terminal, p_txn, p_basket, p_card, p_receipt,
                              p_offline_at, p_basket_by_vat, p_bounce);
        RETURN;
    END IF;
    -- Twice at most: a second time only when the slow path found the coupon usable after all
    -- (a void gave a use back, the campaign resumed, between the two statements).
    FOR attempt IN 1..2 LOOP
        -- 1. The verdict and the guarded use, one statement.
        UPDATE coupons k SET uses = k.uses + 1
          FROM campaigns x
         WHERE k.serial = p_serial AND x.id = k.campaign_id AND k.uses < k.max_uses
           AND coupon_verdict_at(k, x, p_store, p_basket, p_card, now()) = 'ok'
        RETURNING x AS campaign, k.max_per_card AS coupon_limit INTO used;
        IF FOUND THEN
            c := used.campaign;
            campaign_id := c.id;
            discount_cents := discount_for(c.offer_kind, c.offer_value, p_basket);
            -- (offer_points() only for a points offer: a call with the campaign's row costs)
            points := CASE WHEN c.offer_kind = 'points' THEN offer_points(c, p_basket) ELSE 0 END;
            -- counter: a limit per card or a receipt id takes the steps between 1 and 3
            v_counter := p_receipt IS NOT NULL OR used.coupon_limit IS NOT NULL
                         OR c.max_per_card IS NOT NULL;
            IF c.max_redemptions IS NULL AND NOT v_counter THEN
                -- 3. The key as the gate.
                INSERT INTO redemptions (coupon_serial, campaign_id, store_id, terminal, txn_id,
                                         basket_cents, discount_cents, points, card_serial,
                                         receipt)
                VALUES (p_serial, c.id, p_store, p_terminal, p_txn, p_basket, discount_cents,
                        points, p_card, p_receipt)
                ON CONFLICT (terminal, txn_id) DO NOTHING
                RETURNING id, rfc3339(created_at) INTO redemption_id, redeemed_at;
            ELSE
                BEGIN
                    -- 2. The capped campaign's counter, the counter's rules (issue 17: the
                    -- card's use of a limited code or campaign, the coupon's place among its
                    -- receipt's), then 3. the key as the gate; a refusal of any rolls them all
                    -- back (and their events).
                    IF c.max_redemptions IS NOT NULL THEN
                        UPDATE campaigns SET limited_uses = limited_uses + 1
                         WHERE id = c.id AND limited_uses < max_redemptions;
                        IF NOT FOUND THEN
                            RAISE EXCEPTION USING ERRCODE = 'CP422',
                                                  MESSAGE = 'campaign_exhausted';
                        END IF;
                    END IF;
                    IF used.coupon_limit IS NOT NULL OR c.max_per_card IS NOT NULL THEN
                        IF p_card IS NULL THEN
                            v_rule := 'card_required_limit';
                        ELSIF NOT card_limits_take(p_serial, used.coupon_limit, c.id,
                                                   c.max_per_card, p_card) THEN
                            v_rule := 'card_limit_reached';
                        END IF;
                    END IF;
                    IF v_rule IS NULL AND p_receipt IS NOT NULL THEN
                        SELECT * INTO rk
                          FROM receipt_stack_verdict(p_terminal, p_receipt, p_basket, c, true);
                        IF rk.status <> 'ok' THEN
                            v_rule := rk.status;
                            receipt_discount_cents := rk.total;
                            receipt_coupons := rk.coupons;
                        ELSE
                            discount_cents := rk.discount;
                        END IF;
                    END IF;
                    IF v_rule IS NOT NULL THEN
                        RAISE EXCEPTION USING ERRCODE = 'CP422', MESSAGE = v_rule;
                    END IF;
                    INSERT INTO redemptions (coupon_serial, campaign_id, store_id, terminal,
                                             txn_id, basket_cents, discount_cents, points,
                                             card_serial, receipt)
                    VALUES (p_serial, c.id, p_store, p_terminal, p_txn, p_basket,
                            discount_cents, points, p_card, p_receipt)
                    ON CONFLICT (terminal, txn_id) DO NOTHING
                    RETURNING id, rfc3339(created_at) INTO redemption_id, redeemed_at;
                    IF redemption_id IS NULL THEN
                        RAISE EXCEPTION USING ERRCODE = 'CP422', MESSAGE = 'conflict';
                    END IF;
                EXCEPTION WHEN SQLSTATE 'CP422' THEN
                    redemption_id := NULL;
                END;
            END IF;
            IF redemption_id IS NOT NULL THEN
                -- The card's points, the receipt's total, the VAT shares, the bounce-back
                -- coupon (counter): only when the request carries any of them.
                IF (points > 0 AND p_card IS NOT NULL) OR p_receipt IS NOT NULL
                   OR p_basket_by_vat IS NOT NULL OR p_bounce THEN
                    SELECT * INTO discount_by_vat, receipt_discount_cents, receipt_coupons,
                                  next_serial, next_campaign, next_card, next_ends_at,
                                  next_offer_kind, next_offer_value, next_min_basket,
                                  next_issued_at, next_pool_low
                      FROM redemption_booked(redemption_id, c.id, c.combinable = 'exclusive',
                                             p_store, p_terminal, p_basket, p_card, p_receipt,
                                             discount_cents, points, p_basket_by_vat, p_bounce);
                END IF;
                redeemed_store := p_store;
                status := 'ok';
                RETURN;
            END IF;
            -- Not booked (the key was used, or the campaign is exhausted): the use goes back.
            UPDATE coupons SET uses = uses - 1 WHERE serial = p_serial;
            discount_cents := NULL;
            points := NULL;
            campaign_id := NULL;
        END IF;
        -- The slow path: a replay, a conflict or a refusal; nothing of this request is booked.
        -- The key first: a replay needs nothing else.
        SELECT * INTO r FROM redemptions WHERE terminal = p_terminal AND txn_id = p_txn;
        IF r.id IS NULL THEN
            SELECT * INTO cp FROM coupons WHERE serial = p_serial;
            IF NOT FOUND THEN
                status := 'not_found';
                RETURN;
            END IF;
            SELECT * INTO c FROM campaigns WHERE id = cp.campaign_id;
            v := coupon_verdict_at(cp, c, p_store, p_basket, p_card, now());
            IF v NOT IN ('ok', 'already_redeemed', 'campaign_exhausted') THEN
                -- A refusal judged on the coupon as last committed: the original of this very
                -- request may still be in flight on it, judged ok a moment earlier (the
                -- campaign paused or ended, its batch voided, its end passed in between). Its
                -- UPDATE holds the coupon's row: wait for it (FOR SHARE), then look again.
                -- (already_redeemed and campaign_exhausted need no wait: an original in flight
                -- holds the rows they read, so they were read as it left them.)
                SELECT * INTO cp FROM coupons WHERE serial = p_serial FOR SHARE;
                SELECT * INTO r FROM redemptions WHERE terminal = p_terminal AND txn_id = p_txn;
            END IF;
        END IF;
        IF r.id IS NOT NULL THEN
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
                    SELECT x.discount_cents, x.coupons INTO receipt_discount_cents,
                                                            receipt_coupons
                      FROM receipt_stacks x
                     WHERE x.terminal = r.terminal AND x.receipt = r.receipt;
                END IF;
                SELECT * INTO next_serial, next_campaign, next_card, next_ends_at,
                              next_offer_kind, next_offer_value, next_min_basket, next_issued_at,
                              next_pool_low
                  FROM bounce_of(r.id, NULL, r.terminal, r.receipt);
                -- }
            ELSE
                status := 'conflict';
            END IF;
            RETURN;
        END IF;
        IF v = 'ok' AND v_rule IS NOT NULL THEN
            -- counter: usable, but refused by a rule of issue 17 (with the receipt's figures)
            status := v_rule;
            campaign_id := c.id;
            discount_cents := NULL;
            RETURN;
        END IF;
        IF v <> 'ok' THEN
            status := v;
            campaign_id := c.id;
            receipt_discount_cents := NULL;
            receipt_coupons := NULL;
            IF v = 'already_redeemed' THEN
                last := last_live_redemption(p_serial);
                redeemed_at := rfc3339(last.at);
                redeemed_store := last.store;
            END IF;
            RETURN;
        END IF;
    END LOOP;
    -- Usable on every look but taken every time by another request: ask the till to retry.
    RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'redeem: the coupon changed under it';
END;
$$;

-- coupond's one statement for the commonest redemption (issue 12, "lean redeem"): a coupon
-- of a campaign without a cap and without limits per card, redeemed online without a receipt,
-- VAT parts or a bounce-back trigger, with no card or with a card on an offer that is not
-- points. service/db_statements.c ("redeem_fast") prepares it once per connection:
--   WITH u AS (UPDATE coupons ... FROM campaigns ... WHERE <a use left, coupon_verdict_of()
--              'ok', none of the rules above applies> RETURNING <the discount and points>)
--   INSERT INTO redemptions ... SELECT ... FROM u
--   ON CONFLICT (terminal, txn_id) DO UPDATE SET terminal = redeem_key_taken() RETURNING ...
-- the shape of the minimal redeem statement (docs/BENCHMARKS.md, f1) with the verdict added.
-- It books exactly what redeem() books for such a request, judged by the same rule text
-- (coupon_verdict_of, discount_of, offer_points_of, inlined: no function is called), without
-- redeem()'s PL/pgSQL frame (measured: 19 % fewer instructions in PostgreSQL). It answers no
-- row when the coupon is not usable here (or one of the rules above applies); when it took a
-- use but the key (terminal, txn_id) holds a redemption already (a replay of a coupon with
-- uses left, or a retry racing its original, which the INSERT waits for), redeem_key_taken()
-- fails the statement, which rolls back whole. In both cases coupond asks redeem(), which
-- answers the refusal, the replay or the conflict. tests/integration/t_redeem_fast.sh holds
-- the two paths to the same answers.
-- Group commit (service/db_redeem_group.c, "redeem_group") sends the same statement over
-- arrays (unnest: one element per redemption, in serial order, so that two groups lock their
-- coupons in one order): a row per redemption booked, matched by its key; one that gets no
-- row goes to redeem(), and when redeem_key_taken() (or any error) fails the group, it books
-- nothing and each redemption is asked alone. tests/integration/t_group_commit.sh.

-- redeem_key_taken(): fails the statement calling it with SQLSTATE CPF01 (the db layer's
-- DB_STATE_DECLINED); volatile, so that the planner never evaluates it ahead.
CREATE OR REPLACE FUNCTION redeem_key_taken() RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'CPF01',
                          MESSAGE = 'redeem: the transaction key is taken; redeem() answers';
END;
$$;
