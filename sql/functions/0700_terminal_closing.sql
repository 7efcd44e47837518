-- terminal_keys(name): the idempotency scopes ("<store>/<name>") under which a terminal of that
-- certificate name booked anything, found by a skip scan over the (terminal, txn_id) indexes
-- (a few probes per terminal, not a scan of the tables). For an admin's closing.
CREATE OR REPLACE FUNCTION terminal_keys(p_name text) RETURNS text[]
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE r AS (
        (SELECT terminal FROM redemptions ORDER BY terminal LIMIT 1)
        UNION ALL
        SELECT (SELECT x.terminal FROM redemptions x WHERE x.terminal > r.terminal
                 ORDER BY x.terminal LIMIT 1)
          FROM r WHERE r.terminal IS NOT NULL
    ), k AS (
        (SELECT terminal FROM card_transactions WHERE terminal IS NOT NULL
          ORDER BY terminal LIMIT 1)
        UNION ALL
        SELECT (SELECT x.terminal FROM card_transactions x WHERE x.terminal > k.terminal
                 ORDER BY x.terminal LIMIT 1)
          FROM k WHERE k.terminal IS NOT NULL
    ), v AS (
        (SELECT terminal FROM redemption_voids ORDER BY terminal LIMIT 1)
        UNION ALL
        SELECT (SELECT x.terminal FROM redemption_voids x WHERE x.terminal > v.terminal
                 ORDER BY x.terminal LIMIT 1)
          FROM v WHERE v.terminal IS NOT NULL
    ), o AS (
        SELECT DISTINCT terminal FROM offline_conflicts
    ), all_keys AS (
        SELECT terminal FROM r UNION SELECT terminal FROM k UNION SELECT terminal FROM v
        UNION SELECT terminal FROM o
    )
    SELECT coalesce(array_agg(terminal ORDER BY terminal), '{}')
      FROM all_keys
     WHERE terminal IS NOT NULL
       AND substr(terminal, strpos(terminal, '/') + 1) = p_name;
$$;

-- terminal_closing(keys, day): a till's day closing for the local business day DAY in the
-- retailer's time zone (local_tz()), over everything booked under the idempotency scopes KEYS:
-- the redemptions booked that day (online, and offline ones on their offline time; voided or
-- not) and of them those made offline, the voids made that day (with the discount of what they
-- voided), the offline conflicts of coupons accepted offline that day, each as a count and a sum
-- of discounts, in all and by campaign; the points earned and burned and the card voids; and
-- the SHA-256 of the sorted lines "<what> <txn_id>\n" (what: redeem, void, conflict, earn, burn,
-- card_void) that a till computes from its own journal the same way. FROM and TO are the day's
-- bounds as instants (a day of 23 or 25 hours across a daylight-saving change).
-- DISCOUNT_BY_VAT (issue 17): the discount per VAT rate (DSFinV-K keys) of that day's
-- redemptions that carried basket_by_vat, and of the redemptions voided that day, for the
-- till's tax export.
CREATE OR REPLACE FUNCTION terminal_closing(p_keys text[], p_day date) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    tz text := local_tz();
    t0 timestamptz := p_day::timestamp AT TIME ZONE tz;
    t1 timestamptz := (p_day + 1)::timestamp AT TIME ZONE tz;
    result json;
BEGIN
    WITH red AS (
        SELECT r.id, r.txn_id, r.campaign_id, r.discount_cents, r.synced_at IS NOT NULL AS offline
          FROM redemptions r
         WHERE r.terminal = ANY (p_keys) AND r.created_at >= t0 AND r.created_at < t1
    ), voi AS (
        SELECT v.txn_id, r.campaign_id, r.discount_cents, r.id
          FROM redemption_voids v JOIN redemptions r ON r.id = v.redemption_id
         WHERE v.terminal = ANY (p_keys) AND v.created_at >= t0 AND v.created_at < t1
    ), con AS (
        SELECT c.txn_id, c.campaign_id, c.discount_cents
          FROM offline_conflicts c
         WHERE c.terminal = ANY (p_keys) AND c.offline_at >= t0 AND c.offline_at < t1
    ), pts AS (
        SELECT x.txn_id, x.kind, x.points
          FROM card_transactions x
         WHERE x.terminal = ANY (p_keys) AND x.kind IN ('earn', 'burn', 'void')
           AND x.created_at >= t0 AND x.created_at < t1
    ), camps AS (
        SELECT campaign_id FROM red UNION SELECT campaign_id FROM voi
        UNION SELECT campaign_id FROM con
    ), lines AS (
        SELECT 'redeem ' || txn_id AS line FROM red
        UNION ALL SELECT 'void ' || txn_id FROM voi
        UNION ALL SELECT 'conflict ' || txn_id FROM con
        UNION ALL SELECT CASE kind WHEN 'void' THEN 'card_void' ELSE kind END || ' ' || txn_id
                    FROM pts
    )
    SELECT json_build_object(
        'day', to_char(p_day, 'YYYY-MM-DD'), 'time_zone', tz,
        'from', rfc3339(t0), 'to', rfc3339(t1),
        'redemptions', (SELECT json_build_object('count', count(*),
                                                 'discount_cents', coalesce(sum(discount_cents), 0))
                          FROM red),
        'voids', (SELECT json_build_object('count', count(*),
                                           'discount_cents', coalesce(sum(discount_cents), 0))
                    FROM voi),
        'offline', (SELECT json_build_object('count', count(*),
                                             'discount_cents', coalesce(sum(discount_cents), 0))
                      FROM red WHERE offline),
        'offline_conflicts', (SELECT json_build_object('count', count(*), 'discount_cents',
                                                       coalesce(sum(discount_cents), 0))
                                FROM con),
        'points', (SELECT json_build_object(
                       'earns', count(*) FILTER (WHERE kind = 'earn'),
                       'earned', coalesce(sum(points) FILTER (WHERE kind = 'earn'), 0),
                       'burns', count(*) FILTER (WHERE kind = 'burn'),
                       'burned', coalesce(-sum(points) FILTER (WHERE kind = 'burn'), 0),
                       'card_voids', count(*) FILTER (WHERE kind = 'void'),
                       'card_void_points', coalesce(sum(points) FILTER (WHERE kind = 'void'), 0))
                     FROM pts),
        -- By campaign: each CTE aggregated once per campaign and joined on the campaign list
        -- (not a correlated subquery per campaign and figure over the CTEs, which have no
        -- index: that is campaigns x rows x 8 and took seconds on a busy till's day).
        'by_campaign', (SELECT coalesce(json_agg(json_build_object(
                'campaign_id', k.campaign_id,
                'redemptions', coalesce(r.n, 0),
                'redemption_discount_cents', coalesce(r.cents, 0),
                'voids', coalesce(v.n, 0),
                'void_discount_cents', coalesce(v.cents, 0),
                'offline', coalesce(r.offline_n, 0),
                'offline_discount_cents', coalesce(r.offline_cents, 0),
                'offline_conflicts', coalesce(c.n, 0),
                'offline_conflict_discount_cents', coalesce(c.cents, 0))
                ORDER BY k.campaign_id), '[]'::json)
            FROM camps k
            LEFT JOIN (SELECT campaign_id, count(*) AS n, sum(discount_cents) AS cents,
                              count(*) FILTER (WHERE offline) AS offline_n,
                              sum(discount_cents) FILTER (WHERE offline) AS offline_cents
                         FROM red GROUP BY campaign_id) r ON r.campaign_id = k.campaign_id
            LEFT JOIN (SELECT campaign_id, count(*) AS n, sum(discount_cents) AS cents
                         FROM voi GROUP BY campaign_id) v ON v.campaign_id = k.campaign_id
            LEFT JOIN (SELECT campaign_id, count(*) AS n, sum(discount_cents) AS cents
                         FROM con GROUP BY campaign_id) c ON c.campaign_id = k.campaign_id),
        'discount_by_vat', json_build_object(
            'redemptions', (SELECT coalesce(json_object_agg(q.k, q.s ORDER BY q.k::integer),
                                            '{}'::json)
                              FROM (SELECT e.key AS k, sum(e.value::bigint) AS s
                                      FROM red JOIN redemption_vat x ON x.redemption_id = red.id,
                                           jsonb_each_text(x.discount_by_vat) e
                                     GROUP BY e.key) q),
            'voids', (SELECT coalesce(json_object_agg(q.k, q.s ORDER BY q.k::integer), '{}'::json)
                        FROM (SELECT e.key AS k, sum(e.value::bigint) AS s
                                FROM voi JOIN redemption_vat x ON x.redemption_id = voi.id,
                                     jsonb_each_text(x.discount_by_vat) e
                               GROUP BY e.key) q)),
        'txn_ids', (SELECT json_build_object(
                        'count', count(*),
                        'sha256', encode(sha256(convert_to(coalesce(
                            string_agg(line || E'\n', '' ORDER BY line COLLATE "C"), ''),
                            'UTF8')), 'hex'))
                      FROM lines))
      INTO result;
    RETURN result;
END;
$$;
