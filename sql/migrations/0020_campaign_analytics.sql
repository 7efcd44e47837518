-- 0020: response analytics and the campaign's life cycle (issue 11).
--   settings            the retailer's settings (one row): the time zone local days are
--                       counted in (report days, in-home dates, the till's business day)
--   campaigns           in-home date, gross margin, fixed cost and response window for the
--                       figures; paused/ended for the life cycle; the batches withdrawn; the
--                       key of the holdout draw
--   coupon_batches      a batch can be voided (withdrawn: its coupons are refused)
--   redemptions         the till's receipt id, so a basket's revenue counts once
--   recipient_lists     a mailing's recipient list (one per campaign) and its holdout cards
--   audit_log           every change a marketer or admin makes: who, when, what, before, after

-- One row, changed with UPDATE (docs/operations.md). An unknown zone name fails the CHECK's
-- conversion, so the row always names a zone PostgreSQL knows.
CREATE TABLE settings (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    time_zone text NOT NULL DEFAULT 'Europe/Berlin'
              CHECK (('2000-01-01 00:00:00+00'::timestamptz AT TIME ZONE time_zone) IS NOT NULL)
);
INSERT INTO settings DEFAULT VALUES;

ALTER TABLE campaigns
    ADD COLUMN in_home_date date,
    ADD COLUMN gross_margin_pct numeric(5, 2) CHECK (gross_margin_pct BETWEEN 0 AND 100),
    ADD COLUMN fixed_cost_cents bigint CHECK (fixed_cost_cents >= 0),
    ADD COLUMN response_window_days integer NOT NULL DEFAULT 56
               CHECK (response_window_days BETWEEN 1 AND 3660),
    ADD COLUMN paused_at timestamptz,
    ADD COLUMN ended_at timestamptz,
    -- the batches voided (withdrawn), read by the redeem path with the campaign's row
    ADD COLUMN voided_batches bigint[] NOT NULL DEFAULT '{}',
    -- the SipHash key of the holdout draw: 16 random bytes per campaign
    ADD COLUMN holdout_key bytea NOT NULL
               DEFAULT decode(replace(gen_random_uuid()::text, '-', ''), 'hex')
               CHECK (length(holdout_key) = 16),
    ADD CONSTRAINT campaigns_ended_not_paused CHECK (ended_at IS NULL OR paused_at IS NULL);
UPDATE campaigns
   SET in_home_date = (starts_at AT TIME ZONE (SELECT time_zone FROM settings))::date;
ALTER TABLE campaigns ALTER COLUMN in_home_date SET NOT NULL;

ALTER TABLE coupon_batches
    ADD COLUMN voided_at timestamptz,
    ADD COLUMN voided_by text,
    ADD COLUMN void_reason text CHECK (length(void_reason) BETWEEN 1 AND 200),
    ADD CONSTRAINT coupon_batches_voided_by CHECK ((voided_at IS NULL) = (voided_by IS NULL));

ALTER TABLE redemptions ADD COLUMN receipt text CHECK (length(receipt) BETWEEN 1 AND 64);
-- A card's purchases in a response window (the holdout lift); only rows with a card.
CREATE INDEX redemptions_card ON redemptions (card_serial, created_at)
    WHERE card_serial IS NOT NULL;

-- A mailing's recipients: the list's digest (SHA-256 of the campaign, the holdout percentage
-- and the sorted card serials) makes an upload idempotent; the mailed cards are the coupons
-- of batch_id (each bound to its card), the held-out cards are rows of recipient_holdout.
-- done is false while the coupons are being issued (an interrupted upload resumes).
CREATE TABLE recipient_lists (
    campaign_id    bigint PRIMARY KEY REFERENCES campaigns (id),
    digest         bytea NOT NULL CHECK (length(digest) = 32),
    holdout_digest bytea NOT NULL CHECK (length(holdout_digest) = 32),
    recipients     integer NOT NULL CHECK (recipients BETWEEN 1 AND 1000000),
    holdout_pct    numeric(5, 2) NOT NULL CHECK (holdout_pct BETWEEN 0 AND 100),
    holdout        integer NOT NULL CHECK (holdout BETWEEN 0 AND recipients),
    batch_id       bigint REFERENCES coupon_batches (id),
    done           boolean NOT NULL DEFAULT false,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT done OR (batch_id IS NOT NULL) = (holdout < recipients))
);
-- The held-out cards (no coupon). The cards were checked against the cards table at upload;
-- a foreign key would cost a lookup per row of lists of up to a million.
CREATE TABLE recipient_holdout (
    campaign_id bigint NOT NULL REFERENCES recipient_lists (campaign_id),
    card_serial bigint NOT NULL CHECK (card_serial BETWEEN 1 AND 4294967295),
    PRIMARY KEY (campaign_id, card_serial)
);

-- Append-only (a trigger in sql/functions refuses UPDATE and DELETE). before and after hold
-- only what changed (all of it for a creation).
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    actor_role  text CHECK (actor_role IN ('terminal', 'marketer', 'admin')),
    action      text NOT NULL CHECK (action ~ '^[a-z]+\.[a-z_]+$'),
    campaign_id bigint,
    object_type text NOT NULL CHECK (object_type IN ('campaign', 'batch', 'recipients')),
    object_id   bigint NOT NULL,
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_campaign ON audit_log (campaign_id, id);
