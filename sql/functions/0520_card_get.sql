-- card_get(serial): one card as the API shows it, or no row: its spendable balance (points
-- whose expiry has come count no more, even before the expiry run books them out) and
-- its points by expiry, closest first (at most 20 dates).
CREATE OR REPLACE FUNCTION card_get(p_serial bigint) RETURNS SETOF json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'balance', c.balance - coalesce((SELECT sum(l.remaining) FROM card_lots l
                                          WHERE l.card_serial = c.serial AND l.remaining > 0
                                            AND l.expires_at <= now()), 0),
        'created_at', rfc3339(c.created_at),
        'expiring', coalesce((SELECT json_agg(json_build_object('points', e.points,
                                                                'expires_at', rfc3339(e.at))
                                              ORDER BY e.at)
                                FROM (SELECT l.expires_at AS at, sum(l.remaining) AS points
                                        FROM card_lots l
                                       WHERE l.card_serial = c.serial AND l.remaining > 0
                                         AND l.expires_at > now()
                                       GROUP BY l.expires_at ORDER BY l.expires_at
                                       LIMIT 20) e),
                             '[]'::json))
      FROM cards c
     WHERE c.serial = p_serial;
$$;
