-- The audit trail: who changed what, when, with the values before and after.

-- audit_image(c): what the audit shows of a campaign (its secrets and counters left out).
CREATE OR REPLACE FUNCTION audit_image(c campaigns) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT to_jsonb(c) - 'holdout_key' - 'limited_uses' - 'issued' - 'voided_batches'
           - 'created_at' - 'created_by';
$$;

-- audit_record(actor, role, action, campaign, object type, object id, before, after): appends
-- one entry; when both images are given only the keys whose values differ are kept, and an
-- entry where nothing differs is not written. Returns whether one was written.
CREATE OR REPLACE FUNCTION audit_record(p_actor text, p_role text, p_action text,
                                        p_campaign bigint, p_type text, p_id bigint,
                                        p_before jsonb, p_after jsonb)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    k text;
    b jsonb := p_before;
    a jsonb := p_after;
BEGIN
    IF p_before IS NOT NULL AND p_after IS NOT NULL THEN
        b := '{}';
        a := '{}';
        FOR k IN SELECT jsonb_object_keys(p_before || p_after) LOOP
            IF (p_before -> k) IS DISTINCT FROM (p_after -> k) THEN
                b := b || jsonb_build_object(k, p_before -> k);
                a := a || jsonb_build_object(k, p_after -> k);
            END IF;
        END LOOP;
        IF a = '{}' THEN
            RETURN false;
        END IF;
    END IF;
    INSERT INTO audit_log (actor, actor_role, action, campaign_id, object_type, object_id,
                           before, after)
    VALUES (p_actor, p_role, p_action, p_campaign, p_type, p_id, b, a);
    RETURN true;
END;
$$;

-- The log is append-only.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'CP403';
END;
$$;
CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Every issued batch (POST /v1/campaigns/{id}/coupons, recipient lists) is an audit entry.
CREATE OR REPLACE FUNCTION audit_batch_issued() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM audit_record(NEW.created_by, NULL, 'batch.issue', NEW.campaign_id, 'batch', NEW.id,
                         NULL, jsonb_build_object('count', NEW.count, 'max_uses', NEW.max_uses,
                                                  'card_serial', NEW.card_serial));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER coupon_batches_audit AFTER INSERT ON coupon_batches
    FOR EACH ROW EXECUTE FUNCTION audit_batch_issued();
