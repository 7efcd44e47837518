-- campaign_lifecycle(campaign, action, actor, role): pause, resume or end a campaign. Each
-- is a guarded UPDATE under the campaign's row lock, recorded in the audit log when it
-- changed something; asking for the state a campaign is already in changes nothing and
-- answers 'ok' (idempotent). An ended campaign (ended early, or past its end) can be neither
-- paused nor resumed: 'ended'. Ending a paused campaign ends it (and clears the pause).
-- status: ok | not_found | ended; body: the campaign's JSON (ok and ended).
CREATE OR REPLACE FUNCTION campaign_lifecycle(p_campaign bigint, p_action text, p_actor text,
                                              p_role text, OUT status status_word, OUT body json)
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
    IF p_action = 'pause' THEN
        UPDATE campaigns SET paused_at = now()
         WHERE id = p_campaign AND paused_at IS NULL AND ended_at IS NULL AND now() < ends_at
        RETURNING * INTO n;
    ELSIF p_action = 'resume' THEN
        UPDATE campaigns SET paused_at = NULL
         WHERE id = p_campaign AND paused_at IS NOT NULL AND ended_at IS NULL AND now() < ends_at
        RETURNING * INTO n;
    ELSIF p_action = 'end' THEN
        UPDATE campaigns SET ended_at = now(), paused_at = NULL
         WHERE id = p_campaign AND ended_at IS NULL AND now() < ends_at
        RETURNING * INTO n;
    ELSE
        RAISE EXCEPTION 'unknown action %', p_action;
    END IF;
    IF n.id IS NOT NULL THEN
        PERFORM audit_record(p_actor, p_role, 'campaign.' || p_action, c.id, 'campaign', c.id,
                             audit_image(c), audit_image(n));
        status := 'ok';
        body := campaign_json(n);
        RETURN;
    END IF;
    -- Nothing changed: already in that state, or ended.
    status := CASE WHEN campaign_state(c) = 'ended' AND p_action <> 'end' THEN 'ended'
                   ELSE 'ok' END;
    body := campaign_json(c);
END;
$$;
