-- The signing service's tables. Portable SQL: runs unchanged on SQLite and
-- PostgreSQL (TEXT ids, BIGINT epoch-ms, INTEGER flags, JSON as TEXT).
--
-- Nothing here is ever deleted by the API: a cancelled route keeps its
-- revisions, signers and history. Private keys and passwords are never
-- stored; a prepared signature holds only the public certificate and the
-- document.

-- Every PDF revision a route has had (approved, signable, one per
-- signature), stored once by content: the SHA-256 is the name.
CREATE TABLE signing_revisions (
    sha256      TEXT PRIMARY KEY,      -- hex, lower case
    size_bytes  BIGINT NOT NULL,
    content     BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

-- A signing route: one approved record, its signers, its current revision.
CREATE TABLE signing_routes (
    id              TEXT PRIMARY KEY,      -- UUID v7
    secretariat_id  TEXT NOT NULL,
    title           TEXT NOT NULL,
    record_kind     TEXT NOT NULL,         -- 'acta' | 'minuta'
    folio           TEXT,
    due_on          TEXT,                  -- AAAA-MM-DD, when signatures are expected by
    document_id     TEXT,                  -- the documents service's id, when opened by reference
    sign_order      TEXT NOT NULL,         -- 'any' | 'sequential'
    status          TEXT NOT NULL,         -- 'abierta' | 'completada' | 'cancelada'
    original_sha256 TEXT NOT NULL REFERENCES signing_revisions (sha256),
    signable_sha256 TEXT NOT NULL REFERENCES signing_revisions (sha256),
    -- The revision every prepare builds on; `complete` replaces it only if it
    -- is still the one its prepare saw (compare-and-swap).
    current_sha256  TEXT NOT NULL REFERENCES signing_revisions (sha256),
    final_sha256    TEXT REFERENCES signing_revisions (sha256),
    layout          TEXT NOT NULL,         -- JSON: the layout manifest
    recipients      TEXT NOT NULL,         -- JSON: secretariat, members, facilitators (for the events)
    cancel_reason   TEXT,
    opened_by       TEXT NOT NULL,         -- actor id
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    closed_at       BIGINT                 -- completed or cancelled
);
CREATE INDEX signing_routes_secretariat ON signing_routes (secretariat_id, created_at);

-- Who must sign a route, in the manifest's order.
CREATE TABLE signing_route_signers (
    route_id            TEXT NOT NULL REFERENCES signing_routes (id),
    signer_id           TEXT NOT NULL,     -- the manifest's id: the member id
    position            BIGINT NOT NULL,   -- 0, 1, 2… (the sequential order)
    name                TEXT NOT NULL,
    rfc                 TEXT NOT NULL,
    seat                TEXT NOT NULL,
    role                TEXT NOT NULL,
    email               TEXT,
    status              TEXT NOT NULL,     -- 'pendiente' | 'firmado' | 'rechazado'
    signed_at           BIGINT,
    certificate_number  TEXT,
    revision_sha256     TEXT REFERENCES signing_revisions (sha256),
    refusal_reason      TEXT,
    refused_at          BIGINT,
    PRIMARY KEY (route_id, signer_id)
);
CREATE UNIQUE INDEX signing_route_signers_rfc ON signing_route_signers (route_id, rfc);

-- The revisions of each route, in order.
CREATE TABLE signing_route_revisions (
    route_id    TEXT NOT NULL REFERENCES signing_routes (id),
    seq         BIGINT NOT NULL,           -- 0 approved, 1 signable, 2… one per signature
    sha256      TEXT NOT NULL REFERENCES signing_revisions (sha256),
    kind        TEXT NOT NULL,             -- 'aprobada' | 'firmable' | 'firma'
    signer_id   TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (route_id, seq)
);

-- A signer's revision waiting for its signature value (two-step signing).
CREATE TABLE signing_prepares (
    id                  TEXT PRIMARY KEY,  -- UUID v4: unguessable
    route_id            TEXT NOT NULL REFERENCES signing_routes (id),
    signer_id           TEXT NOT NULL,
    base_sha256         TEXT NOT NULL,     -- the revision it was built on
    certificate_number  TEXT NOT NULL,
    prepared_by         TEXT NOT NULL,     -- actor id: only they may complete it
    state               BYTEA,             -- JSON PreparedRevision; NULL once used or expired
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    completed_at        BIGINT
);
CREATE INDEX signing_prepares_route ON signing_prepares (route_id, created_at);

-- What happened to each route: who, when, with which certificate, from where.
CREATE TABLE signing_route_history (
    route_id            TEXT NOT NULL REFERENCES signing_routes (id),
    seq                 BIGINT NOT NULL,
    occurred_at         BIGINT NOT NULL,
    action              TEXT NOT NULL,     -- 'abierta' | 'preparada' | 'firmada' | 'rechazada' | 'cancelada' | 'completada'
    actor_id            TEXT NOT NULL,
    actor_name          TEXT NOT NULL,
    signer_id           TEXT,
    certificate_number  TEXT,
    address             TEXT,              -- the caller's IP address
    details             TEXT NOT NULL,     -- JSON
    PRIMARY KEY (route_id, seq)
);
