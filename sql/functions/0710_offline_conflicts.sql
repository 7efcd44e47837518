-- offline_conflict_list(campaign, after, limit): the offline conflicts for a person to decide,
-- oldest first, LIMIT after id AFTER (all campaigns when CAMPAIGN is NULL): the coupon, its
-- campaign and why the service did not book it, the till that accepted it offline (store,
-- terminal, txn id, offline time, when it arrived, basket and the discount the customer got),
-- and the redemption that was there first (store, terminal, txn id, time, discount; null when
-- the reason was not an earlier redemption). next_after pages on (null at the end).
CREATE OR REPLACE FUNCTION offline_conflict_list(p_campaign bigint, p_after bigint,
                                                 p_limit integer)
RETURNS json
LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT c.* FROM offline_conflicts c
         WHERE (p_campaign IS NULL OR c.campaign_id = p_campaign) AND c.id > p_after
         ORDER BY c.id
         LIMIT p_limit + 1
    )
    SELECT json_build_object(
        'conflicts', coalesce((SELECT json_agg(json_build_object(
            'id', p.id, 'coupon_serial', p.coupon_serial, 'campaign_id', p.campaign_id,
            'reason', p.reason,
            'offline', json_build_object(
                'store', p.store_id,
                'terminal', substr(p.terminal, strpos(p.terminal, '/') + 1),
                'txn_id', p.txn_id, 'offline_at', rfc3339(p.offline_at),
                'synced_at', rfc3339(p.synced_at), 'basket_cents', p.basket_cents,
                'discount_cents', p.discount_cents),
            'first', (SELECT json_build_object(
                          'redemption_id', r.id, 'store', r.store_id,
                          'terminal', substr(r.terminal, strpos(r.terminal, '/') + 1),
                          'txn_id', r.txn_id, 'redeemed_at', rfc3339(r.created_at),
                          'offline', r.synced_at IS NOT NULL,
                          'basket_cents', r.basket_cents, 'discount_cents', r.discount_cents)
                        FROM redemptions r WHERE r.id = p.redemption_id))
            ORDER BY p.id)
            FROM (SELECT * FROM page ORDER BY id LIMIT p_limit) p), '[]'::json),
        'next_after', (SELECT CASE WHEN count(*) > p_limit
                                   THEN (SELECT id FROM page ORDER BY id LIMIT 1 OFFSET p_limit - 1)
                              END
                         FROM page));
$$;
