-- The counter's events (issue 17), written like the others (0800_event_triggers.sql): one
-- event_queue row per change, in the changing transaction.
--   redemption.returned   a partial return of a redemption's basket (redemption_returns): the
--                         return's amount, its share of the discount and of the points, and
--                         the redemption's running totals
-- A return's points taken back from a card are the ledger's card.returned (0800's trigger);
-- a receipt code's credit is the ledger's card.earned; a bounce-back pool's serials are a
-- batch.issued of the pool's batch.

CREATE OR REPLACE FUNCTION event_redemption_returned() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r redemptions;
BEGIN
    SELECT * INTO r FROM redemptions WHERE id = NEW.redemption_id;
    INSERT INTO event_queue (type, campaign_id, payload)
    VALUES ('redemption.returned', r.campaign_id,
            jsonb_build_object('return_id', NEW.id, 'redemption_id', NEW.redemption_id,
                               'store_id', NEW.store_id, 'terminal', NEW.terminal,
                               'returned_cents', NEW.returned_cents,
                               'discount_cents', NEW.discount_cents, 'points', NEW.points,
                               'returned_total_cents', NEW.returned_total_cents,
                               'discount_total_cents', NEW.discount_total_cents,
                               'coupon_serial', r.coupon_serial, 'card_serial', r.card_serial));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER events_redemption_returned AFTER INSERT ON redemption_returns
    FOR EACH ROW EXECUTE FUNCTION event_redemption_returned();
