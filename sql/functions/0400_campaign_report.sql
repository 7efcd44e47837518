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
-- One pass over the redemptions, as index-only range scans of redemptions_campaign_figures, one
-- per local day: the day's window of time [its midnight, the next) holds exactly its
-- redemptions when the zone's UTC offset does not change within it, so no redemption's time is
-- converted to a local day (a day with a change, two a year, converts each one, as before).
-- Each window is aggregated into cells: per store the redemptions without a receipt id (each a
-- basket of its own), per store, terminal and receipt the others. Everything else comes from the
-- cells (a few per day and store, one per receipt): the receipts' baskets (a basket's store and
-- day are its least ones, as always), the days (each redemption on its own day), the curve
-- since the in-home date and the median day (the middle of the days' counts, as
-- percentile_cont(0.5) takes it: the mean of the two middle redemptions when their number is
-- even). The figures are the same, to the byte, as those of the per-redemption query this
-- replaced (checked in fifteen time zones, with DST changes at midnight among them).
-- Counter (issue 17): revenue and discount are net of partial returns (redemption_returned, a
-- few rows per campaign, read apart from the pass as cells that take back: a basket what was
-- returned of it, with several coupons on one receipt the most any of them had returned; the
-- discount the returns' shares); 'returns' sums them; 'discount_by_vat' sums the discount per
-- VAT rate of the redemptions that carried basket_by_vat (as redeemed: returns carry no VAT
-- split).
DROP FUNCTION IF EXISTS campaign_report(bigint);
CREATE OR REPLACE FUNCTION campaign_report(p_campaign bigint, p_from date, p_to date)
RETURNS SETOF json
LANGUAGE sql STABLE SET jit = off AS $$
    WITH c AS MATERIALIZED (
        SELECT campaigns.*, campaign_cost(campaigns) AS cost, campaign_state(campaigns) AS state,
               local_tz() AS zone,
               coalesce(p_from::timestamp AT TIME ZONE local_tz(), '-infinity') AS from_ts,
               coalesce((p_to + 1)::timestamp AT TIME ZONE local_tz(), 'infinity') AS to_ts
          FROM campaigns WHERE id = p_campaign
    ), span AS (
        SELECT (SELECT min(r.created_at) FROM redemptions r
                 WHERE r.campaign_id = c.id AND r.created_at >= c.from_ts
                   AND r.created_at < c.to_ts) AS lo,
               (SELECT max(r.created_at) FROM redemptions r
                 WHERE r.campaign_id = c.id AND r.created_at >= c.from_ts
                   AND r.created_at < c.to_ts) AS hi
          FROM c
    ), windows AS MATERIALIZED (
        -- the local days the redemptions span (and one more each side), each with its window
        -- of time; a window without a change of the zone's UTC offset holds exactly that day's
        -- redemptions (a day with a change is counted redemption by redemption)
        SELECT w.day, greatest(w.lo, c.from_ts) AS lo, least(w.hi, c.to_ts) AS hi,
               w.hi - w.lo = interval '24 hours'
                   AND (w.lo AT TIME ZONE c.zone) - (w.lo AT TIME ZONE 'UTC')
                       = ((w.hi - interval '1 microsecond') AT TIME ZONE c.zone)
                         - ((w.hi - interval '1 microsecond') AT TIME ZONE 'UTC') AS steady
          FROM c, span,
               LATERAL (SELECT g::date AS day, g::date::timestamp AT TIME ZONE c.zone AS lo,
                               (g::date + 1)::timestamp AT TIME ZONE c.zone AS hi
                          FROM generate_series((span.lo AT TIME ZONE c.zone)::date - 1,
                                               (span.hi AT TIME ZONE c.zone)::date + 1,
                                               interval '1 day') g) w
    ), cells AS MATERIALIZED (
        -- the one pass over the live redemptions, a window (an index range) at a time
        SELECT x.*
          FROM c, windows w CROSS JOIN LATERAL (
                SELECT CASE WHEN w.steady THEN w.day
                            ELSE (r.created_at AT TIME ZONE c.zone)::date END AS day,
                       r.store_id,
                       CASE WHEN r.receipt IS NOT NULL THEN r.terminal END AS terminal, r.receipt,
                       count(*) AS n, sum(r.basket_cents)::bigint AS basket_sum,
                       max(r.basket_cents) AS basket_max, sum(r.discount_cents)::bigint AS discount
                  FROM redemptions r
                 WHERE r.campaign_id = c.id AND r.created_at >= w.lo AND r.created_at < w.hi
                   AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
                 GROUP BY 1, 2, 3, 4) x
    ), returned AS MATERIALIZED (
        -- counter (issue 17): the live redemptions' partial returns, each on its redemption's
        -- cell, taking back revenue and discount (RMAX: what it had returned)
        SELECT (r.created_at AT TIME ZONE c.zone)::date AS day, r.store_id,
               CASE WHEN r.receipt IS NOT NULL THEN r.terminal END AS terminal, r.receipt,
               0::bigint AS n, -x.returned_cents AS basket_sum, NULL::bigint AS basket_max,
               -x.returned_discount_cents AS discount, x.returned_cents AS rmax,
               x.returns, r.id
          FROM c JOIN redemption_returned x ON x.campaign_id = c.id
          JOIN redemptions r ON r.id = x.redemption_id
         WHERE r.created_at >= c.from_ts AND r.created_at < c.to_ts
           AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
    ), net AS (
        SELECT day, store_id, terminal, receipt, n, basket_sum, basket_max, discount,
               NULL::bigint AS rmax
          FROM cells
        UNION ALL
        SELECT day, store_id, terminal, receipt, n, basket_sum, basket_max, discount, rmax
          FROM returned
    ), baskets AS MATERIALIZED (
        -- per store and day: redemptions, baskets, revenue (each basket once), discount
        SELECT store_id, day, sum(n) AS n, sum(baskets) AS baskets, sum(basket) AS basket,
               sum(discount) AS discount
          FROM (SELECT store_id, day, n, n AS baskets, basket_sum AS basket, discount
                  FROM net WHERE receipt IS NULL
                UNION ALL
                SELECT min(store_id), min(day), sum(n)::bigint, 1,
                       max(basket_max) - coalesce(max(rmax), 0), sum(discount)::bigint
                  FROM net WHERE receipt IS NOT NULL
                 GROUP BY terminal, receipt) b
         GROUP BY store_id, day
    ), days AS MATERIALIZED (
        -- per local day (and days since the in-home date): redemptions and their discount
        SELECT net.day, net.day - c.in_home_date AS d, sum(n)::bigint AS n,
               sum(discount) AS discount
          FROM net, c GROUP BY net.day, c.in_home_date
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
        -- coupons accepted offline that were not booked (redeemed elsewhere first, ...): never
        -- counted as redemptions, but their discount was given (issue 16)
        'offline_conflicts', k.n, 'offline_conflict_discount_cents', k.discount,
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
        'holdout', campaign_holdout(p_campaign),
        -- counter (issue 17)
        'returns', (SELECT json_build_object(
                            'returns', coalesce(sum(x.returns), 0),
                            'returned_cents', coalesce(sum(x.rmax), 0),
                            'discount_cents', coalesce(-sum(x.discount), 0))
                      FROM returned x),
        'discount_by_vat', (SELECT coalesce(json_object_agg(q.k, q.s ORDER BY q.k::integer),
                                            '{}'::json)
                              FROM (SELECT e.key AS k, sum(e.value::bigint) AS s
                                      FROM c JOIN redemption_vat v ON v.campaign_id = c.id
                                      JOIN redemptions r ON r.id = v.redemption_id,
                                           jsonb_each_text(v.discount_by_vat) e
                                     WHERE r.created_at >= c.from_ts AND r.created_at < c.to_ts
                                       AND NOT EXISTS (SELECT 1 FROM redemption_voids rv
                                                        WHERE rv.redemption_id = r.id)
                                     GROUP BY e.key) q))
      FROM f,
           (SELECT count(*) AS n, coalesce(sum(x.discount_cents), 0)::bigint AS discount
              FROM offline_conflicts x, c
             WHERE x.campaign_id = c.id AND x.offline_at >= c.from_ts
               AND x.offline_at < c.to_ts) k;
$$;
