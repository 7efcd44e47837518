-- campaign_create(...): inserts a campaign (in_home_date defaults to the start's local date)
-- and records it in the audit log; returns ('ok', campaign json), ('variant_not_found', NULL)
-- when variant_of names no campaign, or ('variant_of_variant', NULL) when it names a variant
-- (an A/B test is one control and its variants). Every other rule is a CHECK constraint of
-- the campaigns table. P_STARTS_ON / P_ENDS_ON (local dates, instead of P_STARTS_AT /
-- P_ENDS_AT): the campaign runs from the start of P_STARTS_ON to the end of P_ENDS_ON in the
-- retailer's time zone (local_tz()); the instants are fixed when it is made.
-- Counter (issue 17): P_MAX_PER_CARD (NULL: none), P_MAX_PER_RECEIPT
-- (NULL: 1), P_COMBINABLE (NULL: stackable), and the trigger of a 'receipt' campaign
-- (P_TRIGGER_MIN_BASKET and P_TRIGGER_CARD_REQUIRED, both NULL for none).
DROP FUNCTION IF EXISTS campaign_create(text, text, bigint, bigint, bigint, text, bigint, bigint,
                                        bigint, integer[], bigint, text);
DROP FUNCTION IF EXISTS campaign_create(text, text, bigint, bigint, bigint, text, bigint, bigint,
                                        bigint, integer[], bigint, text, boolean, date, numeric,
                                        bigint, integer, text);
DROP FUNCTION IF EXISTS campaign_create(text, text, bigint, bigint, bigint, text, bigint, bigint,
                                        bigint, integer[], bigint, text, boolean);
DROP FUNCTION IF EXISTS campaign_create(text, text, bigint, bigint, bigint, text, bigint, bigint,
                                        bigint, integer[], bigint, text, boolean, date, numeric,
                                        bigint, integer, text);
-- main's form before the counter's columns (issue 17)
DROP FUNCTION IF EXISTS campaign_create(text, text, bigint, bigint, bigint, text, bigint, bigint,
                                        bigint, integer[], bigint, text, boolean, date, numeric,
                                        bigint, integer, text, date, date);
CREATE OR REPLACE FUNCTION campaign_create(
    p_name text, p_channel text, p_cost_cents bigint, p_starts_at bigint, p_ends_at bigint,
    p_offer_kind text, p_offer_value bigint, p_min_basket_cents bigint,
    p_max_redemptions bigint, p_stores integer[], p_variant_of bigint, p_created_by text,
    p_offer_multiply boolean, p_in_home_date date, p_gross_margin_pct numeric,
    p_fixed_cost_cents bigint, p_response_window_days integer, p_role text,
    p_starts_on date, p_ends_on date,
    p_max_per_card integer DEFAULT NULL, p_max_per_receipt integer DEFAULT NULL,
    p_combinable text DEFAULT NULL, p_trigger_min_basket bigint DEFAULT NULL,
    p_trigger_card_required boolean DEFAULT NULL,
    OUT status status_word, OUT body json)
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns;
    parent campaigns;
    v_starts timestamptz := coalesce(local_midnight(p_starts_on), to_timestamp(p_starts_at));
    v_ends timestamptz := coalesce(local_midnight(p_ends_on + 1), to_timestamp(p_ends_at));
BEGIN
    IF p_variant_of IS NOT NULL THEN
        -- variant_of never changes, so the parent read here stays a control.
        SELECT * INTO parent FROM campaigns WHERE id = p_variant_of;
        IF NOT FOUND THEN
            status := 'variant_not_found';
            RETURN;
        ELSIF parent.variant_of IS NOT NULL THEN
            status := 'variant_of_variant';
            RETURN;
        END IF;
    END IF;
    INSERT INTO campaigns (name, channel, cost_cents, starts_at, ends_at, offer_kind,
                           offer_value, min_basket_cents, max_redemptions, stores,
                           variant_of, created_by, offer_multiply, in_home_date,
                           gross_margin_pct, fixed_cost_cents, response_window_days,
                           starts_on, ends_on, max_per_card, max_per_receipt, combinable,
                           trigger_min_basket_cents, trigger_card_required)
    VALUES (p_name, p_channel, p_cost_cents, v_starts, v_ends,
            p_offer_kind, p_offer_value, p_min_basket_cents, p_max_redemptions, p_stores,
            p_variant_of, p_created_by, p_offer_multiply,
            coalesce(p_in_home_date, (v_starts AT TIME ZONE local_tz())::date),
            p_gross_margin_pct, p_fixed_cost_cents, coalesce(p_response_window_days, 56),
            p_starts_on, p_ends_on,
            p_max_per_card, coalesce(p_max_per_receipt, 1), coalesce(p_combinable, 'stackable'),
            p_trigger_min_basket, p_trigger_card_required)
    RETURNING * INTO c;
    PERFORM audit_record(p_created_by, p_role, 'campaign.create', c.id, 'campaign', c.id, NULL,
                         audit_image(c));
    status := 'ok';
    body := campaign_json(c);
END;
$$;
