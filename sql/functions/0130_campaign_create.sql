-- campaign_create(...): inserts a campaign; returns ('ok', campaign json) or
-- ('variant_not_found', NULL) when variant_of names no campaign. Every other rule is
-- a CHECK constraint of the campaigns table.
DROP FUNCTION IF EXISTS campaign_create(text, text, bigint, bigint, bigint, text, bigint, bigint,
                                        bigint, integer[], bigint, text);
CREATE OR REPLACE FUNCTION campaign_create(
    p_name text, p_channel text, p_cost_cents bigint, p_starts_at bigint, p_ends_at bigint,
    p_offer_kind text, p_offer_value bigint, p_min_basket_cents bigint,
    p_max_redemptions bigint, p_stores integer[], p_variant_of bigint, p_created_by text,
    p_offer_multiply boolean,
    OUT status text, OUT body json)
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns;
BEGIN
    IF p_variant_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM campaigns WHERE id = p_variant_of) THEN
        status := 'variant_not_found';
        RETURN;
    END IF;
    INSERT INTO campaigns (name, channel, cost_cents, starts_at, ends_at, offer_kind,
                           offer_value, min_basket_cents, max_redemptions, stores,
                           variant_of, created_by, offer_multiply)
    VALUES (p_name, p_channel, p_cost_cents, to_timestamp(p_starts_at), to_timestamp(p_ends_at),
            p_offer_kind, p_offer_value, p_min_basket_cents, p_max_redemptions, p_stores,
            p_variant_of, p_created_by, p_offer_multiply)
    RETURNING * INTO c;
    status := 'ok';
    body := campaign_json(c);
END;
$$;
