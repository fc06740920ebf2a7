-- Terms whose ending was announced (`term.ending`, 000 III.7): one row per
-- designation and term end, so the daily pass announces each once only.
CREATE TABLE term_reminders (
    designation_id  TEXT NOT NULL,
    term_ends_on    TEXT NOT NULL,     -- AAAA-MM-DD
    secretariat_id  TEXT NOT NULL,
    member_id       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (designation_id, term_ends_on)
);
