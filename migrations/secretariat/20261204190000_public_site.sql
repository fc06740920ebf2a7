-- The public site (issue 18, 000 V.10): each secretariat's stable public
-- slug, and what the public sends it — questions, complaints and suggestions
-- (section f) and requests to join the open-government exercises (section g).

-- Derived from the name when the secretariat is created and kept when the
-- name changes (its public URLs do not move). NULL only for secretariats
-- created before this migration; the service gives them one on first read.
ALTER TABLE secretariats ADD COLUMN slug TEXT;
CREATE UNIQUE INDEX secretariats_slug ON secretariats (slug);
-- Business days the facilitator has to answer a question or complaint.
ALTER TABLE secretariats ADD COLUMN inquiry_answer_days BIGINT NOT NULL DEFAULT 10;

-- Dudas, quejas y sugerencias (000 V.10 f). Name and email are optional and
-- never published; the folio is what the person follows its status by.
CREATE TABLE inquiries (
    id              TEXT PRIMARY KEY,
    secretariat_id  TEXT NOT NULL REFERENCES secretariats (id),
    folio           TEXT NOT NULL UNIQUE,   -- e.g. 'DQS-2026-7K3M9X'
    category        TEXT NOT NULL,          -- 'duda' | 'queja' | 'sugerencia'
    body            TEXT NOT NULL,
    name            TEXT,
    email           TEXT,
    filed_on        TEXT NOT NULL,          -- YYYY-MM-DD, the secretariat's local date
    due_on          TEXT NOT NULL,          -- YYYY-MM-DD, last business day to answer
    status          TEXT NOT NULL,          -- 'recibida' | 'respondida'
    answer          TEXT,
    answered_at     BIGINT,
    answered_by     TEXT,                   -- actor id
    created_at      BIGINT NOT NULL
);
CREATE INDEX inquiries_secretariat ON inquiries (secretariat_id, created_at);

-- Súmate (000 V.10 g): people who want to join the exercises.
CREATE TABLE join_requests (
    id              TEXT PRIMARY KEY,
    secretariat_id  TEXT NOT NULL REFERENCES secretariats (id),
    folio           TEXT NOT NULL UNIQUE,   -- e.g. 'SUM-2026-7K3M9X'
    name            TEXT NOT NULL,
    organisation    TEXT,
    sector          TEXT NOT NULL,          -- see api::public::SECTORS
    email           TEXT NOT NULL,
    reason          TEXT NOT NULL,
    filed_on        TEXT NOT NULL,          -- YYYY-MM-DD
    created_at      BIGINT NOT NULL
);
CREATE INDEX join_requests_secretariat ON join_requests (secretariat_id, created_at);
