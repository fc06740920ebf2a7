-- Signed records, their ingestion from `route.completed`, refusals, and the
-- open data of the sessions they come from (000 V.10: máxima publicidad).

-- One job per completed signing route. The event handler only writes this
-- row (in the inbox transaction, so a repeated event is one job); a worker
-- fetches the final PDF, verifies it again and archives it, or records why
-- it refused. Replicas claim a job with a lease (claimed_until).
CREATE TABLE archive_ingest_jobs (
    route_id        TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL,
    payload         TEXT NOT NULL,        -- the route.completed payload, JSON
    state           TEXT NOT NULL,        -- 'pendiente', 'archivado', 'rechazado'
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,      -- epoch ms
    claimed_until   BIGINT,               -- epoch ms: a worker holds it until then
    last_error      TEXT,
    sha256          TEXT,                 -- of the archived PDF, once archived
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX archive_ingest_jobs_due ON archive_ingest_jobs (state, next_attempt_at);

-- A signed record (acta, minuta, convocatoria, entrega-recepción) as the
-- public finds it. The bytes are the archive object with the same sha256.
-- Signers are published with name, seat, role and certificate number only:
-- no CURP, no RFC, no e-mail (datos personales).
CREATE TABLE archive_records (
    sha256            TEXT PRIMARY KEY REFERENCES archive_objects (sha256),
    route_id          TEXT NOT NULL UNIQUE,
    secretariat_id    TEXT NOT NULL,
    secretariat_name  TEXT NOT NULL,
    kind              TEXT NOT NULL,
    folio             TEXT,
    title             TEXT NOT NULL,
    record_date       TEXT NOT NULL,      -- AAAA-MM-DD (central Mexico)
    record_year       INTEGER NOT NULL,
    size_bytes        BIGINT NOT NULL,
    signers           TEXT NOT NULL,      -- JSON array
    refusals          TEXT NOT NULL,      -- JSON array of members who refused, with their reasons
    archived_at       BIGINT NOT NULL
);
CREATE INDEX archive_records_secretariat ON archive_records (secretariat_id, record_date);
CREATE INDEX archive_records_year ON archive_records (record_year, record_date);
CREATE INDEX archive_records_order ON archive_records (record_date, sha256);
CREATE INDEX archive_records_folio ON archive_records (folio);
CREATE INDEX archive_records_kind ON archive_records (kind, record_date);

-- The words of each record's title (lower case, without accents), so a
-- title search is an index look-up per word instead of a scan.
CREATE TABLE archive_record_words (
    word    TEXT NOT NULL,
    sha256  TEXT NOT NULL REFERENCES archive_records (sha256),
    PRIMARY KEY (word, sha256)
);

-- How many records have each word: a search starts from its rarest word.
CREATE TABLE archive_word_counts (
    word    TEXT PRIMARY KEY,
    records BIGINT NOT NULL
);

-- Why a completed route's PDF was not archived as a good record.
CREATE TABLE archive_refusals (
    id              TEXT PRIMARY KEY,
    route_id        TEXT NOT NULL,
    secretariat_id  TEXT,
    sha256          TEXT,
    reason          TEXT NOT NULL,       -- Spanish
    report          TEXT,                -- the verification report, JSON
    refused_at      BIGINT NOT NULL
);
CREATE INDEX archive_refusals_route ON archive_refusals (route_id);

-- Open data from `session.closed`: one row per session, seat attendance,
-- vote and agreement. Rows of a session are replaced only by a later
-- version of the same event (never through the API).
CREATE TABLE archive_od_sessions (
    session_id        TEXT PRIMARY KEY,
    secretariat_id    TEXT NOT NULL,
    secretariat_name  TEXT NOT NULL,
    kind              TEXT NOT NULL,
    record            TEXT NOT NULL,
    number            BIGINT NOT NULL,
    folio             TEXT NOT NULL,
    title             TEXT NOT NULL,
    session_date      TEXT NOT NULL,
    place             TEXT NOT NULL,
    quorum_ok         INTEGER,
    quorum_explanation TEXT,
    closed_at         TEXT,
    received_at       BIGINT NOT NULL
);
CREATE INDEX archive_od_sessions_order ON archive_od_sessions (session_date, session_id);

CREATE TABLE archive_od_attendance (
    session_id      TEXT NOT NULL,
    seat            TEXT NOT NULL,
    seat_name       TEXT NOT NULL,
    sector          TEXT NOT NULL,
    sector_group    TEXT NOT NULL,
    represented_by  TEXT NOT NULL,
    suplente_acted  INTEGER NOT NULL,
    attendees       TEXT NOT NULL,       -- names, "; "-separated
    PRIMARY KEY (session_id, seat)
);

CREATE TABLE archive_od_votes (
    session_id      TEXT NOT NULL,
    motion_number   BIGINT NOT NULL,
    seat            TEXT NOT NULL,
    seat_name       TEXT NOT NULL,
    vote            TEXT NOT NULL,
    voter_name      TEXT,
    capacity        TEXT,
    PRIMARY KEY (session_id, motion_number, seat)
);

CREATE TABLE archive_od_agreements (
    session_id      TEXT NOT NULL,
    number          BIGINT NOT NULL,
    folio           TEXT NOT NULL,
    text            TEXT NOT NULL,
    responsible_seat TEXT,
    due_on          TEXT,
    status          TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    decided_by      TEXT NOT NULL,
    favor           BIGINT NOT NULL,
    contra          BIGINT NOT NULL,
    abstencion      BIGINT NOT NULL,
    explanation     TEXT NOT NULL,
    PRIMARY KEY (session_id, number)
);
