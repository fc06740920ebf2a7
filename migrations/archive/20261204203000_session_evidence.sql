-- A session's evidence (issue 18 a): photographs, video, audio and documents
-- the facilitator or the President uploads for a held session. The bytes
-- are an archived public object (kind `evidencia`, in the log); this row
-- ties them to the session, with the name, the alternative text of an image
-- and who uploaded them. Rows are only added.
CREATE TABLE archive_session_evidence (
    id              TEXT PRIMARY KEY,
    secretariat_id  TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    session_folio   TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    alt_text        TEXT,
    description     TEXT,
    uploaded_by     TEXT NOT NULL,
    uploaded_at     BIGINT NOT NULL,
    UNIQUE (session_id, sha256)
);
CREATE INDEX archive_session_evidence_folio ON archive_session_evidence (secretariat_id, session_folio, uploaded_at);
