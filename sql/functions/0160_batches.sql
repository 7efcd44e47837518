-- A campaign's batches (one per issue call) for the console, and voiding a batch.

-- batch_json(b): one batch with whether it was voided and where its coupons download.
CREATE OR REPLACE FUNCTION batch_json(b coupon_batches) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', b.id, 'campaign_id', b.campaign_id, 'count', b.count, 'max_uses', b.max_uses,
        'card_serial', b.card_serial,
        'kind', CASE WHEN EXISTS (SELECT 1 FROM recipient_lists l WHERE l.batch_id = b.id)
                     THEN 'recipients' ELSE 'coupons' END,
        'created_by', b.created_by, 'created_at', rfc3339(b.issued_at),
        'voided', b.voided_at IS NOT NULL, 'voided_at', rfc3339(b.voided_at),
        'voided_by', b.voided_by, 'void_reason', b.void_reason,
        'downloads', json_build_object(
            'csv', '/v1/campaigns/' || b.campaign_id || '/coupons.csv?batch=' || b.id,
            'qr_png', '/v1/campaigns/' || b.campaign_id || '/qr.tar?format=png&batch=' || b.id,
            'qr_svg', '/v1/campaigns/' || b.campaign_id || '/qr.tar?format=svg&batch=' || b.id,
            'lettershop', CASE WHEN b.card_serial IS NOT NULL
                                    OR EXISTS (SELECT 1 FROM recipient_lists l
                                                WHERE l.batch_id = b.id)
                               THEN '/v1/campaigns/' || b.campaign_id
                                    || '/lettershop.csv?batch=' || b.id END));
$$;

-- campaign_batches(campaign): the campaign's batches, newest first, as a JSON array; no row
-- when the campaign does not exist.
CREATE OR REPLACE FUNCTION campaign_batches(p_campaign bigint) RETURNS SETOF json
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT json_agg(batch_json(b) ORDER BY b.id DESC)
                       FROM coupon_batches b WHERE b.campaign_id = c.id), '[]'::json)
      FROM campaigns c WHERE c.id = p_campaign;
$$;

-- batch_void(batch, reason, actor, role): withdraws a batch (a misprint): from now on its
-- coupons are refused as voided_batch. The batch is marked and its campaign lists it (the
-- redeem path reads it there, with the campaign it reads anyway), under the batch's row lock;
-- recorded in the audit log. Voiding a voided batch changes nothing and answers 'ok'.
-- status: ok | not_found; body: the batch's JSON.
CREATE OR REPLACE FUNCTION batch_void(p_batch bigint, p_reason text, p_actor text, p_role text,
                                      OUT status status_word, OUT body json)
LANGUAGE plpgsql AS $$
DECLARE
    b coupon_batches;
BEGIN
    SELECT * INTO b FROM coupon_batches WHERE id = p_batch FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found';
        RETURN;
    END IF;
    IF b.voided_at IS NULL THEN
        UPDATE coupon_batches SET voided_at = now(), voided_by = p_actor, void_reason = p_reason
         WHERE id = p_batch AND voided_at IS NULL
        RETURNING * INTO b;
        UPDATE campaigns SET voided_batches = array_append(voided_batches, p_batch)
         WHERE id = b.campaign_id AND NOT (p_batch = ANY (voided_batches));
        PERFORM audit_record(p_actor, p_role, 'batch.void', b.campaign_id, 'batch', b.id,
                             jsonb_build_object('voided', false),
                             jsonb_build_object('voided', true, 'void_reason', p_reason));
    END IF;
    status := 'ok';
    body := batch_json(b);
END;
$$;
