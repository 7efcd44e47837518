-- campaign_report(id, from, to): the marketer's figures for one campaign, voids counted out,
-- for the redemptions made on local days FROM..TO (inclusive; NULL: open). Days are local days
-- of the retailer's time zone (settings.time_zone). A basket (a terminal's receipt; without a
-- receipt id each redemption is one) counts its revenue once. Figures (besides the report's
-- first ones): pieces (coupons issued), cost_cents (cost plus fixed cost),
-- cost_per_response_cents, average_basket_cents, break_even_response_rate = (cost / pieces) /
-- (average basket x margin - average discount) (null where undefined: no pieces, no
-- redemption, no margin, or no profit per response), by_days_since_drop (days after the in-home
-- date, gaps filled, with the cumulative share), median_days_to_redeem, and the recipient
-- list's holdout counts (campaign_holdout; the service adds the statistics). No row when the
-- campaign does not exist. No JIT: compiling costs more than such a query takes.
-- Counter (issue 17): revenue and discount are net of partial returns (redemption_returned:
-- a basket counts what was not returned; with several coupons on one receipt, the most any of
-- them had returned); 'returns' sums them; 'discount_by_vat' sums the discount per VAT rate of
-- the redemptions that carried basket_by_vat (as redeemed: returns carry no VAT split).
DROP FUNCTION IF EXISTS campaign_report(bigint);
CREATE OR REPLACE FUNCTION campaign_report(p_campaign bigint, p_from date, p_to date)
RETURNS SETOF json
LANGUAGE sql STABLE SET jit = off AS $$
    WITH tz AS (
        SELECT local_tz() AS zone
    ), live AS MATERIALIZED (
        SELECT r.id, r.store_id, r.terminal, r.receipt,
               r.basket_cents - coalesce(x.returned_cents, 0) AS basket_cents,
               r.discount_cents - coalesce(x.returned_discount_cents, 0) AS discount_cents,
               (r.created_at AT TIME ZONE tz.zone)::date AS day,
               x.returned_cents, x.returned_discount_cents, x.returns -- counter
          FROM redemptions r
          -- counter: net of returns
          LEFT JOIN (SELECT * FROM redemption_returned WHERE campaign_id = p_campaign) x
                 ON x.redemption_id = r.id, tz
         WHERE r.campaign_id = p_campaign
           AND r.created_at >= coalesce(p_from::timestamp AT TIME ZONE tz.zone, '-infinity')
           AND r.created_at < coalesce((p_to + 1)::timestamp AT TIME ZONE tz.zone, 'infinity')
           AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
    ), baskets AS MATERIALIZED (
        -- a redemption without a receipt id is a basket of its own: only the others are grouped
        SELECT store_id, day, 1::bigint AS n, basket_cents AS basket, discount_cents AS discount
          FROM live WHERE receipt IS NULL
        UNION ALL
        SELECT min(store_id), min(day), count(*), min(basket_cents), sum(discount_cents)
          FROM live WHERE receipt IS NOT NULL
         GROUP BY terminal, receipt
    ), totals AS (
        SELECT coalesce(sum(n), 0)::bigint AS redeemed, count(*) AS baskets,
               coalesce(sum(basket), 0)::bigint AS revenue,
               coalesce(sum(discount), 0)::bigint AS discount
          FROM baskets
    ), c AS (
        SELECT campaigns.*, campaign_cost(campaigns) AS cost, campaign_state(campaigns) AS state
          FROM campaigns WHERE id = p_campaign
    ), since AS (
        SELECT live.day - c.in_home_date AS d, count(*) AS n FROM live, c GROUP BY 1
    ), curve AS (
        SELECT g.d, coalesce(since.n, 0) AS n,
               sum(coalesce(since.n, 0)) OVER (ORDER BY g.d) AS cum
          FROM (SELECT generate_series(least(min(d), 0), max(d)) AS d FROM since) g
          LEFT JOIN since ON since.d = g.d
    ), f AS (
        SELECT c.*, t.*,
               CASE WHEN t.redeemed > 0 THEN t.revenue::numeric / t.redeemed END AS avg_basket,
               CASE WHEN t.redeemed > 0 THEN t.discount::numeric / t.redeemed END AS avg_discount
          FROM c, totals t
    )
    SELECT json_build_object(
        'campaign_id', f.id, 'name', f.name, 'channel', f.channel, 'state', f.state,
        'time_zone', (SELECT zone FROM tz),
        'from', to_char(p_from, 'YYYY-MM-DD'), 'to', to_char(p_to, 'YYYY-MM-DD'),
        'in_home_date', to_char(f.in_home_date, 'YYYY-MM-DD'),
        'response_window_days', f.response_window_days,
        'gross_margin_pct', f.gross_margin_pct,
        'issued', f.issued, 'pieces', f.issued,
        'redeemed', f.redeemed, 'baskets', f.baskets,
        'redemption_rate', CASE WHEN f.issued > 0 THEN round(f.redeemed::numeric / f.issued, 6) END,
        'response_rate', CASE WHEN f.issued > 0 THEN round(f.redeemed::numeric / f.issued, 6) END,
        'revenue_cents', f.revenue,
        'discount_cents', f.discount,
        'cost_cents', f.cost,
        'roas', CASE WHEN f.cost > 0 THEN round(f.revenue::numeric / f.cost, 4) END,
        'cost_per_redemption_cents', CASE WHEN f.redeemed > 0
                                          THEN round(f.cost::numeric / f.redeemed)::bigint END,
        'cost_per_response_cents', CASE WHEN f.redeemed > 0
                                        THEN round(f.cost::numeric / f.redeemed)::bigint END,
        'average_basket_cents', round(f.avg_basket)::bigint,
        'break_even_response_rate',
            CASE WHEN f.issued > 0 AND f.gross_margin_pct IS NOT NULL
                      AND f.avg_basket * f.gross_margin_pct / 100 - f.avg_discount > 0
                 THEN round((f.cost::numeric / f.issued)
                            / (f.avg_basket * f.gross_margin_pct / 100 - f.avg_discount), 6) END,
        'median_days_to_redeem',
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY live.day - f.in_home_date)
               FROM live),
        'by_store', (SELECT coalesce(json_agg(json_build_object(
                                'store', s.store_id, 'redeemed', s.n, 'revenue_cents', s.rev,
                                'discount_cents', s.disc) ORDER BY s.store_id), '[]'::json)
                       FROM (SELECT store_id, sum(n) n, sum(basket) rev, sum(discount) disc
                               FROM baskets GROUP BY store_id) s),
        -- a redemption counts on its day; a basket's revenue on the day of its first coupon
        'by_day', (SELECT coalesce(json_agg(json_build_object(
                                'day', to_char(d.day, 'YYYY-MM-DD'), 'redeemed', d.n,
                                'revenue_cents', coalesce(b.rev, 0), 'discount_cents', d.disc)
                                ORDER BY d.day), '[]'::json)
                     FROM (SELECT day, count(*) n, sum(discount_cents) disc
                             FROM live GROUP BY day) d
                     LEFT JOIN (SELECT day, sum(basket) rev FROM baskets GROUP BY day) b
                       ON b.day = d.day),
        'by_days_since_drop', (SELECT coalesce(json_agg(json_build_object(
                                'day', curve.d, 'redeemed', curve.n,
                                'cumulative_share', round(curve.cum / f.redeemed, 6))
                                ORDER BY curve.d), '[]'::json)
                                 FROM curve),
        'holdout', campaign_holdout(p_campaign),
        -- counter (issue 17)
        'returns', (SELECT json_build_object(
                            'returns', coalesce(sum(live.returns), 0),
                            'returned_cents', coalesce(sum(live.returned_cents), 0),
                            'discount_cents', coalesce(sum(live.returned_discount_cents), 0))
                      FROM live),
        'discount_by_vat', (SELECT coalesce(json_object_agg(q.k, q.s ORDER BY q.k::integer),
                                            '{}'::json)
                              FROM (SELECT e.key AS k, sum(e.value::bigint) AS s
                                      FROM live JOIN redemption_vat v ON v.redemption_id = live.id,
                                           jsonb_each_text(v.discount_by_vat) e
                                     GROUP BY e.key) q))
      FROM f;
$$;
