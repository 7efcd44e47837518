-- campaign_json(c): one campaign as the API shows it (times in RFC 3339, UTC; in_home_date a
-- local date), with its state and the figures the campaign list shows; campaign_terms_json(c):
-- the same without those figures, for a caller that needs only the campaign's terms (the
-- figures are a pass over the campaign's redemptions).
-- rfc3339(t): T as RFC 3339 text in UTC. STABLE, as its body (to_char) is: PostgreSQL then
-- inlines it into the calling statement; declared IMMUTABLE it was refused inlining and ran as
-- an SQL function of its own, parsed and planned again on every call (≈ 84,000 instructions per
-- redemption, issue 12). Nothing indexes it.
CREATE OR REPLACE FUNCTION rfc3339(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
$$;

-- campaign_json_of(c, redeemed, revenue, discount): the campaign JSON with these figures.
CREATE OR REPLACE FUNCTION campaign_json_of(c campaigns, p_redeemed bigint, p_revenue bigint,
                                            p_discount bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', c.id, 'name', c.name, 'channel', c.channel, 'cost_cents', c.cost_cents,
        'starts_at', rfc3339(c.starts_at), 'ends_at', rfc3339(c.ends_at),
        'starts_on', to_char(c.starts_on, 'YYYY-MM-DD'), 'ends_on', to_char(c.ends_on, 'YYYY-MM-DD'),
        'offer', json_build_object('kind', c.offer_kind, 'value', c.offer_value,
                                   'multiply', c.offer_multiply,
                                   'min_basket_cents', c.min_basket_cents),
        'max_redemptions', c.max_redemptions, 'stores', to_json(c.stores),
        'variant_of', c.variant_of, 'issued', c.issued,
        'redeemed', p_redeemed,
        'created_by', c.created_by, 'created_at', rfc3339(c.created_at),
        'in_home_date', to_char(c.in_home_date, 'YYYY-MM-DD'),
        'gross_margin_pct', c.gross_margin_pct, 'fixed_cost_cents', c.fixed_cost_cents,
        'response_window_days', c.response_window_days,
        'state', campaign_state(c), 'paused_at', rfc3339(c.paused_at),
        'ended_at', rfc3339(c.ended_at),
        'pieces', c.issued,
        'response_rate', CASE WHEN c.issued > 0 THEN round(p_redeemed::numeric / c.issued, 6) END,
        'revenue_cents', p_revenue, 'discount_cents', p_discount,
        'total_cost_cents', campaign_cost(c),
        'roas', CASE WHEN campaign_cost(c) > 0
                     THEN round(p_revenue::numeric / campaign_cost(c), 4) END,
        -- counter (issue 17)
        'max_per_card', c.max_per_card, 'max_per_receipt', c.max_per_receipt,
        'combinable', c.combinable,
        'trigger', CASE WHEN c.trigger_min_basket_cents IS NOT NULL
                        THEN json_build_object('min_basket_cents', c.trigger_min_basket_cents,
                                               'card_required', c.trigger_card_required) END)
;
$$;
CREATE OR REPLACE FUNCTION campaign_json(c campaigns) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT campaign_json_of(c, t.redeemed, t.revenue_cents, t.discount_cents)
      FROM campaign_totals(c.id, '-infinity', 'infinity') t;
$$;

CREATE OR REPLACE FUNCTION campaign_terms_json(c campaigns) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_object_agg(e.key, e.value ORDER BY e.n)
      FROM json_each(campaign_json_of(c, NULL, NULL, NULL)) WITH ORDINALITY e(key, value, n)
     WHERE e.key NOT IN ('redeemed', 'response_rate', 'revenue_cents', 'discount_cents', 'roas');
$$;
