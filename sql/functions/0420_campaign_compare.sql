-- campaign_compare(campaign): the A/B test CAMPAIGN belongs to (its control, which is the
-- campaign itself or the one it is a variant of, and the control's variants) as JSON: the
-- control's id and every cell's pieces (coupons issued) and responses (live redemptions),
-- control first, then the variants by id. The service adds the statistics. No row when the
-- campaign does not exist. Each cell's count is an index-only scan of
-- redemptions_campaign_figures; no JIT (compiling costs more than the counts).
CREATE OR REPLACE FUNCTION campaign_compare(p_campaign bigint) RETURNS SETOF json
LANGUAGE sql STABLE SET jit = off AS $$
    WITH me AS (
        SELECT coalesce(variant_of, id) AS control FROM campaigns WHERE id = p_campaign
    )
    SELECT json_build_object(
        'campaign_id', p_campaign, 'control_id', me.control,
        'cells', (SELECT json_agg(json_build_object(
                             'campaign_id', c.id, 'name', c.name, 'state', campaign_state(c),
                             'control', c.id = me.control, 'pieces', c.issued,
                             'responses', (SELECT count(*) FROM redemptions r
                                            WHERE r.campaign_id = c.id
                                              AND NOT EXISTS (SELECT 1 FROM redemption_voids v
                                                               WHERE v.redemption_id = r.id)))
                             ORDER BY c.id <> me.control, c.id)
                    FROM campaigns c WHERE c.id = me.control OR c.variant_of = me.control))
      FROM me;
$$;
