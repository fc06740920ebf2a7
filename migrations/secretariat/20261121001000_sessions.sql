-- The secretariat's own records: its settings beyond the rules configuration,
-- the calls opened by resignations, and its sessions with their agenda,
-- attendance, motions, votes and agreements.
-- Portable SQL: TEXT ids and dates (YYYY-MM-DD), BIGINT epoch-ms and flags,
-- JSON as TEXT.

-- Who signs the acta besides titulars and acting suplentes (000 V.7; issue 4:
-- configurable per secretariat), and the local time zone of its sessions.
ALTER TABLE secretariats ADD COLUMN enlaces_sign BIGINT NOT NULL DEFAULT 0;
ALTER TABLE secretariats ADD COLUMN invited_members_sign BIGINT NOT NULL DEFAULT 0;
ALTER TABLE secretariats ADD COLUMN utc_offset_minutes BIGINT NOT NULL DEFAULT -360;

-- The secretariat's own non-working days (vacations, local holidays,
-- election days): business days skip them (000 V.6).
CREATE TABLE non_working_days (
    secretariat_id  TEXT NOT NULL REFERENCES secretariats (id),
    day             TEXT NOT NULL,     -- YYYY-MM-DD
    reason          TEXT,
    PRIMARY KEY (secretariat_id, day)
);

-- What term computations need (000 II.2–3).
ALTER TABLE designations ADD COLUMN body TEXT;               -- the body represented (municipality, university…), for 000 II.2.e
ALTER TABLE designations ADD COLUMN term_starts_on TEXT;     -- YYYY-MM-DD first day of the term served; NULL = starts_on
ALTER TABLE designations ADD COLUMN incorporated_until TEXT; -- YYYY-MM-DD end of the municipality's period (000 II.2.e)
ALTER TABLE designations ADD COLUMN mandate_changed_on TEXT; -- YYYY-MM-DD the mandate changed (000 II.2.a–d)

-- Calls (convocatorias) to fill a vacancy opened by a resignation (000 II.4.V).
CREATE TABLE vacancy_calls (
    id              TEXT PRIMARY KEY,
    secretariat_id  TEXT NOT NULL REFERENCES secretariats (id),
    seat            TEXT NOT NULL,
    vacancy         TEXT NOT NULL,     -- 'titular' | 'suplente' | 'titular_y_suplente'
    run_by          TEXT NOT NULL,     -- 'titular' | 'presidente' | 'ente_que_designa'
    resignation     TEXT NOT NULL,     -- 'titular' | 'suplente' | 'ambos'
    explanation     TEXT NOT NULL,     -- the rules' Spanish explanation
    opened_on       TEXT NOT NULL,     -- YYYY-MM-DD
    status          TEXT NOT NULL,     -- 'abierta' | 'cerrada'
    closed_on       TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX vacancy_calls_seat ON vacancy_calls (secretariat_id, seat, status);

-- Sessions and work meetings (000 V).
CREATE TABLE sessions (
    id                      TEXT PRIMARY KEY,
    secretariat_id          TEXT NOT NULL REFERENCES secretariats (id),
    kind                    TEXT NOT NULL,   -- 'ordinaria' | 'extraordinaria' | 'reunion_de_trabajo'
    number                  BIGINT NOT NULL, -- per secretariat, kind and year
    folio                   TEXT NOT NULL,   -- e.g. '2026-ORD-01'
    held_on                 TEXT NOT NULL,   -- YYYY-MM-DD
    scheduled_time          TEXT NOT NULL,   -- HH:MM, local time
    place                   TEXT NOT NULL,
    status                  TEXT NOT NULL,   -- 'programada' | 'convocada' | 'abierta' | 'cerrada'
    convocatoria_issued_on  TEXT,            -- YYYY-MM-DD
    notice                  TEXT,            -- JSON: the notice finding (000 V.6)
    opened_at               BIGINT,
    quorum_at_opening       TEXT,            -- JSON: the quorum finding (000 V.2–3)
    agenda_approval         TEXT,            -- JSON: the agenda finding and its votes (000 V.1)
    closed_at               BIGINT,
    closed_event_id         TEXT,            -- the session.closed outbox event
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL,
    UNIQUE (secretariat_id, folio)
);
CREATE INDEX sessions_secretariat ON sessions (secretariat_id, held_on);

-- The agenda (orden del día) and what was deliberated on each item.
CREATE TABLE agenda_items (
    id            TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL REFERENCES sessions (id),
    position      BIGINT NOT NULL,           -- 1, 2, 3…
    title         TEXT NOT NULL,
    description   TEXT,
    deliberation  TEXT,
    UNIQUE (session_id, position)
);

-- Arrivals and departures: one row per stay of a member in the session.
CREATE TABLE attendance (
    id           TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions (id),
    member_id    TEXT NOT NULL REFERENCES members (id),
    capacity     TEXT NOT NULL,              -- 'titular' | 'suplente' | 'enlace' | 'facilitador' | 'invitado'
    seat         TEXT,
    arrived_at   BIGINT NOT NULL,
    departed_at  BIGINT                      -- NULL while present
);
CREATE INDEX attendance_session ON attendance (session_id, member_id);

-- Motions put to the vote, with the findings at the moment of the vote.
CREATE TABLE motions (
    id               TEXT PRIMARY KEY,
    session_id       TEXT NOT NULL REFERENCES sessions (id),
    number           BIGINT NOT NULL,        -- 1, 2, 3… per session
    agenda_position  BIGINT,
    wording          TEXT NOT NULL,
    quorum           TEXT NOT NULL,          -- JSON: quorum finding at the vote
    decision         TEXT NOT NULL,          -- JSON: decision finding (000 VI)
    outcome          TEXT NOT NULL,          -- 'aprobado' | 'rechazado'
    voted_at         BIGINT NOT NULL,
    UNIQUE (session_id, number)
);

CREATE TABLE votes (
    motion_id   TEXT NOT NULL REFERENCES motions (id),
    seat        TEXT NOT NULL,
    vote        TEXT NOT NULL,               -- 'favor' | 'contra' | 'abstencion'
    member_id   TEXT REFERENCES members (id),-- who cast it for the seat
    capacity    TEXT,                        -- 'titular' | 'suplente'
    PRIMARY KEY (motion_id, seat)
);

-- Agreements (acuerdos): numbered per session, born of an approved motion.
CREATE TABLE agreements (
    id                TEXT PRIMARY KEY,
    secretariat_id    TEXT NOT NULL REFERENCES secretariats (id),
    session_id        TEXT NOT NULL REFERENCES sessions (id),
    motion_id         TEXT NOT NULL REFERENCES motions (id),
    number            BIGINT NOT NULL,
    folio             TEXT NOT NULL,         -- e.g. '2026-ORD-01/ACU-01'
    wording           TEXT NOT NULL,
    responsible_seat  TEXT,
    due_on            TEXT,                  -- YYYY-MM-DD
    status            TEXT NOT NULL,         -- 'pendiente' | 'en_proceso' | 'cumplido' | 'cancelado'
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (session_id, number),
    UNIQUE (motion_id)
);
CREATE INDEX agreements_secretariat ON agreements (secretariat_id, status);

-- Follow-up of an agreement (000 IV.2–3): every status change, with its note.
CREATE TABLE agreement_updates (
    id            TEXT PRIMARY KEY,
    agreement_id  TEXT NOT NULL REFERENCES agreements (id),
    status        TEXT NOT NULL,
    note          TEXT,
    recorded_at   BIGINT NOT NULL,
    recorded_by   TEXT NOT NULL              -- actor id
);
CREATE INDEX agreement_updates_agreement ON agreement_updates (agreement_id, recorded_at);
