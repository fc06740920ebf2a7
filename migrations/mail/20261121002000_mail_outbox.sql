-- The mail service's tables. Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- Every message to send, written in the same transaction as the event that
-- caused it (the mail outbox). One row per recipient.
CREATE TABLE mail_messages (
    id                  TEXT PRIMARY KEY,          -- UUID v7: sorts by time; names the .eml file
    idempotency_key     TEXT NOT NULL UNIQUE,      -- (event, kind, recipient): a repeat is never queued
    message_id          TEXT NOT NULL UNIQUE,      -- the Message-ID header, the same on every attempt
    kind                TEXT NOT NULL,             -- 'convocatoria', 'invitacion_firma', …
    event_id            TEXT,                      -- the event that caused it (none for reminders)
    event_type          TEXT,
    secretariat_id      TEXT,                      -- who may see it (President, facilitator)
    subject_ref         TEXT,                      -- session, route or member it is about
    recipient_member_id TEXT,
    recipient_name      TEXT NOT NULL,
    recipient_email     TEXT,                      -- NULL: no address (failed at once, facilitator told)
    subject             TEXT NOT NULL,
    body_text           TEXT NOT NULL,
    body_html           TEXT NOT NULL,
    calendar            TEXT,                      -- iCalendar text
    calendar_method     TEXT,                      -- 'REQUEST' | 'CANCEL'
    attachments         TEXT NOT NULL,             -- JSON: [DocumentRef]
    sensitive           INTEGER NOT NULL DEFAULT 0, -- 1: body holds a secret, erased once sent
    status              TEXT NOT NULL,             -- 'en_cola' | 'enviado' | 'fallido'
    attempts            BIGINT NOT NULL DEFAULT 0, -- since queued or last retried by a person
    next_attempt_at     BIGINT NOT NULL,           -- epoch ms; not before this
    claimed_until       BIGINT,                    -- epoch ms; a worker holds it until then
    claimed_by          TEXT,                      -- that worker
    last_error          TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    sent_at             BIGINT
);
CREATE INDEX mail_messages_due ON mail_messages (status, next_attempt_at);
CREATE INDEX mail_messages_event ON mail_messages (event_id);
CREATE INDEX mail_messages_secretariat ON mail_messages (secretariat_id, id);

-- Every delivery attempt and how it ended. An attempt is written before the
-- message is handed to the server, so one left 'en curso' (outcome NULL)
-- by a process that died is recognised and reported as interrupted.
CREATE TABLE mail_attempts (
    mail_id     TEXT NOT NULL REFERENCES mail_messages (id),
    number      BIGINT NOT NULL,                   -- 1, 2, 3… over the message's life
    worker      TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    outcome     TEXT,                              -- NULL while running; 'enviado' | 'reintento' | 'rechazo_permanente' | 'interrumpido'
    smtp_code   BIGINT,
    detail      TEXT,
    PRIMARY KEY (mail_id, number)
);

-- Attachments, one copy per content hash, fetched from the service that
-- holds them the first time a message needs them.
CREATE TABLE mail_attachments (
    sha256      TEXT PRIMARY KEY,
    media_type  TEXT NOT NULL,
    size        BIGINT NOT NULL,
    content     BYTEA NOT NULL,
    stored_at   BIGINT NOT NULL
);

-- The calendar invitation of each convened session: its UID and the last
-- SEQUENCE sent, so updates and cancellations replace it in calendars.
CREATE TABLE mail_calendar (
    session_id  TEXT PRIMARY KEY,
    uid         TEXT NOT NULL,
    sequence    BIGINT NOT NULL,
    status      TEXT NOT NULL,                     -- 'CONFIRMED' | 'CANCELLED'
    updated_at  BIGINT NOT NULL
);

-- Signing routes and their signers, for reminders while a member is pending.
CREATE TABLE mail_routes (
    route_id        TEXT PRIMARY KEY,
    secretariat_id  TEXT,
    details         TEXT NOT NULL,                 -- JSON: secretariat, route and facilitators, to write reminders
    status          TEXT NOT NULL,                 -- 'abierta' | 'completada' | 'cancelada'
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE mail_route_signers (
    route_id         TEXT NOT NULL REFERENCES mail_routes (route_id),
    member_id        TEXT NOT NULL,
    name             TEXT NOT NULL,
    email            TEXT,
    status           TEXT NOT NULL,                -- 'pendiente' | 'firmado' | 'rechazado'
    invited_at       BIGINT NOT NULL,
    reminders_sent   BIGINT NOT NULL DEFAULT 0,
    last_reminded_at BIGINT,
    next_reminder_at BIGINT,                       -- NULL: no reminder due (signed, no address, limit reached)
    PRIMARY KEY (route_id, member_id)
);
CREATE INDEX mail_route_signers_due ON mail_route_signers (status, next_reminder_at);
