-- 0032: the programme's maximum of points one coupon may give, so that a marketer cannot
-- mint 4,294,967,295 points per coupon. A campaign whose fixed points offer is above it is
-- refused when it is created or its offer changed (trigger below, SQLSTATE 23514 with the
-- sentence as message); the points any redemption credits are capped at it (offer_points()),
-- which also bounds multiplying offers on huge baskets and campaigns made before this.
ALTER TABLE card_programme
    ADD COLUMN IF NOT EXISTS max_offer_points bigint NOT NULL DEFAULT 100000
        CONSTRAINT card_programme_max_offer_points
        CHECK (max_offer_points BETWEEN 1 AND 1000000000);

CREATE OR REPLACE FUNCTION campaigns_points_max() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_max bigint;
BEGIN
    IF NEW.offer_kind = 'points' AND NOT NEW.offer_multiply THEN
        SELECT p.max_offer_points INTO v_max FROM card_programme p;
        IF NEW.offer_value > v_max THEN
            RAISE EXCEPTION USING
                ERRCODE = 'check_violation',
                CONSTRAINT = 'campaigns_points_max',
                MESSAGE = format('A points offer may give at most %s points per coupon (the '
                                 'bonus programme''s maximum).', v_max);
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS campaigns_points_max ON campaigns;
CREATE TRIGGER campaigns_points_max
    BEFORE INSERT OR UPDATE OF offer_kind, offer_value, offer_multiply ON campaigns
    FOR EACH ROW EXECUTE FUNCTION campaigns_points_max();
