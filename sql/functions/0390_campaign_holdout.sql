-- campaign_holdout(campaign): the response of a mailing's recipients against its holdout, as
-- counts (the service adds rates, lift and intervals), or NULL when the campaign has no
-- recipient list. A card responded when it bought anything in the response window (local days
-- in_home_date .. in_home_date + response_window_days - 1): an earn or a redemption (of any
-- campaign), neither voided. A card's revenue in the window is the larger of its earns'
-- baskets and its redemptions' baskets (each receipt once): a purchase at the till usually
-- books both, so adding them would count it twice.
-- Set-based (one join per source, not a subquery per card: a list has up to a million cards),
-- with the window computed once; no JIT (its compilation costs more than such a query).
CREATE OR REPLACE FUNCTION campaign_holdout(p_campaign bigint) RETURNS json
LANGUAGE sql STABLE SET jit = off AS $$
    WITH l AS (
        SELECT * FROM recipient_lists WHERE campaign_id = p_campaign AND done
    ), c AS (
        SELECT * FROM campaigns WHERE id = p_campaign
    ), win AS MATERIALIZED (
        SELECT local_midnight(c.in_home_date) AS lo,
               local_midnight(c.in_home_date + c.response_window_days) AS hi
          FROM c
    ), cards AS MATERIALIZED (
        SELECT false AS held, cp.card_serial
          FROM l JOIN coupon_batches b ON b.id = l.batch_id
          JOIN coupons cp ON cp.serial BETWEEN b.first_serial AND b.last_serial
                         AND cp.batch_id = b.id
        UNION ALL
        SELECT true, h.card_serial FROM l JOIN recipient_holdout h ON h.campaign_id = l.campaign_id
    ), earn AS (
        SELECT t.card_serial, sum(t.basket_cents) AS rev
          FROM cards k JOIN card_transactions t ON t.card_serial = k.card_serial, win
         WHERE t.kind = 'earn' AND t.created_at >= win.lo AND t.created_at < win.hi
           AND NOT EXISTS (SELECT 1 FROM card_transactions v WHERE v.voids = t.id)
         GROUP BY t.card_serial
    ), bought AS (
        SELECT x.card_serial, sum(x.basket) AS rev
          FROM (SELECT r.card_serial, max(r.basket_cents) AS basket
                  FROM cards k JOIN redemptions r ON r.card_serial = k.card_serial, win
                 WHERE r.created_at >= win.lo AND r.created_at < win.hi
                   AND NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)
                 -- each receipt once; a redemption without one alone (a space is in no receipt id)
                 GROUP BY r.card_serial, r.terminal, coalesce(r.receipt, r.id::text || ' ')) x
         GROUP BY x.card_serial
    ), g AS (
        SELECT k.held,
               count(*) FILTER (WHERE e.card_serial IS NOT NULL OR r.card_serial IS NOT NULL)
                   AS responders,
               coalesce(sum(greatest(coalesce(e.rev, 0), coalesce(r.rev, 0))), 0)::bigint
                   AS revenue
          FROM cards k
          LEFT JOIN earn e ON e.card_serial = k.card_serial
          LEFT JOIN bought r ON r.card_serial = k.card_serial
         GROUP BY k.held
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
