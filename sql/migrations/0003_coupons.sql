-- 0003: coupons. A coupon is its serial: the number inside both code forms (the short
-- form adds a MAC, the signed form an Ed25519 signature; neither is stored, both are
-- derived again with the keys). Serials are allocated per kind from serial_counters,
-- globally unique (so unique per campaign too) by the primary key; the serial is the
-- distribution key for sharding later.
CREATE TABLE serial_counters (
    kind        text PRIMARY KEY CHECK (kind IN ('coupon', 'card')),
    next_serial bigint NOT NULL CHECK (next_serial BETWEEN 1 AND 4294967296)
);
INSERT INTO serial_counters (kind, next_serial) VALUES ('coupon', 1), ('card', 1);

-- One row per issue call: what was asked, by whom, and the serial range it used.
CREATE TABLE coupon_batches (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  bigint NOT NULL REFERENCES campaigns (id),
    first_serial bigint NOT NULL,
    last_serial  bigint NOT NULL,
    count        integer NOT NULL CHECK (count BETWEEN 1 AND 1000000),
    max_uses     integer NOT NULL DEFAULT 1 CHECK (max_uses >= 1),
    card_serial  bigint CHECK (card_serial BETWEEN 1 AND 4294967295),
    request_key  text CHECK (length(request_key) BETWEEN 1 AND 128),
    created_by   text NOT NULL,
    issued_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (first_serial <= last_serial),
    UNIQUE (campaign_id, request_key)
);
CREATE INDEX coupon_batches_campaign ON coupon_batches (campaign_id, id);

-- Written by COPY in bulk; campaign_id is denormalised from the batch (which holds the
-- foreign key) so the redeem path reads one row.
CREATE TABLE coupons (
    serial      bigint PRIMARY KEY CHECK (serial BETWEEN 1 AND 4294967295),
    campaign_id bigint NOT NULL,
    batch_id    bigint NOT NULL,
    max_uses    integer NOT NULL DEFAULT 1,
    uses        integer NOT NULL DEFAULT 0,
    card_serial bigint,
    CHECK (uses >= 0 AND uses <= max_uses)
) WITH (fillfactor = 90);
