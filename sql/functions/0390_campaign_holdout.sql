-- campaign_holdout(campaign): the response of a mailing's recipients against its holdout, as
-- counts (the service adds rates, lift and intervals), or NULL when the campaign has no
-- recipient list. A card responded when it bought anything in the response window (local days
-- in_home_date .. in_home_date + response_window_days - 1): an earn or a redemption (of any
-- campaign), neither voided. A card's revenue in the window is the larger of its earns'
-- baskets and its redemptions' baskets (each receipt once): a purchase at the till usually
-- books both, so adding them would count it twice.
CREATE OR REPLACE FUNCTION campaign_holdout(p_campaign bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH l AS (
        SELECT * FROM recipient_lists WHERE campaign_id = p_campaign AND done
    ), c AS (
        SELECT * FROM campaigns WHERE id = p_campaign
    ), win AS (
        SELECT local_midnight(c.in_home_date) AS lo,
               local_midnight(c.in_home_date + c.response_window_days) AS hi
          FROM c
    ), cards AS (
        SELECT false AS held, cp.card_serial
          FROM l JOIN coupon_batches b ON b.id = l.batch_id
          JOIN coupons cp ON cp.serial BETWEEN b.first_serial AND b.last_serial
                         AND cp.batch_id = b.id
        UNION ALL
        SELECT true, h.card_serial FROM l JOIN recipient_holdout h ON h.campaign_id = l.campaign_id
    ), per_card AS (
        SELECT k.held, (e.n + r.n) > 0 AS responded, greatest(e.rev, r.rev) AS revenue
          FROM cards k CROSS JOIN win
         CROSS JOIN LATERAL (
               SELECT count(*) AS n, coalesce(sum(t.basket_cents), 0) AS rev
                 FROM card_transactions t
                WHERE t.card_serial = k.card_serial AND t.kind = 'earn'
                  AND t.created_at >= win.lo AND t.created_at < win.hi
                  AND NOT EXISTS (SELECT 1 FROM card_transactions v WHERE v.voids = t.id)) e
         CROSS JOIN LATERAL (
               SELECT count(*) AS n, coalesce(sum(x.basket), 0) AS rev
                 FROM (SELECT max(r.basket_cents) AS basket
                         FROM redemptions r
                        WHERE r.card_serial = k.card_serial
                          AND r.created_at >= win.lo AND r.created_at < win.hi
                          AND NOT EXISTS (SELECT 1 FROM redemption_voids v
                                           WHERE v.redemption_id = r.id)
                        GROUP BY r.terminal, r.receipt,
                                 CASE WHEN r.receipt IS NULL THEN r.id END) x) r
    ), g AS (
        SELECT held, count(*) FILTER (WHERE responded) AS responders,
               coalesce(sum(revenue), 0)::bigint AS revenue
          FROM per_card GROUP BY held
    )
    SELECT json_build_object(
        'recipients', l.recipients, 'holdout_pct', l.holdout_pct,
        'window_from', to_char(c.in_home_date, 'YYYY-MM-DD'),
        'window_to', to_char(c.in_home_date + c.response_window_days - 1, 'YYYY-MM-DD'),
        'mailed', json_build_object(
            'cards', l.recipients - l.holdout,
            'responders', coalesce((SELECT responders FROM g WHERE NOT held), 0),
            'revenue_cents', coalesce((SELECT revenue FROM g WHERE NOT held), 0)),
        'held_out', json_build_object(
            'cards', l.holdout,
            'responders', coalesce((SELECT responders FROM g WHERE held), 0),
            'revenue_cents', coalesce((SELECT revenue FROM g WHERE held), 0)))
      FROM l, c;
$$;
