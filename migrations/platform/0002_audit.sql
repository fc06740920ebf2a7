-- The audit trail, present in every service's database: every state change,
-- appended, each entry carrying the hash of the one before it, so a removed
-- or edited entry breaks the chain. Nothing in the API updates or deletes it.
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,   -- 1, 2, 3… without gaps
    occurred_at  BIGINT NOT NULL,      -- epoch ms
    actor_id     TEXT NOT NULL,        -- member id, API token id, 'operador', 'servicio:<name>'
    actor_name   TEXT NOT NULL,
    role         TEXT NOT NULL,        -- role in force when acting
    action       TEXT NOT NULL,        -- e.g. 'sesion.cerrar'
    subject      TEXT,                 -- id of what changed
    details      TEXT NOT NULL,        -- JSON
    address      TEXT,                 -- caller's network address
    request_id   TEXT,
    prev_hash    TEXT NOT NULL,        -- hash of entry seq-1 (64 zeros for the first)
    hash         TEXT NOT NULL         -- SHA-256 over prev_hash and this entry's fields
);
