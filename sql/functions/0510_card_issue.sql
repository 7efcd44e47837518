-- Issuing bonus cards: the service reserves serials from serial_counters (kind 'card'),
-- skips those whose short form fails the offensive-word filter (it alone holds the MAC
-- key that makes the short form), and creates the card under the first clean one. A
-- reserved serial that is never created is simply a gap.

-- card_serials_reserve(count, key): moves the card counter past COUNT serials and returns the
-- first of them, after claiming them for MAC key KEY (code_key_claim()): -1 when a newer key
-- is in use (this coupond is stale and must not issue), NULL when the 32-bit serial space is
-- exhausted. The row lock is held only for this statement's transaction, so concurrent
-- issues do not queue for long.
DROP FUNCTION IF EXISTS card_serials_reserve(integer);
CREATE OR REPLACE FUNCTION card_serials_reserve(p_count integer, p_key integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_first bigint;
BEGIN
    IF code_key_claim('card', p_key) <> 'ok' THEN
        RETURN -1;
    END IF;
    UPDATE serial_counters SET next_serial = next_serial + p_count
     WHERE kind = 'card' AND p_count BETWEEN 1 AND 1000
       AND next_serial + p_count <= 4294967296
    RETURNING next_serial - p_count INTO v_first;
    RETURN v_first;
END;
$$;

-- card_create(serial): creates card SERIAL with a balance of 0 and returns when, as
-- RFC 3339 text. Fails (unique violation) if the serial was used already.
CREATE OR REPLACE FUNCTION card_create(p_serial bigint) RETURNS text
LANGUAGE sql AS $$
    INSERT INTO cards (serial) VALUES (p_serial) RETURNING rfc3339(created_at);
$$;
