-- The platform's tables, present in every service's database.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- Events this service emitted, written in the same transaction as the change
-- that caused them (the transactional outbox).
CREATE TABLE outbox_events (
    id          TEXT PRIMARY KEY,      -- UUID v7: unique across services, sortable by time
    event_type  TEXT NOT NULL,         -- e.g. 'session.closed'
    source      TEXT NOT NULL,         -- emitting service
    payload     TEXT NOT NULL,         -- JSON
    created_at  BIGINT NOT NULL        -- epoch ms
);

-- One row per (event, subscriber): what the relay must still deliver.
CREATE TABLE outbox_deliveries (
    event_id        TEXT NOT NULL REFERENCES outbox_events (id),
    subscriber      TEXT NOT NULL,     -- receiving service
    status          TEXT NOT NULL,     -- 'pending' | 'delivered' | 'dead'
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,   -- epoch ms; not before this
    claimed_until   BIGINT,            -- epoch ms; a replica holds it until then
    last_error      TEXT,
    delivered_at    BIGINT,
    PRIMARY KEY (event_id, subscriber)
);
CREATE INDEX outbox_deliveries_due ON outbox_deliveries (status, next_attempt_at);

-- Events this service received and applied: a repeat is recognised by its id
-- and ignored, so at-least-once delivery is exactly-once in effect.
CREATE TABLE inbox_events (
    event_id    TEXT PRIMARY KEY,
    event_type  TEXT NOT NULL,
    source      TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
