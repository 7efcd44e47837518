-- Publishing, reading and pruning the outbox.
--
-- Why a publisher: the queue's qids come from a sequence, and a transaction that drew a
-- smaller qid can commit after one that drew a larger qid. A reader that resumed "after qid N"
-- would then skip the late one for ever. events_publish() instead numbers events at the moment
-- it sees them committed, under the row lock of event_counter: one publisher at a time, each
-- numbering from where the previous one (already committed, since it held the lock) stopped.
-- So the ids in events are 1, 2, 3, ... with no gap, and they become visible in id order:
-- whoever sees id N sees every id below it. A reader's "Last-Event-ID: N" is therefore exact.

-- events_publish(max): moves at most MAX committed queue rows into events with the next ids,
-- in queue order; tells listeners on channel coupond_events (payload: the new head). Returns
-- how many it published and the head (the last id) after it.
--
-- Its cost is that of the batch, whatever the queue held when the session planned it.
-- PL/pgSQL keeps a statement's plan for the whole session, and the outbox thread's connection
-- lives as long as coupond while the queue is nearly always empty: with the queue's statistics
-- of a vacuumed, near-empty table, "DELETE ... WHERE qid IN (SELECT qid ... ORDER BY qid LIMIT
-- max)" was planned as a nested-loop semi join of a seq scan of the whole queue against the
-- batch, so a backlog (a million card.issued rows after a bulk issue) cost 10^9 comparisons,
-- minutes, per call. Hence: the move deletes a primary-key range (qid <= the batch's last qid,
-- found by the index in the same statement, so in the same snapshot: exactly the batch's rows,
-- never more than MAX), and enable_seqscan is off in this function, so no plan of it reads the
-- whole queue: every statement here has an index that answers it (event_queue_pkey, and
-- event_counter_pkey through "WHERE id": without it the counter's only plan would be the
-- disabled seq scan, whose cost wakes JIT). Plans are still cached, and that is now harmless.
CREATE OR REPLACE FUNCTION events_publish(p_max integer, OUT published bigint, OUT head bigint)
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    v_last bigint;
BEGIN
    published := 0;
    -- Cheap when idle (an index probe): the counter row is locked only when there is work.
    PERFORM 1 FROM event_queue ORDER BY qid LIMIT 1;
    IF NOT FOUND THEN
        SELECT last_id INTO head FROM event_counter WHERE id;
        RETURN;
    END IF;
    SELECT last_id INTO v_last FROM event_counter WHERE id FOR UPDATE;
    -- A new statement, a new snapshot: it sees what the previous publisher moved.
    WITH moved AS (
        DELETE FROM event_queue
         WHERE qid <= (SELECT max(b.qid)
                         FROM (SELECT q.qid FROM event_queue q ORDER BY q.qid LIMIT p_max) b)
        RETURNING *)
    INSERT INTO events (id, type, campaign_id, payload, occurred_at)
    SELECT v_last + row_number() OVER (ORDER BY qid), type, campaign_id, payload, occurred_at
      FROM moved;
    GET DIAGNOSTICS published = ROW_COUNT;
    head := v_last + published;
    IF published > 0 THEN
        UPDATE event_counter SET last_id = head WHERE id;
        PERFORM pg_notify('coupond_events', head::text);
    END IF;
END;
$$;

-- events_head(): the last published id (0 when none yet).
CREATE OR REPLACE FUNCTION events_head() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT last_id FROM event_counter;
$$;

-- events_after(after, max, types, campaign): the published events after id AFTER in id
-- order, at most MAX, of one of TYPES (NULL: any) and of CAMPAIGN (NULL: any), each with
-- its time as RFC 3339 text.
CREATE OR REPLACE FUNCTION events_after(p_after bigint, p_max integer, p_types text[],
                                        p_campaign bigint)
RETURNS TABLE (id bigint, type text, campaign_id bigint, payload jsonb, occurred_at text)
LANGUAGE sql STABLE AS $$
    SELECT e.id, e.type, e.campaign_id, e.payload, rfc3339(e.occurred_at)
      FROM events e
     WHERE e.id > p_after
       AND (p_types IS NULL OR e.type = ANY (p_types))
       AND (p_campaign IS NULL OR e.campaign_id = p_campaign)
     ORDER BY e.id
     LIMIT p_max;
$$;

-- events_oldest(): the smallest id still kept (head + 1 when none is kept).
CREATE OR REPLACE FUNCTION events_oldest() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT min(id) FROM events), (SELECT last_id + 1 FROM event_counter));
$$;

-- events_prune(retention, max): deletes at most MAX events older than RETENTION that every
-- active subscription has had (failing and deleted ones hold nothing back), and delivery log
-- rows older than RETENTION. Returns how many events it deleted; run it until it returns 0.
CREATE OR REPLACE FUNCTION events_prune(p_retention interval, p_max integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_upto bigint;
    v_n bigint;
BEGIN
    SELECT least(coalesce((SELECT min(w.cursor) FROM webhooks w WHERE w.state = 'active'),
                          c.last_id), c.last_id)
      INTO v_upto FROM event_counter c;
    DELETE FROM events
     WHERE id IN (SELECT e.id FROM events e
                   WHERE e.id <= v_upto AND e.occurred_at < now() - p_retention
                   ORDER BY e.id LIMIT p_max);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    DELETE FROM webhook_attempts
     WHERE id IN (SELECT a.id FROM webhook_attempts a WHERE a.at < now() - p_retention
                   LIMIT p_max);
    RETURN v_n;
END;
$$;

-- events_stats(): what the metrics show: events kept, rows queued (written, not yet
-- published), the head, and the age in seconds of the oldest event not yet delivered to
-- every active subscription or not yet published (0 when there is none).
CREATE OR REPLACE FUNCTION events_stats(OUT kept bigint, OUT queued bigint, OUT head bigint,
                                        OUT oldest_undelivered_s double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_cursor bigint;
    v_at timestamptz;
BEGIN
    SELECT last_id INTO head FROM event_counter;
    kept := head - events_oldest() + 1;
    SELECT count(*) INTO queued FROM event_queue;
    SELECT min(w.cursor) INTO v_cursor FROM webhooks w WHERE w.state = 'active';
    SELECT least((SELECT min(occurred_at) FROM event_queue),
                 (SELECT e.occurred_at FROM events e WHERE e.id > v_cursor ORDER BY e.id LIMIT 1))
      INTO v_at;
    oldest_undelivered_s := coalesce(extract(epoch FROM now() - v_at), 0);
END;
$$;
