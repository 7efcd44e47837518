-- coupon_get(serial): one coupon's state as JSON (without its code forms, which the
-- service derives), with its last live redemption, or no row.
CREATE OR REPLACE FUNCTION coupon_get(p_serial bigint) RETURNS SETOF json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'campaign_id', cp.campaign_id,
        'state', CASE WHEN cp.uses >= cp.max_uses THEN 'redeemed' ELSE 'issued' END,
        'uses', cp.uses, 'max_uses', cp.max_uses,
        'issued_at', rfc3339(b.issued_at),
        'card_serial', cp.card_serial,
        'redemption', (SELECT json_build_object('id', r.id, 'redeemed_at', rfc3339(r.created_at),
                               'store', r.store_id, 'terminal', r.terminal,
                               'basket_cents', r.basket_cents,
                               'discount_cents', r.discount_cents)
                         FROM redemptions r
                        WHERE r.coupon_serial = cp.serial
                          AND NOT EXISTS (SELECT 1 FROM redemption_voids v
                                           WHERE v.redemption_id = r.id)
                        ORDER BY r.id DESC LIMIT 1))
      FROM coupons cp JOIN coupon_batches b ON b.id = cp.batch_id
     WHERE cp.serial = p_serial;
$$;
