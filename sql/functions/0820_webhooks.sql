-- Webhook subscriptions (admin) and their delivery state. The secret leaves the database
-- only through webhook_create (shown once) and webhooks_due (to the delivery thread).

-- webhook_json(w): what the API shows of a subscription (never its secret or CA text).
CREATE OR REPLACE FUNCTION webhook_json(w webhooks) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', w.id, 'url', w.url, 'events', to_jsonb(w.event_types),
        'has_ca', w.ca_pem IS NOT NULL, 'reveal_codes', w.reveal_codes, 'state', w.state,
        'cursor', w.cursor, 'delivered', w.delivered, 'failures', w.failures,
        'failing_since', rfc3339(w.failing_since), 'next_attempt_at', rfc3339(w.next_attempt_at),
        'last_error', w.last_error, 'created_by', w.created_by,
        'created_at', rfc3339(w.created_at), 'deleted_at', rfc3339(w.deleted_at)));
$$;

-- webhook_create(...): a new subscription that receives the events published from now on.
-- Idempotent by REQUEST_KEY (the Idempotency-Key header): the same request again answers
-- 'replay' with the first subscription and its secret; another request under the same key
-- 'conflict'. status: ok | replay | conflict; body: the subscription with its secret as
-- whsec_ text (ok and replay).
CREATE OR REPLACE FUNCTION webhook_create(p_url text, p_types text[], p_ca_pem text,
                                          p_secret bytea, p_reveal boolean, p_request_key text,
                                          p_created_by text, OUT status status_word,
                                          OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    w webhooks;
BEGIN
    IF p_request_key IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('webhook/' || p_request_key, 7316107));
        SELECT * INTO w FROM webhooks WHERE request_key = p_request_key;
        IF FOUND THEN
            IF w.url = p_url AND w.event_types = p_types AND w.ca_pem IS NOT DISTINCT FROM p_ca_pem
               AND w.reveal_codes = p_reveal THEN
                status := 'replay';
                body := webhook_json(w)
                        || jsonb_build_object('secret', 'whsec_' || encode(w.secret, 'base64'));
            ELSE
                status := 'conflict';
            END IF;
            RETURN;
        END IF;
    END IF;
    INSERT INTO webhooks (url, event_types, ca_pem, secret, reveal_codes, cursor, request_key,
                          created_by)
    VALUES (p_url, p_types, p_ca_pem, p_secret, p_reveal, events_head(), p_request_key,
            p_created_by)
    RETURNING * INTO w;
    status := 'ok';
    body := webhook_json(w) || jsonb_build_object('secret', 'whsec_' || encode(w.secret, 'base64'));
END;
$$;

-- webhook_list(): every subscription not deleted, oldest first, as a JSON array.
CREATE OR REPLACE FUNCTION webhook_list() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(webhook_json(w) ORDER BY w.id), '[]'::jsonb)
      FROM webhooks w WHERE w.state <> 'deleted';
$$;

-- webhook_get(id): one subscription (deleted ones too), or NULL.
CREATE OR REPLACE FUNCTION webhook_get(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT webhook_json(w) FROM webhooks w WHERE w.id = p_id;
$$;

-- webhook_delete(id): stops deliveries for good (the log stays until pruned). Idempotent.
-- Returns the subscription, or NULL when there is none.
CREATE OR REPLACE FUNCTION webhook_delete(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    w webhooks;
BEGIN
    UPDATE webhooks SET state = 'deleted', deleted_at = coalesce(deleted_at, now()),
                        next_attempt_at = NULL
     WHERE id = p_id RETURNING * INTO w;
    RETURN CASE WHEN w.id IS NULL THEN NULL ELSE webhook_json(w) END;
END;
$$;

-- webhook_redeliver(id, from): delivers again every event from id FROM on (each with its
-- own webhook-id, as before), and makes a failing subscription active again.
-- status: ok | not_found | deleted | pruned (FROM is older than the oldest event kept) |
--         future (FROM is beyond the next event); body: the subscription (ok).
CREATE OR REPLACE FUNCTION webhook_redeliver(p_id bigint, p_from bigint, OUT status status_word,
                                             OUT body jsonb, OUT oldest bigint)
LANGUAGE plpgsql AS $$
DECLARE
    w webhooks;
BEGIN
    oldest := events_oldest();
    SELECT * INTO w FROM webhooks WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found';
    ELSIF w.state = 'deleted' THEN
        status := 'deleted';
    ELSIF p_from < oldest THEN
        status := 'pruned';
    ELSIF p_from > events_head() + 1 THEN
        status := 'future';
    ELSE
        UPDATE webhooks SET cursor = p_from - 1, state = 'active', failures = 0,
                            failing_since = NULL, next_attempt_at = NULL, last_error = NULL
         WHERE id = p_id RETURNING * INTO w;
        status := 'ok';
        body := webhook_json(w);
    END IF;
END;
$$;

-- webhook_deliveries(id, before, max): the delivery log of subscription ID, newest first,
-- attempts with an id below BEFORE (NULL: from the newest); NULL when there is no such
-- subscription.
CREATE OR REPLACE FUNCTION webhook_deliveries(p_id bigint, p_before bigint, p_max integer)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM webhooks WHERE id = p_id) THEN NULL ELSE
        (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                    'id', a.id, 'event_id', a.event_id, 'webhook_id', 'evt_' || a.event_id,
                    'at', rfc3339(a.at), 'status', a.status, 'error', a.error,
                    'duration_ms', a.duration_ms, 'delivered', a.delivered)) ORDER BY a.id DESC),
                '[]'::jsonb)
           FROM (SELECT * FROM webhook_attempts
                  WHERE webhook_id = p_id AND (p_before IS NULL OR id < p_before)
                  ORDER BY id DESC LIMIT p_max) a) END;
$$;

-- webhooks_due(): the active subscriptions whose next attempt is due, for the delivery thread.
CREATE OR REPLACE FUNCTION webhooks_due()
RETURNS TABLE (id bigint, url text, event_types text[], ca_pem text, secret text,
               reveal_codes boolean, cursor bigint, failures integer)
LANGUAGE sql STABLE AS $$
    SELECT w.id, w.url, w.event_types, w.ca_pem, encode(w.secret, 'base64'), w.reveal_codes,
           w.cursor, w.failures
      FROM webhooks w
     WHERE w.state = 'active' AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= now())
     ORDER BY w.id;
$$;

-- webhook_result(...): records one round of deliveries to subscription ID, which started at
-- cursor FROM_CURSOR: the attempts (parallel arrays) in the log, the cursor moved to
-- NEW_CURSOR (only if nobody moved it meanwhile, e.g. a redelivery), and either success
-- (failures cleared) or a failure: the next attempt in RETRY_IN seconds, or the subscription
-- marked failing when it has failed for GIVE_UP or GONE (the receiver answered 410).
CREATE OR REPLACE FUNCTION webhook_result(p_id bigint, p_from_cursor bigint, p_new_cursor bigint,
                                          p_failed boolean, p_error text, p_retry_in double precision,
                                          p_give_up interval, p_gone boolean,
                                          p_events bigint[], p_statuses integer[],
                                          p_errors text[], p_durations integer[],
                                          p_delivered boolean[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_ok bigint;
BEGIN
    INSERT INTO webhook_attempts (webhook_id, event_id, status, error, duration_ms, delivered)
    SELECT p_id, e, s, er, d, ok
      FROM unnest(p_events, p_statuses, p_errors, p_durations, p_delivered) AS t(e, s, er, d, ok);
    SELECT count(*) INTO v_ok FROM unnest(p_delivered) AS t(ok) WHERE ok;
    IF NOT p_failed THEN
        UPDATE webhooks SET cursor = greatest(cursor, p_new_cursor), failures = 0,
                            failing_since = NULL, next_attempt_at = NULL, last_error = NULL,
                            delivered = delivered + v_ok
         WHERE id = p_id AND cursor = p_from_cursor AND state = 'active';
    ELSE
        UPDATE webhooks
           SET cursor = greatest(cursor, p_new_cursor), failures = failures + 1,
               failing_since = coalesce(failing_since, now()), last_error = p_error,
               delivered = delivered + v_ok,
               next_attempt_at = now() + make_interval(secs => p_retry_in),
               state = CASE WHEN p_gone OR coalesce(failing_since, now()) < now() - p_give_up
                            THEN 'failing' ELSE state END
         WHERE id = p_id AND cursor = p_from_cursor AND state = 'active';
    END IF;
END;
$$;
