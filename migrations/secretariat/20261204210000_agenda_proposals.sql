-- Members' proposals for a session's agenda (000 VII.3: the President
-- proposes the agenda, incorporating the members' proposals).
CREATE TABLE agenda_proposals (
    id           TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions (id),
    member_id    TEXT NOT NULL,
    member_name  TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT,
    status       TEXT NOT NULL,  -- 'propuesta' | 'incorporada'
    created_at   BIGINT NOT NULL,
    decided_at   BIGINT
);
CREATE INDEX agenda_proposals_session ON agenda_proposals (session_id, created_at);
