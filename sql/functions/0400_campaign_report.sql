-- campaign_report(id): the marketer's figures for one campaign, voids counted out:
-- issued, redeemed, redemption_rate, revenue_cents (basket value of redeeming
-- purchases), discount_cents, cost_cents, roas (revenue / cost), cost_per_redemption_cents,
-- by_store and by_day (UTC). No row when the campaign does not exist.
CREATE OR REPLACE FUNCTION campaign_report(p_campaign bigint) RETURNS SETOF json
LANGUAGE sql STABLE AS $$
    WITH live AS (
        SELECT r.* FROM redemptions r
         WHERE r.campaign_id = p_campaign
           AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
    ), totals AS (
        SELECT count(*) AS redeemed, coalesce(sum(basket_cents), 0) AS revenue,
               coalesce(sum(discount_cents), 0) AS discount
          FROM live
    )
    SELECT json_build_object(
        'campaign_id', c.id, 'name', c.name, 'channel', c.channel,
        'issued', c.issued,
        'redeemed', t.redeemed,
        'redemption_rate', CASE WHEN c.issued > 0
                                THEN round(t.redeemed::numeric / c.issued, 6) END,
        'revenue_cents', t.revenue,
        'discount_cents', t.discount,
        'cost_cents', c.cost_cents,
        'roas', CASE WHEN c.cost_cents > 0 THEN round(t.revenue::numeric / c.cost_cents, 4) END,
        'cost_per_redemption_cents', CASE WHEN t.redeemed > 0
                                          THEN round(c.cost_cents::numeric / t.redeemed)::bigint END,
        'by_store', (SELECT coalesce(json_agg(json_build_object(
                                'store', s.store_id, 'redeemed', s.n, 'revenue_cents', s.rev,
                                'discount_cents', s.disc) ORDER BY s.store_id), '[]'::json)
                       FROM (SELECT store_id, count(*) n, sum(basket_cents) rev,
                                    sum(discount_cents) disc
                               FROM live GROUP BY store_id) s),
        'by_day', (SELECT coalesce(json_agg(json_build_object(
                                'day', to_char(d.day, 'YYYY-MM-DD'), 'redeemed', d.n,
                                'revenue_cents', d.rev, 'discount_cents', d.disc)
                                ORDER BY d.day), '[]'::json)
                     FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) n,
                                  sum(basket_cents) rev, sum(discount_cents) disc
                             FROM live GROUP BY 1) d))
      FROM campaigns c, totals t
     WHERE c.id = p_campaign;
$$;
