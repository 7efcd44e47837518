-- campaign_update(campaign, ...): changes what may change after creation: the name, a later
-- end (extend), the cost, the fixed cost, the gross margin, the in-home date and the response
-- window (NULL: unchanged). The end only moves later, and not for a campaign ended early.
-- Recorded in the audit log with what changed; the same request again changes nothing.
-- status: ok | not_found | earlier_end | ended; body: the campaign's JSON (ok).
CREATE OR REPLACE FUNCTION campaign_update(
    p_campaign bigint, p_name text, p_ends_at bigint, p_cost_cents bigint,
    p_fixed_cost_cents bigint, p_gross_margin_pct numeric, p_in_home_date date,
    p_response_window_days integer, p_actor text, p_role text,
    OUT status status_word, OUT body json)
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns;
    n campaigns;
BEGIN
    SELECT * INTO c FROM campaigns WHERE id = p_campaign FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found';
        RETURN;
    END IF;
    IF p_ends_at IS NOT NULL AND to_timestamp(p_ends_at) <> c.ends_at THEN
        IF to_timestamp(p_ends_at) < c.ends_at THEN
            status := 'earlier_end';
            RETURN;
        ELSIF c.ended_at IS NOT NULL THEN
            status := 'ended';
            RETURN;
        END IF;
    END IF;
    UPDATE campaigns
       SET name = coalesce(p_name, name),
           ends_at = greatest(ends_at, coalesce(to_timestamp(p_ends_at), ends_at)),
           cost_cents = coalesce(p_cost_cents, cost_cents),
           fixed_cost_cents = coalesce(p_fixed_cost_cents, fixed_cost_cents),
           gross_margin_pct = coalesce(p_gross_margin_pct, gross_margin_pct),
           in_home_date = coalesce(p_in_home_date, in_home_date),
           response_window_days = coalesce(p_response_window_days, response_window_days)
     WHERE id = p_campaign
    RETURNING * INTO n;
    PERFORM audit_record(p_actor, p_role, 'campaign.update', c.id, 'campaign', c.id,
                         audit_image(c), audit_image(n));
    status := 'ok';
    body := campaign_json(n);
END;
$$;
