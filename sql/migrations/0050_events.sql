-- 0050: the event outbox, webhook subscriptions and their delivery log (issue 15).
--   event_queue        written by triggers (sql/functions/0800_event_triggers.sql) in the same
--                      transaction as each state change: a row exists if and only if the change
--                      committed. Its qid comes from a sequence, so qids can commit out of order.
--   events             the published events: a single publisher at a time (events_publish(),
--                      serialised by the row lock on event_counter) moves committed queue rows
--                      here and numbers them 1, 2, 3, ... in the order it sees them commit, so
--                      ids are gap-free and every reader that has seen id N has seen 1..N.
--   webhooks           admin-managed subscriptions: an https URL, event types, the receiver's CA,
--                      the signing secret; cursor = the last event id handled for it.
--   webhook_attempts   the delivery log: one row per HTTP attempt.
-- Payloads hold serials, never code or card text: coupond renders them (masked unless the
-- subscription may see them) when it sends an event.
CREATE TABLE event_queue (
    qid         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type        text NOT NULL,
    campaign_id bigint,
    payload     jsonb NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now()
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);

CREATE TABLE event_counter (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_id bigint NOT NULL DEFAULT 0 CHECK (last_id >= 0)
);
INSERT INTO event_counter DEFAULT VALUES;

CREATE TABLE events (
    id           bigint PRIMARY KEY CHECK (id > 0),
    type         text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
    campaign_id  bigint,
    payload      jsonb NOT NULL,
    occurred_at  timestamptz NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhooks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url             text NOT NULL CHECK (url ~ '^https://' AND length(url) <= 2048),
    event_types     text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 64),
    ca_pem          text CHECK (length(ca_pem) <= 65536),
    secret          bytea NOT NULL CHECK (length(secret) BETWEEN 24 AND 64),
    -- codes and card numbers in clear (otherwise masked)
    reveal_codes    boolean NOT NULL DEFAULT false,
    state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'failing', 'deleted')),
    cursor          bigint NOT NULL CHECK (cursor >= 0),
    failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    failing_since   timestamptz,
    next_attempt_at timestamptz,
    last_error      text,
    delivered       bigint NOT NULL DEFAULT 0,
    request_key     text CHECK (length(request_key) BETWEEN 1 AND 128),
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    UNIQUE (request_key),
    CHECK ((state = 'deleted') = (deleted_at IS NOT NULL))
);

CREATE TABLE webhook_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id  bigint NOT NULL REFERENCES webhooks (id),
    event_id    bigint NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    status      integer,
    error       text,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    delivered   boolean NOT NULL
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts (webhook_id, id);
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);
