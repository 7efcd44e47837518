-- 0040: the till offline and its day closing (issue 16).
--   redemptions.synced_at, card_transactions.synced_at
--                       a redemption or earn a till accepted while coupond could not be reached:
--                       created_at is the till's offline time, synced_at when it arrived (NULL
--                       for everything booked online)
--   offline_conflicts   a coupon a till accepted offline that the service could not redeem when
--                       it arrived (another till had redeemed it first, or it was no longer
--                       valid): the customer got the discount, so it is kept for a person to
--                       decide, never booked as a second redemption; idempotent by (terminal,
--                       txn_id) like a redemption
--   campaigns.starts_on, ends_on
--                       validity by local day: the campaign runs from the start of starts_on to
--                       the end of ends_on in the retailer's time zone
--   indexes             a terminal's day: its redemptions, voids, card transactions, conflicts
ALTER TABLE redemptions ADD COLUMN synced_at timestamptz;
ALTER TABLE card_transactions ADD COLUMN synced_at timestamptz;

CREATE TABLE offline_conflicts (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coupon_serial  bigint NOT NULL REFERENCES coupons (serial),
    campaign_id    bigint NOT NULL,
    store_id       integer NOT NULL CHECK (store_id > 0),
    terminal       text NOT NULL,
    txn_id         text NOT NULL CHECK (length(txn_id) BETWEEN 1 AND 64),
    basket_cents   bigint NOT NULL CHECK (basket_cents >= 0),
    discount_cents bigint NOT NULL CHECK (discount_cents >= 0 AND discount_cents <= basket_cents),
    card_serial    bigint,
    reason         text NOT NULL CHECK (reason ~ '^[a-z_]{1,40}$'),
    -- the live redemption the coupon had when this arrived (already_redeemed), else NULL
    redemption_id  bigint REFERENCES redemptions (id),
    offline_at     timestamptz NOT NULL,
    synced_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (terminal, txn_id)
);
CREATE INDEX offline_conflicts_campaign ON offline_conflicts (campaign_id, id);
CREATE INDEX offline_conflicts_terminal ON offline_conflicts (terminal, offline_at);

CREATE INDEX redemptions_terminal_time ON redemptions (terminal, created_at);
CREATE INDEX redemption_voids_terminal_time ON redemption_voids (terminal, created_at);
CREATE INDEX card_transactions_terminal_time ON card_transactions (terminal, created_at)
    WHERE terminal IS NOT NULL;

ALTER TABLE campaigns
    ADD COLUMN starts_on date,
    ADD COLUMN ends_on date,
    ADD CONSTRAINT campaigns_local_days CHECK (starts_on <= ends_on);
