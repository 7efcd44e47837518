-- coupon_issue_begin(...): the first step of issuing COUNT coupons for a campaign, in the
-- caller's transaction. Replays a finished batch with the same request key (same body) or
-- refuses it (other body); otherwise locks the coupon serial counter (concurrent issues
-- queue here), inserts the batch and returns where its serials start. The caller then
-- COPYs the coupon rows and calls coupon_issue_finish in the same transaction, so an
-- interrupted issue leaves nothing behind. An issue that cannot fit in the serials left
-- (32 bits in all) is refused here, before anything is written: no_serials, with
-- first_serial = the next free serial. (The word filter skips about 3% of serials, so an
-- issue that just fits here can still run out; the caller then rolls back.)
-- status: ok | replay | conflict | not_found | no_serials
-- Counter (issue 17): P_MAX_PER_CARD (NULL: none) limits a generic code's uses per card; it is
-- kept on the batch and copied onto the coupon by coupon_issue_finish.
DROP FUNCTION IF EXISTS coupon_issue_begin(bigint, integer, integer, bigint, text, text);
CREATE OR REPLACE FUNCTION coupon_issue_begin(
    p_campaign bigint, p_count integer, p_max_uses integer, p_card bigint,
    p_request_key text, p_created_by text, p_max_per_card integer DEFAULT NULL,
    OUT status status_word, OUT batch_id bigint, OUT first_serial bigint, OUT last_serial bigint,
    OUT mac_slot_hint integer, OUT ends_at bigint, OUT offer_kind text, OUT offer_value bigint,
    OUT min_basket_cents bigint)
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns;
    b coupon_batches;
BEGIN
    SELECT * INTO c FROM campaigns WHERE id = p_campaign;
    IF NOT FOUND THEN
        status := 'not_found';
        RETURN;
    END IF;
    ends_at := extract(epoch FROM c.ends_at)::bigint;
    offer_kind := CASE WHEN c.offer_multiply THEN 'points_multiply' ELSE c.offer_kind END;
    offer_value := c.offer_value;
    min_basket_cents := c.min_basket_cents;
    IF p_request_key IS NOT NULL THEN
        SELECT * INTO b FROM coupon_batches
         WHERE campaign_id = p_campaign AND request_key = p_request_key;
        IF FOUND THEN
            IF b.count = p_count AND b.max_uses = p_max_uses
               AND b.card_serial IS NOT DISTINCT FROM p_card
               AND b.max_per_card IS NOT DISTINCT FROM p_max_per_card THEN
                status := 'replay';
                batch_id := b.id;
                first_serial := b.first_serial;
                last_serial := b.last_serial;
            ELSE
                status := 'conflict';
            END IF;
            RETURN;
        END IF;
    END IF;
    SELECT next_serial INTO first_serial FROM serial_counters WHERE kind = 'coupon' FOR UPDATE;
    IF first_serial + p_count > 4294967296 THEN
        status := 'no_serials';
        RETURN;
    END IF;
    INSERT INTO coupon_batches (campaign_id, first_serial, last_serial, count, max_uses,
                                card_serial, request_key, created_by, max_per_card)
    VALUES (p_campaign, first_serial, first_serial, p_count, p_max_uses, p_card, p_request_key,
            p_created_by, p_max_per_card)
    ON CONFLICT (campaign_id, request_key) DO NOTHING
    RETURNING id INTO batch_id;
    IF batch_id IS NULL THEN
        -- A concurrent issue with the same key committed first: compare with it.
        SELECT * INTO b FROM coupon_batches
         WHERE campaign_id = p_campaign AND request_key = p_request_key;
        status := CASE WHEN b.count = p_count AND b.max_uses = p_max_uses
                        AND b.card_serial IS NOT DISTINCT FROM p_card
                        AND b.max_per_card IS NOT DISTINCT FROM p_max_per_card
                       THEN 'replay' ELSE 'conflict' END;
        batch_id := b.id;
        first_serial := b.first_serial;
        last_serial := b.last_serial;
        RETURN;
    END IF;
    status := 'ok';
END;
$$;

-- coupon_issue_finish(batch, last, count): records the batch's serial range, moves the
-- counter past it and counts the coupons as issued. Fails (and so rolls the whole
-- issue back) if the range would leave the 32-bit serial space. A batch with a limit per card
-- (a generic code) puts it on its coupon.
CREATE OR REPLACE FUNCTION coupon_issue_finish(p_batch bigint, p_last bigint, p_count integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_campaign bigint;
    v_per_card integer; -- counter
BEGIN
    UPDATE coupon_batches SET last_serial = p_last WHERE id = p_batch
    RETURNING campaign_id, max_per_card INTO v_campaign, v_per_card;
    -- counter {
    IF v_per_card IS NOT NULL THEN
        UPDATE coupons SET max_per_card = v_per_card
         WHERE batch_id = p_batch AND serial BETWEEN (SELECT b.first_serial FROM coupon_batches b
                                                       WHERE b.id = p_batch) AND p_last;
    END IF;
    -- }
    UPDATE serial_counters SET next_serial = p_last + 1 WHERE kind = 'coupon';
    UPDATE campaigns SET issued = issued + p_count WHERE id = v_campaign;
END;
$$;
