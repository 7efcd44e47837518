-- The outbox's writers: AFTER triggers on the tables whose rows are the state changes. Each
-- appends one event_queue row in the changing transaction, so an event exists exactly when
-- its change committed (a refusal writes no row and so no event; a rolled-back statement or
-- subtransaction takes its event with it). The stored functions that make the changes know
-- nothing of events. Payloads carry ids and serials, never code or card text and no personal
-- data; coupond renders codes and card numbers (masked unless a subscription may see them).
-- Kept lean: one INSERT of a small jsonb per change (docs/BENCHMARKS.md has the cost).

-- redemptions: redemption.created
CREATE OR REPLACE FUNCTION event_redemption_created() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_queue (type, campaign_id, payload)
    VALUES ('redemption.created', NEW.campaign_id,
            jsonb_build_object('redemption_id', NEW.id, 'store_id', NEW.store_id,
                               'terminal', NEW.terminal, 'basket_cents', NEW.basket_cents,
                               'discount_cents', NEW.discount_cents, 'points', NEW.points,
                               'coupon_serial', NEW.coupon_serial,
                               'card_serial', NEW.card_serial));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER events_redemption_created AFTER INSERT ON redemptions
    FOR EACH ROW EXECUTE FUNCTION event_redemption_created();

-- redemption_voids: redemption.voided (the redemption's campaign and coupon looked up once)
CREATE OR REPLACE FUNCTION event_redemption_voided() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r redemptions;
BEGIN
    SELECT * INTO r FROM redemptions WHERE id = NEW.redemption_id;
    INSERT INTO event_queue (type, campaign_id, payload)
    VALUES ('redemption.voided', r.campaign_id,
            jsonb_build_object('void_id', NEW.id, 'redemption_id', NEW.redemption_id,
                               'store_id', NEW.store_id, 'terminal', NEW.terminal,
                               'discount_cents', r.discount_cents, 'points', r.points,
                               'coupon_serial', r.coupon_serial, 'card_serial', r.card_serial));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER events_redemption_voided AFTER INSERT ON redemption_voids
    FOR EACH ROW EXECUTE FUNCTION event_redemption_voided();

-- card_transactions: card.earned, card.burned, card.voided, card.coupon_credited,
-- card.coupon_voided, card.expired, card.returned (issue 17: points a partial return takes
-- back) (a kind added later becomes card.<kind>)
CREATE OR REPLACE FUNCTION event_card_transaction() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_queue (type, payload)
    VALUES ('card.' || CASE NEW.kind WHEN 'earn' THEN 'earned' WHEN 'burn' THEN 'burned'
                                     WHEN 'void' THEN 'voided'
                                     WHEN 'coupon' THEN 'coupon_credited'
                                     WHEN 'coupon_void' THEN 'coupon_voided'
                                     WHEN 'expire' THEN 'expired'
                                     WHEN 'return' THEN 'returned' ELSE NEW.kind END,
            jsonb_strip_nulls(jsonb_build_object(
                'transaction_id', NEW.id, 'points', NEW.points, 'balance', NEW.balance_after,
                'basket_cents', NEW.basket_cents, 'voids', NEW.voids,
                'redemption_id', NEW.redemption_id, 'returns_of', NEW.returns_of,
                'store_id', NEW.store_id,
                'terminal', NEW.terminal, 'card_serial', NEW.card_serial)));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER events_card_transaction AFTER INSERT ON card_transactions
    FOR EACH ROW EXECUTE FUNCTION event_card_transaction();

-- cards: card.issued
CREATE OR REPLACE FUNCTION event_card_issued() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_queue (type, payload)
    VALUES ('card.issued', jsonb_build_object('card_serial', NEW.serial));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER events_card_issued AFTER INSERT ON cards
    FOR EACH ROW EXECUTE FUNCTION event_card_issued();

-- coupon_batches: batch.issued (the whole issue is one transaction: the event appears once
-- every coupon of the batch is there)
CREATE OR REPLACE FUNCTION event_batch_issued() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_queue (type, campaign_id, payload)
    VALUES ('batch.issued', NEW.campaign_id,
            jsonb_strip_nulls(jsonb_build_object('batch_id', NEW.id, 'count', NEW.count,
                                                 'max_uses', NEW.max_uses,
                                                 'card_serial', NEW.card_serial)));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER events_batch_issued AFTER INSERT ON coupon_batches
    FOR EACH ROW EXECUTE FUNCTION event_batch_issued();

-- campaigns: campaign.created
CREATE OR REPLACE FUNCTION event_campaign_created() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_queue (type, campaign_id, payload)
    VALUES ('campaign.created', NEW.id,
            jsonb_strip_nulls(jsonb_build_object(
                'name', NEW.name, 'channel', NEW.channel, 'cost_cents', NEW.cost_cents,
                'starts_at', rfc3339(NEW.starts_at), 'ends_at', rfc3339(NEW.ends_at),
                'offer_kind', NEW.offer_kind, 'offer_value', NEW.offer_value,
                'min_basket_cents', NEW.min_basket_cents,
                'max_redemptions', NEW.max_redemptions, 'variant_of', NEW.variant_of)));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER events_campaign_created AFTER INSERT ON campaigns
    FOR EACH ROW EXECUTE FUNCTION event_campaign_created();

-- campaigns: campaign.exhausted, when the last redemption its limit allows commits. The WHEN
-- clause is evaluated without calling the function, so the redeem path of a limited campaign
-- pays for the function only on the exhausting redemption.
CREATE OR REPLACE FUNCTION event_campaign_exhausted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_queue (type, campaign_id, payload)
    VALUES ('campaign.exhausted', NEW.id,
            jsonb_build_object('max_redemptions', NEW.max_redemptions));
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER events_campaign_exhausted AFTER UPDATE OF limited_uses ON campaigns
    FOR EACH ROW
    WHEN (NEW.max_redemptions IS NOT NULL AND NEW.limited_uses >= NEW.max_redemptions
          AND OLD.limited_uses < NEW.max_redemptions)
    EXECUTE FUNCTION event_campaign_exhausted();

-- events_outbox(on): turns every event trigger on or off, for measuring what the outbox costs
-- (docs/webhooks.md). Off, changes commit without events: never in production. A migrate
-- turns them on again (CREATE OR REPLACE TRIGGER above).
CREATE OR REPLACE FUNCTION events_outbox(p_on boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT c.relname, g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
              WHERE g.tgname LIKE 'events\_%' AND NOT g.tgisinternal
    LOOP
        EXECUTE format('ALTER TABLE %I %s TRIGGER %I', t.relname,
                       CASE WHEN p_on THEN 'ENABLE' ELSE 'DISABLE' END, t.tgname);
    END LOOP;
END;
$$;
