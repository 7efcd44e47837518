-- 0031: code key ranges. Serials are allocated in ascending order per kind, and each MAC key
-- issues the serials of a kind from the one at which it became active, so for every serial
-- the service knows the one key that made its short form, across any number of rotations
-- (docs/codes.md, "Rotation"). A row is written once, when a coupond first runs with a key
-- newer than every recorded one (code_keys()) or first issues with it (code_key_claim()),
-- and never changed. Serials below the first row of a kind were issued before ranges were
-- recorded and follow the older rule. No foreign key: the keys themselves live in the key
-- directory, not here.
CREATE TABLE IF NOT EXISTS code_key_ranges (
    kind         text NOT NULL CHECK (kind IN ('coupon', 'card')),
    key_id       integer NOT NULL CHECK (key_id BETWEEN 1 AND 255),
    first_serial bigint NOT NULL CHECK (first_serial BETWEEN 1 AND 4294967296),
    activated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, key_id)
);
