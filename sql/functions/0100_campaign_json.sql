-- campaign_json(c): one campaign as the API shows it (times in RFC 3339, UTC).
CREATE OR REPLACE FUNCTION rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
$$;

CREATE OR REPLACE FUNCTION campaign_json(c campaigns) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', c.id, 'name', c.name, 'channel', c.channel, 'cost_cents', c.cost_cents,
        'starts_at', rfc3339(c.starts_at), 'ends_at', rfc3339(c.ends_at),
        'offer', json_build_object('kind', c.offer_kind, 'value', c.offer_value,
                                   'multiply', c.offer_multiply,
                                   'min_basket_cents', c.min_basket_cents),
        'max_redemptions', c.max_redemptions, 'stores', to_json(c.stores),
        'variant_of', c.variant_of, 'issued', c.issued,
        'redeemed', (SELECT count(*) FROM redemptions r WHERE r.campaign_id = c.id
                      AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)),
        'created_by', c.created_by, 'created_at', rfc3339(c.created_at));
$$;
