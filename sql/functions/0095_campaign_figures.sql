-- A campaign's state and its headline figures, shared by the campaign JSON (list, get) and
-- the report.

-- campaign_state(c): scheduled, running, paused, ended or exhausted, now.
CREATE OR REPLACE FUNCTION campaign_state(c campaigns) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.ended_at IS NOT NULL OR now() >= c.ends_at THEN 'ended'
                WHEN c.max_redemptions IS NOT NULL AND c.limited_uses >= c.max_redemptions
                    THEN 'exhausted'
                WHEN c.paused_at IS NOT NULL THEN 'paused'
                WHEN now() < c.starts_at THEN 'scheduled'
                ELSE 'running' END;
$$;

-- campaign_totals(campaign, from, to): the live (not voided) redemptions made in [FROM, TO):
-- how many, in how many baskets, their revenue and discount. A basket is a receipt of a
-- terminal (the till's receipt id); a redemption without one is a basket of its own. A
-- basket's revenue counts once however many of the campaign's coupons it carried.
-- One pass over the campaign's entries of redemptions_campaign_figures (an index-only scan):
-- the redemptions without a receipt id form one group (each is a basket: their count and sum),
-- the others one group per terminal and receipt (one basket: its largest basket amount). No JIT
-- (compiling costs more than the query).
-- Counter (issue 17): net of partial returns (redemption_returned, a few rows per campaign):
-- a basket loses what was returned of it (a receipt's, what its coupon with the most returned
-- had returned), the discount each return's share of it.
CREATE OR REPLACE FUNCTION campaign_totals(p_campaign bigint, p_from timestamptz,
                                           p_to timestamptz,
                                           OUT redeemed bigint, OUT baskets bigint,
                                           OUT revenue_cents bigint, OUT discount_cents bigint)
LANGUAGE sql STABLE SET jit = off AS $$
    WITH ret AS (
        -- counter (issue 17): what the live redemptions' returns take back
        SELECT coalesce(sum(q.revenue), 0)::bigint AS revenue,
               coalesce(sum(q.discount), 0)::bigint AS discount
          FROM (SELECT CASE WHEN r.receipt IS NULL THEN sum(x.returned_cents)
                            ELSE max(x.returned_cents) END AS revenue,
                       sum(x.returned_discount_cents) AS discount
                  FROM redemption_returned x JOIN redemptions r ON r.id = x.redemption_id
                 WHERE x.campaign_id = p_campaign AND r.created_at >= p_from
                   AND r.created_at < p_to
                   AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
                 GROUP BY CASE WHEN r.receipt IS NOT NULL THEN r.terminal END, r.receipt) q
    )
    SELECT coalesce(sum(g.n), 0)::bigint, coalesce(sum(g.baskets), 0)::bigint,
           coalesce(sum(g.revenue), 0)::bigint - (SELECT revenue FROM ret),
           coalesce(sum(g.discount), 0)::bigint - (SELECT discount FROM ret)
      FROM (SELECT count(*) AS n,
                   CASE WHEN r.receipt IS NULL THEN count(*) ELSE 1 END AS baskets,
                   CASE WHEN r.receipt IS NULL THEN sum(r.basket_cents)
                        ELSE max(r.basket_cents) END AS revenue,
                   sum(r.discount_cents) AS discount
              FROM redemptions r
             WHERE r.campaign_id = p_campaign AND r.created_at >= p_from AND r.created_at < p_to
               AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
             GROUP BY CASE WHEN r.receipt IS NOT NULL THEN r.terminal END, r.receipt) g;
$$;

-- campaign_cost(c): everything the campaign cost: its cost plus its fixed cost.
CREATE OR REPLACE FUNCTION campaign_cost(c campaigns) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT c.cost_cents + coalesce(c.fixed_cost_cents, 0);
$$;
