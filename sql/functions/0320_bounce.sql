-- Bounce-back coupons (issue 17): a campaign of channel 'receipt' with a trigger gives a
-- purchase that meets it (a redemption or an earn) one coupon of its own, issued in the same
-- transaction and answered as next_coupon, which the till prints on the receipt. Its serial
-- comes from the campaign's pool (bounce_pool), which coupond fills ahead of time off the
-- tills' path (service/bounce.c: the serials are claimed for the current MAC key and passed
-- through the word filter, as every issue does), so that the redemption neither waits for
-- the serial counter (which a bulk issue holds) nor needs the MAC key. Every function here
-- answers the next coupon in the same columns (next_*), all NULL when there is none.

-- bounce_answer(serial): the next_* columns of issued bounce-back coupon SERIAL: its serial,
-- campaign, card (when bound), the campaign's end (Unix seconds) and offer as the signed form
-- says them, and when it was issued.
CREATE OR REPLACE FUNCTION bounce_answer(p_serial bigint,
    OUT next_serial bigint, OUT next_campaign bigint, OUT next_card bigint,
    OUT next_ends_at bigint, OUT next_offer_kind text, OUT next_offer_value bigint,
    OUT next_min_basket bigint, OUT next_issued_at text, OUT next_pool_low boolean)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT b.serial, b.campaign_id, cp.card_serial, extract(epoch FROM c.ends_at)::bigint,
           CASE WHEN c.offer_multiply THEN 'points_multiply' ELSE c.offer_kind END,
           c.offer_value, c.min_basket_cents, rfc3339(b.created_at), false
      INTO next_serial, next_campaign, next_card, next_ends_at, next_offer_kind,
           next_offer_value, next_min_basket, next_issued_at, next_pool_low
      FROM bounce_coupons b JOIN coupons cp ON cp.serial = b.serial
      JOIN campaigns c ON c.id = b.campaign_id
     WHERE b.serial = p_serial;
END;
$$;

-- bounce_of(redemption, transaction, terminal, receipt): the bounce-back coupon a redemption
-- (REDEMPTION) or an earn (TRANSACTION) got, or the one of its receipt; for replays.
CREATE OR REPLACE FUNCTION bounce_of(p_redemption bigint, p_transaction bigint,
                                     p_terminal text, p_receipt text,
    OUT next_serial bigint, OUT next_campaign bigint, OUT next_card bigint,
    OUT next_ends_at bigint, OUT next_offer_kind text, OUT next_offer_value bigint,
    OUT next_min_basket bigint, OUT next_issued_at text, OUT next_pool_low boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_serial bigint;
BEGIN
    SELECT b.serial INTO v_serial FROM bounce_coupons b
     WHERE b.redemption_id = p_redemption OR b.card_transaction_id = p_transaction
        OR (p_receipt IS NOT NULL AND b.terminal = p_terminal AND b.receipt = p_receipt)
     LIMIT 1;
    IF v_serial IS NOT NULL THEN
        SELECT * INTO next_serial, next_campaign, next_card, next_ends_at, next_offer_kind,
                      next_offer_value, next_min_basket, next_issued_at, next_pool_low
          FROM bounce_answer(v_serial);
    END IF;
END;
$$;

-- bounce_issue(campaign, card, terminal, receipt, redemption, transaction): issues one coupon of
-- bounce-back CAMPAIGN for a redemption (REDEMPTION) or an earn (TRANSACTION) at TERMINAL, in
-- the caller's transaction: the lowest free serial of the campaign's pool (rows locked by
-- another purchase are skipped, so purchases do not queue for one another), bound to CARD when
-- the trigger requires a card, counted as a piece of the campaign. A receipt gets one: when
-- RECEIPT already has its coupon (another coupon of the same receipt met the trigger), that
-- one is answered again. An empty pool issues nothing (next_serial NULL) and says
-- next_pool_low, as does a pool left with fewer than 64 serials: coupond then fills it.
CREATE OR REPLACE FUNCTION bounce_issue(p_campaign bigint, p_card bigint, p_terminal text,
                                        p_receipt text, p_redemption bigint, p_transaction bigint,
    OUT next_serial bigint, OUT next_campaign bigint, OUT next_card bigint,
    OUT next_ends_at bigint, OUT next_offer_kind text, OUT next_offer_value bigint,
    OUT next_min_basket bigint, OUT next_issued_at text, OUT next_pool_low boolean)
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns;
    v_serial bigint;
    v_batch bigint;
    v_card bigint;
BEGIN
    IF p_receipt IS NOT NULL THEN
        SELECT b.serial INTO v_serial FROM bounce_coupons b
         WHERE b.terminal = p_terminal AND b.receipt = p_receipt;
        IF v_serial IS NOT NULL THEN
            SELECT * INTO next_serial, next_campaign, next_card, next_ends_at, next_offer_kind,
                          next_offer_value, next_min_basket, next_issued_at, next_pool_low
              FROM bounce_answer(v_serial);
            RETURN;
        END IF;
    END IF;
    DELETE FROM bounce_pool p
     WHERE p.serial = (SELECT q.serial FROM bounce_pool q WHERE q.campaign_id = p_campaign
                        ORDER BY q.serial LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING p.serial, p.batch_id INTO v_serial, v_batch;
    IF v_serial IS NULL THEN
        next_pool_low := true;
        RETURN;
    END IF;
    SELECT * INTO c FROM campaigns k WHERE k.id = p_campaign;
    v_card := CASE WHEN c.trigger_card_required THEN p_card END;
    INSERT INTO coupons (serial, campaign_id, batch_id, max_uses, card_serial)
    VALUES (v_serial, c.id, v_batch, 1, v_card);
    INSERT INTO bounce_coupons (serial, campaign_id, terminal, receipt, redemption_id,
                                card_transaction_id)
    VALUES (v_serial, c.id, p_terminal, p_receipt, p_redemption, p_transaction)
    RETURNING rfc3339(created_at) INTO next_issued_at;
    UPDATE campaigns k SET issued = k.issued + 1 WHERE k.id = c.id;
    next_serial := v_serial;
    next_campaign := c.id;
    next_card := v_card;
    next_ends_at := extract(epoch FROM c.ends_at)::bigint;
    next_offer_kind := CASE WHEN c.offer_multiply THEN 'points_multiply' ELSE c.offer_kind END;
    next_offer_value := c.offer_value;
    next_min_basket := c.min_basket_cents;
    next_pool_low := (SELECT count(*) FROM (SELECT 1 FROM bounce_pool q
                                             WHERE q.campaign_id = c.id LIMIT 64) x) < 64;
END;
$$;

-- bounce_pick(store, basket, card): the bounce-back campaign a purchase of BASKET cents in
-- STORE (with a card or not) meets the trigger of now: running, in this store, its minimum
-- met, its card present if required; the most demanding trigger first (then the newest).
-- NULL when none.
CREATE OR REPLACE FUNCTION bounce_pick(p_store integer, p_basket bigint, p_card bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT b.id FROM campaigns b
             WHERE b.trigger_min_basket_cents IS NOT NULL AND b.ended_at IS NULL
               AND b.trigger_min_basket_cents <= p_basket
               AND (NOT b.trigger_card_required OR p_card IS NOT NULL)
               AND b.paused_at IS NULL AND b.starts_at <= now() AND now() < b.ends_at
               AND (b.stores IS NULL OR p_store = ANY (b.stores))
             ORDER BY b.trigger_min_basket_cents DESC, b.id DESC LIMIT 1);
END;
$$;

-- bounce_for(store, basket, card, terminal, receipt, redemption, transaction): the bounce-back
-- coupon of a redemption (REDEMPTION, on RECEIPT if not NULL) or an earn (TRANSACTION), when
-- the purchase meets a trigger (bounce_pick, bounce_issue).
DROP FUNCTION IF EXISTS bounce_for_earn(integer, bigint, bigint, text, bigint);
CREATE OR REPLACE FUNCTION bounce_for(p_store integer, p_basket bigint, p_card bigint,
                                      p_terminal text, p_receipt text, p_redemption bigint,
                                      p_transaction bigint,
    OUT next_serial bigint, OUT next_campaign bigint, OUT next_card bigint,
    OUT next_ends_at bigint, OUT next_offer_kind text, OUT next_offer_value bigint,
    OUT next_min_basket bigint, OUT next_issued_at text, OUT next_pool_low boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_campaign bigint := bounce_pick(p_store, p_basket, p_card);
BEGIN
    IF v_campaign IS NOT NULL THEN
        SELECT * INTO next_serial, next_campaign, next_card, next_ends_at, next_offer_kind,
                      next_offer_value, next_min_basket, next_issued_at, next_pool_low
          FROM bounce_issue(v_campaign, p_card, p_terminal, p_receipt, p_redemption,
                            p_transaction);
    END IF;
END;
$$;

-- bounce_campaigns_live(): whether any campaign has a trigger and has not ended. coupond asks
-- it every few seconds and passes the answer to redeem() and card_earn() (P_BOUNCE), which
-- look for a trigger only then, so that the tills pay nothing for bounce-backs while there
-- are none.
CREATE OR REPLACE FUNCTION bounce_campaigns_live() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM campaigns c
                    WHERE c.trigger_min_basket_cents IS NOT NULL AND c.ended_at IS NULL
                      AND now() < c.ends_at);
$$;

-- bounce_pool_needs(low): the bounce-back campaigns not ended whose pool holds fewer than LOW
-- serials, with how many it holds.
CREATE OR REPLACE FUNCTION bounce_pool_needs(p_low integer,
                                             OUT campaign_id bigint, OUT have integer)
RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT x.id, x.have FROM (
        SELECT c.id, (SELECT count(*) FROM (SELECT 1 FROM bounce_pool p
                                             WHERE p.campaign_id = c.id LIMIT p_low) q)::integer
                     AS have
          FROM campaigns c
         WHERE c.trigger_min_basket_cents IS NOT NULL AND c.ended_at IS NULL
           AND now() < c.ends_at) x
     WHERE x.have < p_low
     ORDER BY x.id;
$$;

-- bounce_pool_reserve(campaign, count, key): the first step of filling CAMPAIGN's pool, in the
-- caller's transaction: claims the serials for MAC key KEY (code_key_claim(); 'stale_key' when a
-- newer key is in use) and moves the coupon counter past COUNT of them (its row lock is held
-- until the caller commits, so this is a short transaction: bounce_pool_add follows at once).
-- status: ok | stale_key | not_found (no such bounce-back campaign) | no_serials
CREATE OR REPLACE FUNCTION bounce_pool_reserve(p_campaign bigint, p_count integer,
                                               p_key integer,
                                               OUT status status_word, OUT first_serial bigint)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = p_campaign
                                               AND c.trigger_min_basket_cents IS NOT NULL) THEN
        status := 'not_found';
        RETURN;
    END IF;
    IF code_key_claim('coupon', p_key) <> 'ok' THEN
        status := 'stale_key';
        RETURN;
    END IF;
    UPDATE serial_counters s SET next_serial = s.next_serial + p_count
     WHERE s.kind = 'coupon' AND p_count BETWEEN 1 AND 1000
       AND s.next_serial + p_count <= 4294967296
    RETURNING s.next_serial - p_count INTO first_serial;
    status := CASE WHEN first_serial IS NULL THEN 'no_serials' ELSE 'ok' END;
END;
$$;

-- bounce_pool_add(campaign, first, last, serials): records the reserved range FIRST..LAST as a
-- batch of CAMPAIGN (created by 'bounce-back'; its coupons are those handed out from it) and
-- puts SERIALS (the clean ones of the range) into the pool. Returns the batch id.
CREATE OR REPLACE FUNCTION bounce_pool_add(p_campaign bigint, p_first bigint, p_last bigint,
                                           p_serials bigint[])
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_batch bigint;
BEGIN
    INSERT INTO coupon_batches (campaign_id, first_serial, last_serial, count, max_uses,
                                created_by)
    VALUES (p_campaign, p_first, p_last, cardinality(p_serials), 1, 'bounce-back')
    RETURNING id INTO v_batch;
    INSERT INTO bounce_pool (serial, campaign_id, batch_id)
    SELECT s, p_campaign, v_batch FROM unnest(p_serials) s;
    RETURN v_batch;
END;
$$;
