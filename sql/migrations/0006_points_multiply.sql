-- 0006: points offers that multiply the points of the purchase ("3x points") besides
-- those that add a fixed number. For a multiplying offer, offer_value is the factor.
ALTER TABLE campaigns
    ADD COLUMN offer_multiply boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT campaigns_multiply_points
        CHECK (NOT offer_multiply OR (offer_kind = 'points' AND offer_value BETWEEN 2 AND 10));
