-- 0001: the principals coupond has seen, keyed by their certificate's SHA-256
-- fingerprint. Role and store come from the certificate the CA signed; this table
-- records them so every redemption can name the terminal that made it.
CREATE TABLE principals (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint bytea NOT NULL UNIQUE CHECK (length(fingerprint) = 32),
    role        text NOT NULL CHECK (role IN ('terminal', 'marketer', 'admin')),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    store_id    integer CHECK (store_id > 0),
    first_seen  timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'terminal') = (store_id IS NOT NULL))
);
