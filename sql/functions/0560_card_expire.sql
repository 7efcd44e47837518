-- card_expire(max_cards): the expiry run. Books out, as one ledger row of kind 'expire'
-- per card, the points of every lot whose expiry has come, for at most MAX_CARDS cards;
-- returns how many cards lost points. Idempotent (a second run finds nothing due) and
-- safe beside live traffic: it takes each card's row lock like a burn does and skips a
-- card a till holds at that moment (the till's own call, or the next run, expires it).
-- Run it until it returns 0; see docs/cards.md for a cron line.
CREATE OR REPLACE FUNCTION card_expire(p_max_cards integer DEFAULT 1000) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_card bigint;
    v_cards bigint := 0;
BEGIN
    FOR v_card IN SELECT DISTINCT l.card_serial FROM card_lots l
                   WHERE l.remaining > 0 AND l.expires_at <= now()
                   LIMIT p_max_cards
    LOOP
        PERFORM 1 FROM cards c WHERE c.serial = v_card FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND AND card_expire_due(v_card) > 0 THEN
            v_cards := v_cards + 1;
        END IF;
    END LOOP;
    RETURN v_cards;
END;
$$;
