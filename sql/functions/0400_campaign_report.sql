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
-- One pass over the redemptions (an index-only scan of redemptions_campaign_figures) into
-- cells: per local day and store, the redemptions without a receipt id (each a basket of its
-- own), and per day, store, terminal and receipt the others. Everything else is computed from
-- the cells (a few per day and store, one per receipt): the receipts' baskets (a basket's store
-- and day are its least ones, as they always were), the days (each redemption on its own day),
-- the curve since the in-home date and the median day (the middle of the days' counts, as
-- percentile_cont(0.5) takes it: the mean of the two middle redemptions when their number is
-- even).
DROP FUNCTION IF EXISTS campaign_report(bigint);
CREATE OR REPLACE FUNCTION campaign_report(p_campaign bigint, p_from date, p_to date)
RETURNS SETOF json
LANGUAGE sql STABLE SET jit = off AS $$
    WITH c AS MATERIALIZED (
        SELECT campaigns.*, campaign_cost(campaigns) AS cost, campaign_state(campaigns) AS state,
               local_tz() AS zone
          FROM campaigns WHERE id = p_campaign
    ), cells AS MATERIALIZED (
        -- the one pass over the live redemptions
        SELECT (r.created_at AT TIME ZONE c.zone)::date AS day, r.store_id,
               CASE WHEN r.receipt IS NOT NULL THEN r.terminal END AS terminal, r.receipt,
               count(*) AS n, sum(r.basket_cents)::bigint AS basket_sum,
               max(r.basket_cents) AS basket_max, sum(r.discount_cents)::bigint AS discount
          FROM c JOIN redemptions r ON r.campaign_id = c.id
         WHERE r.created_at >= coalesce(p_from::timestamp AT TIME ZONE c.zone, '-infinity')
           AND r.created_at < coalesce((p_to + 1)::timestamp AT TIME ZONE c.zone, 'infinity')
           AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
         GROUP BY 1, 2, 3, 4
    ), baskets AS MATERIALIZED (
        -- per store and day: redemptions, baskets, revenue (each basket once), discount
        SELECT store_id, day, sum(n) AS n, sum(baskets) AS baskets, sum(basket) AS basket,
               sum(discount) AS discount
          FROM (SELECT store_id, day, n, n AS baskets, basket_sum AS basket, discount
                  FROM cells WHERE receipt IS NULL
                UNION ALL
                SELECT min(store_id), min(day), sum(n)::bigint, 1, max(basket_max),
                       sum(discount)::bigint
                  FROM cells WHERE receipt IS NOT NULL
                 GROUP BY terminal, receipt) b
         GROUP BY store_id, day
    ), days AS MATERIALIZED (
        -- per local day (and days since the in-home date): redemptions and their discount
        SELECT cells.day, cells.day - c.in_home_date AS d, sum(n)::bigint AS n,
               sum(discount) AS discount
          FROM cells, c GROUP BY cells.day, c.in_home_date
    ), totals AS (
        SELECT coalesce(sum(n), 0)::bigint AS redeemed,
               coalesce(sum(baskets), 0)::bigint AS baskets,
               coalesce(sum(basket), 0)::bigint AS revenue,
               coalesce(sum(discount), 0)::bigint AS discount
          FROM baskets
    ), curve AS (
        SELECT g.d, coalesce(days.n, 0) AS n,
               sum(coalesce(days.n, 0)) OVER (ORDER BY g.d) AS cum
          FROM (SELECT generate_series(least(min(d), 0), max(d)) AS d FROM days) g
          LEFT JOIN days ON days.d = g.d
    ), median AS (
        -- the redemptions at 0-based positions (N - 1) / 2 and N / 2 in day order, and the
        -- fraction between them (0 or 0.5), as percentile_cont(0.5) interpolates
        SELECT CASE WHEN t.redeemed > 0
                    THEN lo.d::float8 + (hi.d - lo.d)::float8
                                        * ((t.redeemed - 1) * 0.5 - (t.redeemed - 1) / 2)::float8
               END AS days
          FROM totals t
          LEFT JOIN LATERAL (SELECT min(curve.d) AS d FROM curve
                              WHERE curve.cum > (t.redeemed - 1) / 2) lo ON true
          LEFT JOIN LATERAL (SELECT min(curve.d) AS d FROM curve
                              WHERE curve.cum > t.redeemed / 2) hi ON true
    ), f AS (
        SELECT c.*, t.*,
               CASE WHEN t.redeemed > 0 THEN t.revenue::numeric / t.redeemed END AS avg_basket,
               CASE WHEN t.redeemed > 0 THEN t.discount::numeric / t.redeemed END AS avg_discount
          FROM c, totals t
    )
    SELECT json_build_object(
        'campaign_id', f.id, 'name', f.name, 'channel', f.channel, 'state', f.state,
        'time_zone', f.zone,
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
        'median_days_to_redeem', (SELECT days FROM median),
        'by_store', (SELECT coalesce(json_agg(json_build_object(
                                'store', s.store_id, 'redeemed', s.n, 'revenue_cents', s.rev,
                                'discount_cents', s.disc) ORDER BY s.store_id), '[]'::json)
                       FROM (SELECT store_id, sum(n) n, sum(basket) rev, sum(discount) disc
                               FROM baskets GROUP BY store_id) s),
        -- a redemption counts on its day; a basket's revenue on the day of its first coupon
        'by_day', (SELECT coalesce(json_agg(json_build_object(
                                'day', to_char(d.day, 'YYYY-MM-DD'), 'redeemed', d.n,
                                'revenue_cents', coalesce(b.rev, 0), 'discount_cents', d.discount)
                                ORDER BY d.day), '[]'::json)
                     FROM days d
                     LEFT JOIN (SELECT day, sum(basket) rev FROM baskets GROUP BY day) b
                       ON b.day = d.day),
        'by_days_since_drop', (SELECT coalesce(json_agg(json_build_object(
                                'day', curve.d, 'redeemed', curve.n,
                                'cumulative_share', round(curve.cum / f.redeemed, 6))
                                ORDER BY curve.d), '[]'::json)
                                 FROM curve),
        'holdout', campaign_holdout(p_campaign))
      FROM f;
$$;
