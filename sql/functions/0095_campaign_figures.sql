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
-- basket's revenue counts once however many of the campaign's coupons it carried. Counter
-- (issue 17): net of partial returns, as campaign_report() counts them.
CREATE OR REPLACE FUNCTION campaign_totals(p_campaign bigint, p_from timestamptz,
                                           p_to timestamptz,
                                           OUT redeemed bigint, OUT baskets bigint,
                                           OUT revenue_cents bigint, OUT discount_cents bigint)
LANGUAGE sql STABLE AS $$
    WITH live AS MATERIALIZED (
        SELECT r.terminal, r.receipt,
               r.basket_cents - coalesce(x.returned_cents, 0) AS basket_cents,
               r.discount_cents - coalesce(x.returned_discount_cents, 0) AS discount_cents
          FROM redemptions r
          LEFT JOIN (SELECT * FROM redemption_returned WHERE campaign_id = p_campaign) x
                 ON x.redemption_id = r.id -- counter: net of returns
         WHERE r.campaign_id = p_campaign AND r.created_at >= p_from AND r.created_at < p_to
           AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
    )
    SELECT coalesce(sum(b.n), 0)::bigint, count(*), coalesce(sum(b.basket), 0)::bigint,
           coalesce(sum(b.discount), 0)::bigint
      FROM (SELECT 1::bigint AS n, basket_cents AS basket, discount_cents AS discount
              FROM live WHERE receipt IS NULL
            UNION ALL
            SELECT count(*), min(basket_cents), sum(discount_cents)
              FROM live WHERE receipt IS NOT NULL
             GROUP BY terminal, receipt) b;
$$;

-- campaign_cost(c): everything the campaign cost: its cost plus its fixed cost.
CREATE OR REPLACE FUNCTION campaign_cost(c campaigns) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT c.cost_cents + coalesce(c.fixed_cost_cents, 0);
$$;
