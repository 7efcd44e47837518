-- A mailing's recipient list with its holdout, in three steps the service runs around the
-- coupon issue (service/recipients_upload.c), all in one transaction: prepare (check the
-- cards, fetch the draw's key), begin (claim the campaign's one list, idempotent by the list's
-- digest), then, after the mailed cards' coupons are issued under a request key derived from
-- the digest, finish (record the held-out cards and the batch). An upload that fails or is
-- cancelled rolls back whole. (A list that an older coupond claimed but did not finish, done =
-- false, is resumed by uploading the same list again.)

-- recipients_prepare(campaign, cards): the campaign's holdout key and up to 5 of CARDS that are
-- not cards of ours. status: ok | not_found.
-- The check is one anti-join of the list (up to a million cards) with the cards' primary key,
-- restricted to the list's range. Left to itself the planner hashes every card in that range
-- (or in the table), about three times the CPU of merging the sorted list with the index (or,
-- for a list sparse in a large range, of probing the index per card), so hash joins are off
-- for this function: 0.5 s instead of 1.5 s of PostgreSQL CPU for 10^6 cards.
CREATE OR REPLACE FUNCTION recipients_prepare(p_campaign bigint, p_cards bigint[],
                                              OUT status status_word, OUT holdout_key bytea,
                                              OUT unknown bigint[])
LANGUAGE plpgsql STABLE SET enable_hashjoin = off AS $$
DECLARE
    v_lo bigint;
    v_hi bigint;
BEGIN
    SELECT c.holdout_key INTO holdout_key FROM campaigns c WHERE c.id = p_campaign;
    IF NOT FOUND THEN
        status := 'not_found';
        RETURN;
    END IF;
    SELECT min(s), max(s) INTO v_lo, v_hi FROM unnest(p_cards) s;
    unknown := ARRAY(SELECT s FROM unnest(p_cards) s
                      WHERE NOT EXISTS (SELECT 1 FROM cards k
                                         WHERE k.serial = s AND k.serial BETWEEN v_lo AND v_hi)
                      ORDER BY s LIMIT 5);
    status := 'ok';
END;
$$;

-- recipients_begin(campaign, digest, holdout digest, recipients, pct, holdout, actor): claims
-- the campaign's recipient list. status: ok (claimed now) | resume (the same list, not
-- finished) | replay (the same list, finished) | other_list (the campaign has another list) |
-- draw_changed (the same list drew another holdout: a bug) | ended (a new list for an ended
-- campaign) | not_found. recipients, holdout and batch_id describe the stored list.
CREATE OR REPLACE FUNCTION recipients_begin(
    p_campaign bigint, p_digest bytea, p_holdout_digest bytea, p_recipients integer,
    p_pct numeric, p_holdout integer, p_actor text,
    OUT status status_word, OUT recipients integer, OUT holdout integer, OUT batch_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    l recipient_lists;
    c campaigns;
BEGIN
    SELECT * INTO l FROM recipient_lists WHERE campaign_id = p_campaign;
    IF NOT FOUND THEN
        SELECT * INTO c FROM campaigns WHERE id = p_campaign;
        IF NOT FOUND THEN
            status := 'not_found';
            RETURN;
        ELSIF campaign_state(c) = 'ended' THEN
            status := 'ended';
            RETURN;
        END IF;
        INSERT INTO recipient_lists (campaign_id, digest, holdout_digest, recipients, holdout_pct,
                                     holdout, created_by)
        VALUES (p_campaign, p_digest, p_holdout_digest, p_recipients, p_pct, p_holdout, p_actor)
        ON CONFLICT (campaign_id) DO NOTHING;
        IF FOUND THEN
            status := 'ok';
            recipients := p_recipients;
            holdout := p_holdout;
            RETURN;
        END IF;
        -- A concurrent upload claimed it first: compare with that one.
        SELECT * INTO l FROM recipient_lists WHERE campaign_id = p_campaign;
    END IF;
    recipients := l.recipients;
    holdout := l.holdout;
    batch_id := l.batch_id;
    status := CASE WHEN l.digest <> p_digest THEN 'other_list'
                   WHEN l.holdout_digest <> p_holdout_digest THEN 'draw_changed'
                   WHEN l.done THEN 'replay'
                   ELSE 'resume' END;
END;
$$;

-- recipients_finish(campaign, batch, held-out cards, actor, role): records the held-out cards
-- and the mailed cards' batch (NULL when every card was held out), marks the list done and
-- writes the audit entry; a finished list changes nothing. status: ok | not_found | mismatch
-- (the held-out cards are not as many as begin recorded). A list not done has no held-out
-- rows (they are written here, with done), so they are inserted without ON CONFLICT, which
-- would cost a quarter more per row.
CREATE OR REPLACE FUNCTION recipients_finish(p_campaign bigint, p_batch bigint,
                                             p_holdout bigint[], p_actor text, p_role text,
                                             OUT status status_word)
LANGUAGE plpgsql AS $$
DECLARE
    l recipient_lists;
BEGIN
    SELECT * INTO l FROM recipient_lists WHERE campaign_id = p_campaign FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found';
        RETURN;
    ELSIF l.done THEN
        status := 'ok';
        RETURN;
    ELSIF coalesce(cardinality(p_holdout), 0) <> l.holdout THEN
        status := 'mismatch';
        RETURN;
    END IF;
    INSERT INTO recipient_holdout (campaign_id, card_serial)
    SELECT p_campaign, s FROM unnest(p_holdout) s;
    UPDATE recipient_lists SET done = true, batch_id = p_batch WHERE campaign_id = p_campaign;
    PERFORM audit_record(p_actor, p_role, 'recipients.upload', p_campaign, 'recipients',
                         p_campaign, NULL,
                         jsonb_build_object('recipients', l.recipients,
                                            'holdout_pct', l.holdout_pct,
                                            'holdout', l.holdout,
                                            'mailed', l.recipients - l.holdout,
                                            'batch_id', p_batch));
    status := 'ok';
END;
$$;
