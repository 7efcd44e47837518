-- 0005: bonus cards and their points. A card is its serial (pseudonymous: no name,
-- address or e-mail is ever stored with it); points live in an append-only ledger
-- (card_transactions) whose sum is the card's balance, and in earn lots that remember
-- when their points expire, so burns can spend the points closest to expiry first.

-- The programme's rules, one row, changed with UPDATE (see docs/cards.md).
CREATE TABLE card_programme (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    points_per_euro  integer NOT NULL DEFAULT 1 CHECK (points_per_euro BETWEEN 0 AND 1000),
    cents_per_point  integer NOT NULL DEFAULT 1 CHECK (cents_per_point BETWEEN 1 AND 10000),
    expiry_months    integer NOT NULL DEFAULT 24 CHECK (expiry_months BETWEEN 1 AND 1200),
    min_basket_cents bigint NOT NULL DEFAULT 0 CHECK (min_basket_cents >= 0)
);
INSERT INTO card_programme DEFAULT VALUES;

-- Serials come from serial_counters (kind 'card'), like coupons'.
CREATE TABLE cards (
    serial     bigint PRIMARY KEY CHECK (serial BETWEEN 1 AND 4294967295),
    created_at timestamptz NOT NULL DEFAULT now(),
    balance    bigint NOT NULL DEFAULT 0 CHECK (balance >= 0)
);

-- The ledger: every change of a balance is one row, never updated or deleted.
--   earn        a purchase at a till (+points for basket_cents), idempotent by (terminal, txn_id)
--   burn        points spent at a till (-points), idempotent by (terminal, txn_id)
--   void        the reversal of one earn or burn (voids = its id), idempotent by (terminal, txn_id)
--   coupon      the points of a redeemed 'points' coupon (redemption_id)
--   coupon_void their reversal when that redemption is voided
--   expire      the points of lots past their expiry, written by card_expire()
CREATE TABLE card_transactions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    card_serial   bigint NOT NULL REFERENCES cards (serial),
    kind          text NOT NULL CHECK (kind IN ('earn', 'burn', 'void', 'coupon', 'coupon_void',
                                                'expire')),
    points        bigint NOT NULL,
    balance_after bigint NOT NULL CHECK (balance_after >= 0),
    basket_cents  bigint CHECK (basket_cents >= 0),
    voids         bigint UNIQUE REFERENCES card_transactions (id),
    redemption_id bigint REFERENCES redemptions (id),
    store_id      integer CHECK (store_id > 0),
    terminal      text,
    txn_id        text CHECK (length(txn_id) BETWEEN 1 AND 64),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (terminal, txn_id),
    CHECK ((kind IN ('earn', 'burn', 'void'))
           = (txn_id IS NOT NULL AND terminal IS NOT NULL AND store_id IS NOT NULL)),
    CHECK ((kind = 'earn') = (basket_cents IS NOT NULL)),
    CHECK ((kind = 'void') = (voids IS NOT NULL)),
    CHECK ((kind IN ('coupon', 'coupon_void')) = (redemption_id IS NOT NULL)),
    CHECK (CASE kind WHEN 'earn' THEN points >= 0
                     WHEN 'coupon' THEN points > 0
                     WHEN 'burn' THEN points < 0
                     WHEN 'expire' THEN points < 0
                     WHEN 'coupon_void' THEN points <= 0
                     ELSE true END)
);
CREATE INDEX card_transactions_card ON card_transactions (card_serial, id);
-- A redemption credits a card once and is reversed once.
CREATE UNIQUE INDEX card_transactions_redemption ON card_transactions (redemption_id, kind)
    WHERE redemption_id IS NOT NULL;

-- One lot per credit (earn or coupon): its points, what is left of them, and when they
-- expire. For every card, the sum of remaining equals the balance.
CREATE TABLE card_lots (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    card_serial    bigint NOT NULL REFERENCES cards (serial),
    transaction_id bigint NOT NULL UNIQUE REFERENCES card_transactions (id),
    points         bigint NOT NULL CHECK (points > 0),
    remaining      bigint NOT NULL CHECK (remaining >= 0 AND remaining <= points),
    expires_at     timestamptz NOT NULL
);
CREATE INDEX card_lots_open ON card_lots (card_serial, expires_at, id) WHERE remaining > 0;
CREATE INDEX card_lots_due ON card_lots (expires_at) WHERE remaining > 0;

-- Which lots a transaction took points from or gave points back to (append-only), so a
-- void restores exactly the lots its burn spent.
CREATE TABLE card_lot_moves (
    transaction_id bigint NOT NULL REFERENCES card_transactions (id),
    lot_id         bigint NOT NULL REFERENCES card_lots (id),
    points         bigint NOT NULL CHECK (points <> 0),
    PRIMARY KEY (transaction_id, lot_id)
);
CREATE INDEX card_lot_moves_lot ON card_lot_moves (lot_id);
