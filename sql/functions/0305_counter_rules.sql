-- The rules of the counter (issue 17) that redeem(), coupon_check() and redemption_void()
-- share: coupons stacked on one receipt (amounts first, then percents each on what is left;
-- per-campaign limit per receipt; exclusive coupons alone), limits per card (guarded
-- counters in card_limit_uses), and the discount apportioned to VAT rates. The same
-- arithmetic lives in libcoupon (lib/shares.c) for the till; tests/integration/test_counter.c
-- checks that both answer alike. PL/pgSQL, so that their plans are kept for the session.

-- stack_total(basket, kinds, values): the discount of a set of offers on one basket in the
-- fixed order: every amount first (each capped at what is left), then every percent, the
-- largest first, each on what is left, rounded half up to the cent as discount_for() does.
-- Points offers give no discount. Never below 0, never above the basket.
CREATE OR REPLACE FUNCTION stack_total(p_basket bigint, p_kinds text[], p_values bigint[])
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    v_left bigint := p_basket;
    v bigint;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(p_kinds), 0) LOOP
        IF p_kinds[i] = 'amount' THEN
            v_left := v_left - least(p_values[i], v_left);
        END IF;
    END LOOP;
    FOR v IN SELECT x.v FROM unnest(p_kinds, p_values) AS x(k, v)
              WHERE x.k = 'percent' ORDER BY x.v DESC LOOP
        v_left := v_left - (v_left * v + 50) / 100;
    END LOOP;
    RETURN p_basket - v_left;
END;
$$;

-- vat_split(discount, basket_by_vat): DISCOUNT apportioned to the VAT rates of BASKET_BY_VAT
-- ({"1": 3000, "2": 2000}, DSFinV-K rate keys) by the largest remainder: each rate gets the
-- floor of its exact share, and the cents left over go one each to the largest remainders
-- (ties: the lower rate key first). The shares sum to DISCOUNT exactly; none is above its
-- rate's basket when DISCOUNT is at most the basket (the caller's rule). All zero parts give
-- all zero shares.
CREATE OR REPLACE FUNCTION vat_split(p_discount bigint, p_parts jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    v_total numeric;
    v_left bigint;
BEGIN
    SELECT coalesce(sum(value::numeric), 0) INTO v_total FROM jsonb_each_text(p_parts);
    IF v_total = 0 THEN
        RETURN (SELECT coalesce(jsonb_object_agg(key, 0), '{}'::jsonb)
                  FROM jsonb_each_text(p_parts));
    END IF;
    SELECT p_discount - sum(div(p_discount * value::numeric, v_total))::bigint INTO v_left
      FROM jsonb_each_text(p_parts);
    RETURN (SELECT jsonb_object_agg(a.key, a.q + CASE WHEN a.rank <= v_left THEN 1 ELSE 0 END)
              FROM (SELECT key, div(p_discount * value::numeric, v_total)::bigint AS q,
                           row_number() OVER (ORDER BY mod(p_discount * value::numeric, v_total)
                                              DESC, key::integer) AS rank
                      FROM jsonb_each_text(p_parts)) a);
END;
$$;

-- receipt_stack_verdict(terminal, receipt, basket, campaign, lock): whether one more coupon of
-- campaign C may join the coupons already live on TERMINAL's receipt RECEIPT, and its
-- discount: what the fixed order (stack_total) gives the receipt's coupons with this one, less
-- what its live coupons already got (never below 0, never above what is left of the basket).
-- LOCK (the redeem): creates the receipt's row if needed and holds its lock, so the coupons of
-- one receipt are decided one after the other; without LOCK (the check) it only reads.
-- status: ok | receipt_basket (the receipt's coupons were redeemed on another basket: TOTAL
-- is that basket) | not_combinable_receipt (max_per_receipt of this campaign reached) |
-- not_combinable_other (an exclusive coupon is on the receipt) | not_combinable_alone
-- (this coupon is exclusive and the receipt has others). TOTAL and COUPONS: the receipt's
-- discount and live coupons so far.
CREATE OR REPLACE FUNCTION receipt_stack_verdict(p_terminal text, p_receipt text, p_basket bigint,
                                                 c campaigns, p_lock boolean,
                                                 OUT status status_word, OUT discount bigint,
                                                 OUT total bigint, OUT coupons integer)
LANGUAGE plpgsql AS $$
DECLARE
    s receipt_stacks;
    l record;
    v_kinds text[] := '{}';
    v_values bigint[] := '{}';
    v_same integer := 0;
    v_other_exclusive boolean := false;
BEGIN
    IF p_lock THEN
        INSERT INTO receipt_stacks (terminal, receipt, basket_cents)
        VALUES (p_terminal, p_receipt, p_basket)
        ON CONFLICT (terminal, receipt) DO NOTHING
        RETURNING * INTO s;
        IF s.terminal IS NULL THEN
            SELECT * INTO s FROM receipt_stacks x
             WHERE x.terminal = p_terminal AND x.receipt = p_receipt FOR UPDATE;
        END IF;
    ELSE
        SELECT * INTO s FROM receipt_stacks x
         WHERE x.terminal = p_terminal AND x.receipt = p_receipt;
    END IF;
    total := coalesce(s.discount_cents, 0);
    coupons := coalesce(s.coupons, 0);
    IF coupons = 0 THEN
        -- The first live coupon of the receipt: alone, on the basket it comes with.
        IF p_lock AND s.basket_cents <> p_basket THEN
            UPDATE receipt_stacks x SET basket_cents = p_basket
             WHERE x.terminal = p_terminal AND x.receipt = p_receipt;
        END IF;
        status := 'ok';
        discount := discount_for(c.offer_kind, c.offer_value, p_basket);
        RETURN;
    END IF;
    IF s.basket_cents <> p_basket THEN
        status := 'receipt_basket';
        total := s.basket_cents;
        RETURN;
    END IF;
    FOR l IN SELECT k.id, k.offer_kind, k.offer_value, k.combinable
               FROM redemptions x JOIN campaigns k ON k.id = x.campaign_id
              WHERE x.terminal = p_terminal AND x.receipt = p_receipt
                AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = x.id)
    LOOP
        v_kinds := v_kinds || l.offer_kind;
        v_values := v_values || l.offer_value;
        IF l.id = c.id THEN
            v_same := v_same + 1;
        END IF;
        IF l.combinable = 'exclusive' THEN
            v_other_exclusive := true;
        END IF;
    END LOOP;
    IF v_same >= c.max_per_receipt THEN
        status := 'not_combinable_receipt';
    ELSIF v_other_exclusive THEN
        status := 'not_combinable_other';
    ELSIF c.combinable = 'exclusive' THEN
        status := 'not_combinable_alone';
    ELSE
        status := 'ok';
        discount := greatest(0, least(stack_total(p_basket, v_kinds || c.offer_kind,
                                                  v_values || c.offer_value) - s.discount_cents,
                                      p_basket - s.discount_cents));
    END IF;
END;
$$;

-- receipt_stack_add(terminal, receipt, discount, exclusive): counts one more live coupon with
-- DISCOUNT on the receipt (whose row the caller locked). R_TOTAL and R_COUPONS: after it. The
-- table's CHECKs refuse a receipt discounted beyond its basket or an exclusive coupon in
-- company, whatever the caller computed.
CREATE OR REPLACE FUNCTION receipt_stack_add(p_terminal text, p_receipt text, p_discount bigint,
                                             p_exclusive boolean,
                                             OUT r_total bigint, OUT r_coupons integer)
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE receipt_stacks x
       SET discount_cents = x.discount_cents + p_discount, coupons = x.coupons + 1,
           exclusive = x.exclusive + CASE WHEN p_exclusive THEN 1 ELSE 0 END
     WHERE x.terminal = p_terminal AND x.receipt = p_receipt
    RETURNING x.discount_cents, x.coupons INTO r_total, r_coupons;
END;
$$;

-- receipt_stack_remove(terminal, receipt, discount, exclusive): a void takes its coupon off the
-- receipt again (locking the receipt's row first, as the redeem does). A receipt from before
-- these rules has no row: nothing changes.
CREATE OR REPLACE FUNCTION receipt_stack_remove(p_terminal text, p_receipt text,
                                                p_discount bigint, p_exclusive boolean)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE receipt_stacks x
       SET discount_cents = greatest(x.discount_cents - p_discount, 0),
           coupons = greatest(x.coupons - 1, 0),
           exclusive = greatest(x.exclusive - CASE WHEN p_exclusive THEN 1 ELSE 0 END, 0)
     WHERE x.terminal = p_terminal AND x.receipt = p_receipt;
END;
$$;

-- card_limit_take(scope, id, card, max): takes one use of CARD on a limited code ('coupon',
-- serial) or campaign ('campaign', id) if fewer than MAX are live, under the counter row's
-- lock (concurrent takes of one card queue there). Returns whether it was taken.
CREATE OR REPLACE FUNCTION card_limit_take(p_scope text, p_id bigint, p_card bigint,
                                           p_max integer)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v integer;
BEGIN
    INSERT INTO card_limit_uses AS u (scope, scope_id, card_serial, uses)
    VALUES (p_scope, p_id, p_card, 1)
    ON CONFLICT (scope, scope_id, card_serial) DO UPDATE SET uses = u.uses + 1
     WHERE u.uses < p_max
    RETURNING u.uses INTO v;
    RETURN v IS NOT NULL;
END;
$$;

-- card_limit_give(scope, id, card): gives one use back (a void).
CREATE OR REPLACE FUNCTION card_limit_give(p_scope text, p_id bigint, p_card bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE card_limit_uses u SET uses = u.uses - 1
     WHERE u.scope = p_scope AND u.scope_id = p_id AND u.card_serial = p_card AND u.uses > 0;
END;
$$;

-- card_limits_take(serial, coupon_max, campaign, campaign_max, card): takes a use of CARD on
-- the code (when COUPON_MAX is set) and on the campaign (when CAMPAIGN_MAX is set), both or
-- neither. Lock order: the code's counter, then the campaign's.
CREATE OR REPLACE FUNCTION card_limits_take(p_serial bigint, p_coupon_max integer,
                                            p_campaign bigint, p_campaign_max integer,
                                            p_card bigint)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF p_coupon_max IS NOT NULL AND NOT card_limit_take('coupon', p_serial, p_card, p_coupon_max)
    THEN
        RETURN false;
    END IF;
    IF p_campaign_max IS NOT NULL
       AND NOT card_limit_take('campaign', p_campaign, p_card, p_campaign_max) THEN
        IF p_coupon_max IS NOT NULL THEN
            PERFORM card_limit_give('coupon', p_serial, p_card);
        END IF;
        RETURN false;
    END IF;
    RETURN true;
END;
$$;

-- card_limits_reached(serial, coupon_max, campaign, campaign_max, card): whether CARD has no
-- use left on the code or the campaign (the check; reads only).
CREATE OR REPLACE FUNCTION card_limits_reached(p_serial bigint, p_coupon_max integer,
                                               p_campaign bigint, p_campaign_max integer,
                                               p_card bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM card_limit_uses u
                    WHERE u.card_serial = p_card
                      AND ((u.scope = 'coupon' AND u.scope_id = p_serial
                            AND u.uses >= p_coupon_max)
                        OR (u.scope = 'campaign' AND u.scope_id = p_campaign
                            AND u.uses >= p_campaign_max)));
END;
$$;
