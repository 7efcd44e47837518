-- 0080: at the counter (issue 17). Every rule below is enforced in the database, under a row
-- lock or a unique key, so that a bug in C cannot break it (docs/counter.md):
--   campaigns            per-card limit, coupons per receipt, exclusive or stackable, and the
--                        bounce-back trigger of a 'receipt' campaign
--   coupon_batches,      a generic code's own per-card limit (kept on the coupon too, so the
--   coupons              redeem path reads it with the row it reads anyway)
--   card_limit_uses      live redemptions per card, for a limited code or campaign (a guarded
--                        counter: taken under its row lock while below the limit, given back
--                        by a void)
--   receipt_stacks       one row per receipt that carried a coupon: its basket, the discount
--                        of its live coupons (never above the basket) and how many are
--                        exclusive; the lock every coupon of one receipt takes in turn
--   bounce_pool          serials reserved (and checked by the word filter) for a bounce-back
--                        campaign, taken one at a time inside a redemption or an earn
--   bounce_coupons       the bounce-back coupon each redemption, earn or receipt got: one each
--   redemption_returns,  partial returns of a redemption and their running totals (the totals
--   redemption_returned  never above the basket and its discount)
--   card_transactions    kind 'return': points of a credit given back by a return (returns_of)
--   receipt_credits      a receipt code's purchase credited to a card: once (primary key)
--   card_programme       how many days after a purchase its receipt code can be credited
--   redemption_vat       a redemption's basket and discount per VAT rate (DSFinV-K keys)

ALTER TABLE campaigns
    ADD COLUMN IF NOT EXISTS max_per_card integer CHECK (max_per_card BETWEEN 1 AND 1000000),
    ADD COLUMN IF NOT EXISTS max_per_receipt integer NOT NULL DEFAULT 1
        CHECK (max_per_receipt BETWEEN 1 AND 100),
    ADD COLUMN IF NOT EXISTS combinable text NOT NULL DEFAULT 'stackable'
        CHECK (combinable IN ('exclusive', 'stackable')),
    ADD COLUMN IF NOT EXISTS trigger_min_basket_cents bigint
        CHECK (trigger_min_basket_cents >= 0),
    ADD COLUMN IF NOT EXISTS trigger_card_required boolean;
ALTER TABLE campaigns DROP CONSTRAINT IF EXISTS campaigns_trigger,
    ADD CONSTRAINT campaigns_trigger
        CHECK ((trigger_min_basket_cents IS NULL) = (trigger_card_required IS NULL)
               AND (trigger_min_basket_cents IS NULL OR channel = 'receipt'));
-- The redeem path asks it for a trigger a basket meets: empty while no campaign has one.
CREATE INDEX IF NOT EXISTS campaigns_triggered ON campaigns (trigger_min_basket_cents, id)
    WHERE trigger_min_basket_cents IS NOT NULL AND ended_at IS NULL;

ALTER TABLE coupon_batches
    ADD COLUMN IF NOT EXISTS max_per_card integer CHECK (max_per_card BETWEEN 1 AND 1000000);
-- No CHECK here: it would scan every coupon; the batch's CHECK guards what is copied.
ALTER TABLE coupons ADD COLUMN IF NOT EXISTS max_per_card integer;

CREATE TABLE IF NOT EXISTS card_limit_uses (
    scope       text NOT NULL CHECK (scope IN ('coupon', 'campaign')),
    scope_id    bigint NOT NULL,
    card_serial bigint NOT NULL CHECK (card_serial BETWEEN 1 AND 4294967295),
    uses        integer NOT NULL CHECK (uses >= 0),
    PRIMARY KEY (scope, scope_id, card_serial)
);

CREATE TABLE IF NOT EXISTS receipt_stacks (
    terminal       text NOT NULL,
    receipt        text NOT NULL CHECK (length(receipt) BETWEEN 1 AND 64),
    basket_cents   bigint NOT NULL CHECK (basket_cents >= 0),
    discount_cents bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
    coupons        integer NOT NULL DEFAULT 0 CHECK (coupons >= 0),
    exclusive      integer NOT NULL DEFAULT 0 CHECK (exclusive >= 0),
    PRIMARY KEY (terminal, receipt),
    CHECK (discount_cents <= basket_cents),
    CHECK (exclusive = 0 OR coupons = 1)
);
-- The live coupons of a receipt (only rows with a receipt id are in it).
CREATE INDEX IF NOT EXISTS redemptions_receipt ON redemptions (terminal, receipt)
    WHERE receipt IS NOT NULL;

CREATE TABLE IF NOT EXISTS bounce_pool (
    serial      bigint PRIMARY KEY CHECK (serial BETWEEN 1 AND 4294967295),
    campaign_id bigint NOT NULL REFERENCES campaigns (id),
    batch_id    bigint NOT NULL REFERENCES coupon_batches (id)
);
CREATE INDEX IF NOT EXISTS bounce_pool_campaign ON bounce_pool (campaign_id, serial);

CREATE TABLE IF NOT EXISTS bounce_coupons (
    serial              bigint PRIMARY KEY REFERENCES coupons (serial),
    campaign_id         bigint NOT NULL,
    terminal            text NOT NULL,
    receipt             text,
    redemption_id       bigint UNIQUE REFERENCES redemptions (id),
    card_transaction_id bigint UNIQUE REFERENCES card_transactions (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((redemption_id IS NULL) <> (card_transaction_id IS NULL))
);
-- One bounce-back coupon per receipt, however many of its coupons met a trigger.
CREATE UNIQUE INDEX IF NOT EXISTS bounce_coupons_receipt ON bounce_coupons (terminal, receipt)
    WHERE receipt IS NOT NULL;

CREATE TABLE IF NOT EXISTS redemption_returns (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    redemption_id  bigint NOT NULL REFERENCES redemptions (id),
    store_id       integer NOT NULL CHECK (store_id > 0),
    terminal       text NOT NULL,
    txn_id         text NOT NULL CHECK (length(txn_id) BETWEEN 1 AND 64),
    returned_cents bigint NOT NULL CHECK (returned_cents > 0),
    discount_cents bigint NOT NULL CHECK (discount_cents >= 0),
    points         bigint NOT NULL DEFAULT 0 CHECK (points >= 0),
    card_transaction_id bigint REFERENCES card_transactions (id), -- the points' ledger row
    -- the redemption's running totals after this return (a replay answers them again)
    returned_total_cents bigint NOT NULL CHECK (returned_total_cents >= returned_cents),
    discount_total_cents bigint NOT NULL CHECK (discount_total_cents >= discount_cents),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (terminal, txn_id)
);
CREATE INDEX IF NOT EXISTS redemption_returns_redemption ON redemption_returns (redemption_id);

CREATE TABLE IF NOT EXISTS redemption_returned (
    redemption_id           bigint PRIMARY KEY REFERENCES redemptions (id),
    campaign_id             bigint NOT NULL,
    basket_cents            bigint NOT NULL,
    discount_cents          bigint NOT NULL,
    returned_cents          bigint NOT NULL CHECK (returned_cents >= 0),
    returned_discount_cents bigint NOT NULL CHECK (returned_discount_cents >= 0),
    returns                 integer NOT NULL CHECK (returns >= 0),
    CHECK (returned_cents <= basket_cents),
    CHECK (returned_discount_cents <= discount_cents)
);
CREATE INDEX IF NOT EXISTS redemption_returned_campaign ON redemption_returned (campaign_id);

ALTER TABLE card_transactions
    ADD COLUMN IF NOT EXISTS returns_of bigint REFERENCES card_transactions (id);
ALTER TABLE card_transactions DROP CONSTRAINT IF EXISTS card_transactions_kind_check,
    ADD CONSTRAINT card_transactions_kind_check
        CHECK (kind IN ('earn', 'burn', 'void', 'coupon', 'coupon_void', 'expire', 'return'));
ALTER TABLE card_transactions DROP CONSTRAINT IF EXISTS card_transactions_return,
    ADD CONSTRAINT card_transactions_return
        CHECK ((kind = 'return') = (returns_of IS NOT NULL) AND (kind <> 'return' OR points <= 0));
CREATE INDEX IF NOT EXISTS card_transactions_returns_of ON card_transactions (returns_of)
    WHERE returns_of IS NOT NULL;

ALTER TABLE card_programme
    ADD COLUMN IF NOT EXISTS receipt_credit_days integer NOT NULL DEFAULT 14
        CONSTRAINT card_programme_receipt_credit_days CHECK (receipt_credit_days BETWEEN 1 AND 365);

CREATE TABLE IF NOT EXISTS receipt_credits (
    terminal       text NOT NULL,
    txn_id         text NOT NULL CHECK (length(txn_id) BETWEEN 1 AND 64),
    card_serial    bigint NOT NULL,
    transaction_id bigint NOT NULL UNIQUE REFERENCES card_transactions (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (terminal, txn_id)
);

CREATE TABLE IF NOT EXISTS redemption_vat (
    redemption_id   bigint PRIMARY KEY REFERENCES redemptions (id),
    campaign_id     bigint NOT NULL, -- the report reads a campaign's rows by it
    basket_by_vat   jsonb NOT NULL CHECK (jsonb_typeof(basket_by_vat) = 'object'),
    discount_by_vat jsonb NOT NULL CHECK (jsonb_typeof(discount_by_vat) = 'object')
);
CREATE INDEX IF NOT EXISTS redemption_vat_campaign ON redemption_vat (campaign_id);
