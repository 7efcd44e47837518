-- 0004: redemptions and their voids. Nothing is deleted or rewritten: a void is a new
-- row. (terminal, txn_id) is the till's idempotency key.
CREATE TABLE redemptions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coupon_serial bigint NOT NULL REFERENCES coupons (serial),
    campaign_id   bigint NOT NULL,
    store_id      integer NOT NULL CHECK (store_id > 0),
    terminal      text NOT NULL,
    txn_id        text NOT NULL CHECK (length(txn_id) BETWEEN 1 AND 64),
    basket_cents  bigint NOT NULL CHECK (basket_cents >= 0),
    discount_cents bigint NOT NULL CHECK (discount_cents >= 0 AND discount_cents <= basket_cents),
    points        bigint NOT NULL DEFAULT 0 CHECK (points >= 0),
    card_serial   bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (terminal, txn_id)
);
CREATE INDEX redemptions_coupon ON redemptions (coupon_serial);
CREATE INDEX redemptions_campaign ON redemptions (campaign_id, created_at);

CREATE TABLE redemption_voids (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    redemption_id bigint NOT NULL UNIQUE REFERENCES redemptions (id),
    store_id      integer NOT NULL,
    terminal      text NOT NULL,
    txn_id        text NOT NULL CHECK (length(txn_id) BETWEEN 1 AND 64),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (terminal, txn_id)
);
