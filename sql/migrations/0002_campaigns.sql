-- 0002: campaigns, the unit every coupon and every redemption is attributed to.
CREATE TABLE campaigns (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    channel          text NOT NULL CHECK (channel IN ('mailing', 'email', 'display', 'social',
                         'print', 'receipt', 'sms', 'app', 'poster', 'radio', 'other')),
    cost_cents       bigint NOT NULL CHECK (cost_cents >= 0),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    offer_kind       text NOT NULL CHECK (offer_kind IN ('percent', 'amount', 'points')),
    offer_value      bigint NOT NULL CHECK (offer_value > 0),
    min_basket_cents bigint NOT NULL DEFAULT 0 CHECK (min_basket_cents >= 0),
    max_redemptions  bigint CHECK (max_redemptions > 0),
    stores           integer[] CHECK (stores IS NULL OR cardinality(stores) > 0),
    variant_of       bigint REFERENCES campaigns (id),
    -- live redemptions, counted only for campaigns with max_redemptions (a guarded
    -- counter; unlimited campaigns never touch this row on the redeem path)
    limited_uses     bigint NOT NULL DEFAULT 0,
    issued           bigint NOT NULL DEFAULT 0 CHECK (issued >= 0),
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK (offer_kind <> 'percent' OR offer_value <= 100),
    CHECK (limited_uses >= 0 AND (max_redemptions IS NULL OR limited_uses <= max_redemptions))
);
CREATE INDEX campaigns_variant_of ON campaigns (variant_of) WHERE variant_of IS NOT NULL;
