-- campaign_json(c): one campaign as the API shows it (times in RFC 3339, UTC; in_home_date a
-- local date), with its state and the figures the campaign list shows.
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
        'redeemed', t.redeemed,
        'created_by', c.created_by, 'created_at', rfc3339(c.created_at),
        'in_home_date', to_char(c.in_home_date, 'YYYY-MM-DD'),
        'gross_margin_pct', c.gross_margin_pct, 'fixed_cost_cents', c.fixed_cost_cents,
        'response_window_days', c.response_window_days,
        'state', campaign_state(c), 'paused_at', rfc3339(c.paused_at),
        'ended_at', rfc3339(c.ended_at),
        'pieces', c.issued,
        'response_rate', CASE WHEN c.issued > 0 THEN round(t.redeemed::numeric / c.issued, 6) END,
        'revenue_cents', t.revenue_cents, 'discount_cents', t.discount_cents,
        'total_cost_cents', campaign_cost(c),
        'roas', CASE WHEN campaign_cost(c) > 0
                     THEN round(t.revenue_cents::numeric / campaign_cost(c), 4) END,
        -- counter (issue 17)
        'max_per_card', c.max_per_card, 'max_per_receipt', c.max_per_receipt,
        'combinable', c.combinable,
        'trigger', CASE WHEN c.trigger_min_basket_cents IS NOT NULL
                        THEN json_build_object('min_basket_cents', c.trigger_min_basket_cents,
                                               'card_required', c.trigger_card_required) END)
      FROM campaign_totals(c.id, '-infinity', 'infinity') t;
$$;
