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

-- redeem_offline(...): redeem() for a coupon a till accepted offline (P_OFFLINE_AT not NULL),
-- judged and booked on that time. The procedural path redeem() had for every call before it was
-- made lean (issue 12): the key's advisory lock, then the lookup, then the checks one by one;
-- kept as it was for offline acceptance, whose rules (the offline time's verdict, conflicts
-- recorded and replayed) need the steps in this order. Its answer is redeem()'s.
-- P_OFFLINE_AT: the till accepted the coupon offline at that time and gave the
-- discount already. It is judged and booked on that time (created_at; synced_at is now), and
-- answered with OFFLINE_AT. When it cannot be booked (the coupon was redeemed first, by another
-- till or online; it was not valid at that time; the time is more than five minutes ahead or
-- older than settings.offline_max_age), it is never booked a second time: it is recorded in
-- offline_conflicts (CONFLICT_ID, REASON, DISCOUNT_CENTS the discount given, REDEEMED_AT and
-- REDEEMED_STORE of the redemption that came first) and answered 'offline_conflict', the same
-- again for the same request under that txn_id. The offline time is not part of the request a
-- replay compares: a till that sent it online first (no answer) and offline later is answered
-- with the first booking.
DROP FUNCTION IF EXISTS redeem(bigint, integer, text, text, bigint, bigint, text);
CREATE OR REPLACE FUNCTION redeem_offline(
    p_serial bigint, p_store integer, p_terminal text, p_txn text, p_basket bigint,
    p_card bigint, p_receipt text, p_offline_at timestamptz,
    OUT status status_word, OUT redemption_id bigint, OUT discount_cents bigint,
    OUT campaign_id bigint, OUT points bigint, OUT redeemed_at text, OUT redeemed_store integer,
    OUT void_id bigint, OUT offline_at text, OUT conflict_id bigint, OUT reason status_word)
LANGUAGE plpgsql AS $$
DECLARE
    r redemptions;
    cp coupons;
    c campaigns;
    v status_word;
    last record;
    v_at timestamptz := coalesce(p_offline_at, now());
BEGIN
    -- Requests with the same key queue here, so a retry racing its original replays it.
    PERFORM till_txn_lock(p_terminal, p_txn, 'redemptions');
    SELECT * INTO r FROM redemptions WHERE terminal = p_terminal AND txn_id = p_txn;
    IF FOUND THEN
        IF r.coupon_serial = p_serial AND r.basket_cents = p_basket
           AND r.card_serial IS NOT DISTINCT FROM p_card
           AND r.receipt IS NOT DISTINCT FROM p_receipt THEN
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
    discount_cents := discount_for(c.offer_kind, c.offer_value, p_basket);
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
    redeemed_store := p_store;
    status := 'ok';
END;
$$;

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
CREATE OR REPLACE FUNCTION redeem(
    p_serial bigint, p_store integer, p_terminal text, p_txn text, p_basket bigint,
    p_card bigint, p_receipt text, p_offline_at timestamptz DEFAULT NULL,
    OUT status status_word, OUT redemption_id bigint, OUT discount_cents bigint,
    OUT campaign_id bigint, OUT points bigint, OUT redeemed_at text, OUT redeemed_store integer,
    OUT void_id bigint, OUT offline_at text, OUT conflict_id bigint, OUT reason status_word)
LANGUAGE plpgsql AS $$
DECLARE
    r redemptions;
    cp coupons;
    c campaigns;
    v status_word;
    last record;
BEGIN
    IF p_offline_at IS NOT NULL THEN
        SELECT * INTO status, redemption_id, discount_cents, campaign_id, points, redeemed_at,
                      redeemed_store, void_id, offline_at, conflict_id, reason
          FROM redeem_offline(p_serial, p_store, p_terminal, p_txn, p_basket, p_card, p_receipt,
                              p_offline_at);
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
        RETURNING x.* INTO c;
        IF FOUND THEN
            campaign_id := c.id;
            discount_cents := discount_for(c.offer_kind, c.offer_value, p_basket);
            points := offer_points(c, p_basket);
            IF c.max_redemptions IS NULL THEN
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
                    -- 2. The capped campaign's counter, then 3. the key as the gate; a refusal
                    -- of either rolls both back (and their events).
                    UPDATE campaigns SET limited_uses = limited_uses + 1
                     WHERE id = c.id AND limited_uses < max_redemptions;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION USING ERRCODE = 'CP422', MESSAGE = 'campaign_exhausted';
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
                IF points > 0 AND p_card IS NOT NULL THEN
                    -- Lock order as everywhere: coupon, campaign, then the card.
                    IF card_has_due(p_card) THEN
                        PERFORM card_lock(p_card);
                    END IF;
                    PERFORM card_credit(p_card, 'coupon', points, NULL, redemption_id, p_store,
                                        p_terminal, NULL);
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
               AND r.receipt IS NOT DISTINCT FROM p_receipt THEN
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
            ELSE
                status := 'conflict';
            END IF;
            RETURN;
        END IF;
        IF v <> 'ok' THEN
            status := v;
            campaign_id := c.id;
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

-- coupon_check(...): what redeem would answer now, changing nothing.
CREATE OR REPLACE FUNCTION coupon_check(
    p_serial bigint, p_store integer, p_basket bigint, p_card bigint,
    OUT status status_word, OUT discount_cents bigint, OUT campaign_id bigint, OUT points bigint,
    OUT redeemed_at text, OUT redeemed_store integer)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cp coupons;
    c campaigns;
    last record;
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
    discount_cents := CASE WHEN status = 'ok'
                           THEN discount_for(c.offer_kind, c.offer_value, p_basket) ELSE 0 END;
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
    SELECT * INTO r FROM redemptions WHERE id = p_redemption;
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
    UPDATE coupons SET uses = uses - 1 WHERE serial = r.coupon_serial AND uses > 0;
    SELECT * INTO c FROM campaigns WHERE id = r.campaign_id;
    IF c.max_redemptions IS NOT NULL THEN
        UPDATE campaigns SET limited_uses = limited_uses - 1
         WHERE id = c.id AND limited_uses > 0;
    END IF;
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
