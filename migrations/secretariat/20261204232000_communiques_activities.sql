-- The public site's communiqués (section a, 000 V.10: "comunicados
-- relevantes" published by the President) and agenda of activities
-- (section b). Under maximum publicity (000 VII.7) neither is ever deleted:
-- a communiqué may be corrected (its `updated_at` moves and the previous
-- text stays in the audit log); an activity may be edited or cancelled, and
-- a cancelled one stays published as cancelled.
CREATE TABLE communiques (
    id              TEXT PRIMARY KEY,
    secretariat_id  TEXT NOT NULL REFERENCES secretariats (id),
    number          BIGINT NOT NULL,   -- 1, 2, …: its stable public URL
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,     -- plain text; blank lines separate paragraphs
    session_folio   TEXT,              -- the session it refers to, e.g. '2026-ORD-01'
    published_at    BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    corrections     BIGINT NOT NULL,   -- times corrected
    UNIQUE (secretariat_id, number)
);
CREATE TABLE activities (
    id                 TEXT PRIMARY KEY,
    secretariat_id     TEXT NOT NULL REFERENCES secretariats (id),
    number             BIGINT NOT NULL,
    title              TEXT NOT NULL,
    held_on            TEXT NOT NULL,   -- YYYY-MM-DD, the secretariat's local date
    start_time         TEXT,            -- HH:MM, the secretariat's local time
    place              TEXT,
    link               TEXT,            -- https://… (an online activity)
    description        TEXT,
    commitment_number  BIGINT,          -- a commitment of the Local Action Plan
    status             TEXT NOT NULL,   -- 'programada' | 'cancelada'
    cancel_reason      TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (secretariat_id, number)
);
CREATE INDEX activities_by_date ON activities (secretariat_id, held_on);
