-- The documents service's tables. Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- A record (acta, minuta, convocatoria, informe, acta de entrega-recepción).
-- Drafts are versioned; once a version is approved the record is frozen:
-- no new version, no change, never re-rendered.
CREATE TABLE documents (
    id               TEXT PRIMARY KEY,          -- UUID v7
    kind             TEXT NOT NULL,             -- 'acta' | 'minuta' | 'convocatoria' | 'informe' | 'entrega_recepcion'
    folio            TEXT NOT NULL,
    title            TEXT NOT NULL,
    secretariat_id   TEXT,                      -- whose record it is (who may read it)
    session_id       TEXT,                      -- the session it records, if any
    source_event_id  TEXT UNIQUE,               -- the session.closed event that drafted it
    latest_version   BIGINT NOT NULL,
    approved_version BIGINT,                    -- NULL while a draft
    approved_at      BIGINT,                    -- epoch ms
    approved_by      TEXT,                      -- actor id
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX documents_session ON documents (session_id);
CREATE INDEX documents_secretariat ON documents (secretariat_id, created_at);

-- Every rendered version, with the data it was rendered from and its hash.
CREATE TABLE document_versions (
    document_id TEXT NOT NULL REFERENCES documents (id),
    version     BIGINT NOT NULL,                -- 1, 2, 3…
    sha256      TEXT NOT NULL,                  -- of pdf, hex
    page_count  BIGINT NOT NULL,
    page_width  BIGINT NOT NULL,                -- points
    page_height BIGINT NOT NULL,                -- points
    data        TEXT NOT NULL,                  -- JSON the version was rendered from
    pdf         BYTEA NOT NULL,                 -- PDF/A-2b
    layout      TEXT NOT NULL,                  -- JSON: rubrica_pdfsign::LayoutManifest
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,                  -- actor id
    PRIMARY KEY (document_id, version)
);
