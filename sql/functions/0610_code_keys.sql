-- Code key ranges (table code_key_ranges, docs/codes.md "Rotation"): which MAC key issues
-- which serials.

-- code_key_claim(kind, key): makes KEY the key of the serials of KIND from the counter's
-- next one on, if it is newer than every recorded key of KIND; refuses ('stale_key') when a
-- newer key is recorded, because serials issued now under KEY would fall into that key's range.
-- Locks the kind's serial counter row as allocation does, so a claim and the allocations
-- around it are serialised; an issuing transaction calls it before it allocates, in the same
-- transaction. status: ok | stale_key
CREATE OR REPLACE FUNCTION code_key_claim(p_kind text, p_key integer) RETURNS status_word
LANGUAGE plpgsql AS $$
DECLARE
    v_next bigint;
    v_max integer;
BEGIN
    SELECT c.next_serial INTO v_next FROM serial_counters c WHERE c.kind = p_kind FOR UPDATE;
    SELECT max(r.key_id) INTO v_max FROM code_key_ranges r WHERE r.kind = p_kind;
    IF v_max IS NULL OR v_max < p_key THEN
        INSERT INTO code_key_ranges (kind, key_id, first_serial) VALUES (p_kind, p_key, v_next);
        RETURN 'ok';
    END IF;
    RETURN CASE WHEN v_max = p_key THEN 'ok' ELSE 'stale_key' END;
END;
$$;

-- code_keys(key): every recorded range (kind, key_id, first_serial), each row with its
-- kind's next serial (below which the ranges are complete), after activating KEY (the
-- calling coupond's current MAC key) for each kind whose newest recorded key is older. A
-- coupond calls it when it starts and when it meets a serial it has not seen yet.
CREATE OR REPLACE FUNCTION code_keys(p_key integer,
    OUT kind text, OUT key_id integer, OUT first_serial bigint, OUT next_serial bigint)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    FOREACH k IN ARRAY ARRAY['coupon', 'card'] LOOP
        IF p_key > coalesce((SELECT max(r.key_id) FROM code_key_ranges r WHERE r.kind = k), 0)
        THEN
            PERFORM code_key_claim(k, p_key);
        END IF;
    END LOOP;
    RETURN QUERY
        SELECT r.kind, r.key_id, r.first_serial, c.next_serial
          FROM code_key_ranges r JOIN serial_counters c ON c.kind = r.kind
         ORDER BY r.kind, r.key_id;
END;
$$;
