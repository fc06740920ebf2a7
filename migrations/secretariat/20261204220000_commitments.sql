-- The Local Action Plan's commitments and their milestones (000 IV.1–3,
-- published in section b of the public site, 000 V.10): maintained by the
-- President and the facilitator; progress rolls up from the milestones.
CREATE TABLE commitments (
    id                TEXT PRIMARY KEY,
    secretariat_id    TEXT NOT NULL REFERENCES secretariats (id),
    number            BIGINT NOT NULL,
    title             TEXT NOT NULL,
    description       TEXT,
    responsible_seat  TEXT,
    starts_on         TEXT NOT NULL,   -- YYYY-MM-DD
    due_on            TEXT NOT NULL,   -- YYYY-MM-DD
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (secretariat_id, number)
);
CREATE TABLE commitment_milestones (
    id             TEXT PRIMARY KEY,
    commitment_id  TEXT NOT NULL REFERENCES commitments (id),
    position       BIGINT NOT NULL,
    title          TEXT NOT NULL,
    weight         BIGINT NOT NULL,   -- 1..100, its share of the commitment
    due_on         TEXT,
    progress       BIGINT NOT NULL,   -- 0..100
    note           TEXT,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX commitment_milestones_commitment ON commitment_milestones (commitment_id, position);
