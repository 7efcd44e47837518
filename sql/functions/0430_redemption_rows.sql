-- campaign_redemption_rows(campaign, from, to): every redemption of a campaign made on local
-- days FROM..TO (NULL: open), voided ones too (with when), oldest first: the rows of
-- GET /v1/campaigns/{id}/redemptions.csv, streamed through a cursor (an inlinable SQL function,
-- so rows flow as they are read). code and card are serials; the service writes their short
-- forms.
CREATE OR REPLACE FUNCTION campaign_redemption_rows(p_campaign bigint, p_from date, p_to date)
RETURNS TABLE (id bigint, redeemed_at text, day text, store integer, terminal text, code bigint,
               card bigint, basket_cents bigint, discount_cents bigint, points bigint,
               receipt text, voided_at text)
LANGUAGE sql STABLE AS $$
    SELECT r.id, rfc3339(r.created_at),
           to_char((r.created_at AT TIME ZONE local_tz())::date, 'YYYY-MM-DD'),
           r.store_id, r.terminal, r.coupon_serial, r.card_serial, r.basket_cents,
           r.discount_cents, r.points, r.receipt, rfc3339(v.created_at)
      FROM redemptions r
      LEFT JOIN redemption_voids v ON v.redemption_id = r.id
     WHERE r.campaign_id = p_campaign
       AND r.created_at >= coalesce(local_midnight(p_from), '-infinity')
       AND r.created_at < coalesce(local_midnight(p_to + 1), 'infinity')
     ORDER BY r.created_at, r.id;
$$;
