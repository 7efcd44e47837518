-- Events of the campaign life cycle and of withdrawn batches (issue 11's columns): AFTER
-- UPDATE triggers on campaigns (paused_at, ended_at) and coupon_batches (voided_at), in the
-- changing transaction like every event (sql/functions/0800_event_triggers.sql). The WHEN
-- clauses are evaluated without calling the functions, so other updates of these rows pay
-- nothing.

-- campaigns: campaign.paused, campaign.resumed, campaign.ended
CREATE OR REPLACE FUNCTION event_campaign_lifecycle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_type text;
BEGIN
    IF OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL THEN
        v_type := 'campaign.ended';
    ELSIF OLD.paused_at IS NULL AND NEW.paused_at IS NOT NULL THEN
        v_type := 'campaign.paused';
    ELSIF OLD.paused_at IS NOT NULL AND NEW.paused_at IS NULL AND NEW.ended_at IS NULL THEN
        v_type := 'campaign.resumed';
    ELSE
        RETURN NULL;
    END IF;
    INSERT INTO event_queue (type, campaign_id, payload)
    VALUES (v_type, NEW.id,
            jsonb_strip_nulls(jsonb_build_object('paused_at', rfc3339(NEW.paused_at),
                                                 'ended_at', rfc3339(NEW.ended_at),
                                                 'ends_at', rfc3339(NEW.ends_at))));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER events_campaign_lifecycle AFTER UPDATE OF paused_at, ended_at
    ON campaigns FOR EACH ROW
    WHEN (OLD.paused_at IS DISTINCT FROM NEW.paused_at OR OLD.ended_at IS DISTINCT FROM NEW.ended_at)
    EXECUTE FUNCTION event_campaign_lifecycle();

-- coupon_batches: batch.voided (the reason is the marketer's free text: not in the event)
CREATE OR REPLACE FUNCTION event_batch_voided() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_queue (type, campaign_id, payload)
    VALUES ('batch.voided', NEW.campaign_id,
            jsonb_build_object('batch_id', NEW.id, 'count', NEW.count));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER events_batch_voided AFTER UPDATE OF voided_at ON coupon_batches
    FOR EACH ROW WHEN (OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL)
    EXECUTE FUNCTION event_batch_voided();
