-- End-of-term handovers (entrega-recepción, 000 III.7): the outgoing
-- member's activity report and documents, packed as a BagIt bag (RFC 8493)
-- whose inventory is signed by who delivers and who receives.
--
-- While a handover is open its files are staged in the object store by
-- content (create-only, like everything else there) but not logged; once
-- the inventory is signed, the bag with the signed inventory is archived and
-- logged as one package (kind `paquete_entrega`).

CREATE TABLE archive_handovers (
    id                    TEXT PRIMARY KEY,
    secretariat_id        TEXT NOT NULL,
    secretariat_name      TEXT NOT NULL,
    member_id             TEXT NOT NULL,      -- who hands over
    member_name           TEXT NOT NULL,
    member_rfc            TEXT,               -- never published
    seat                  TEXT,               -- the seat they held, when known
    successor_member_id   TEXT,               -- who receives for the seat, when designated
    successor_name        TEXT,
    observations          TEXT,
    -- 'abierta' (files may change), 'entregada' (submitted: frozen),
    -- 'en_firma' (inventory routed for signature), 'archivada'.
    status                TEXT NOT NULL,
    folio                 TEXT NOT NULL,
    report_sha256         TEXT,               -- the activity report among the files
    inventory_document_id TEXT,               -- in the documents service
    route_id              TEXT UNIQUE,        -- in the signing service
    inventory_sha256      TEXT,               -- the signed inventory (a public record)
    package_sha256        TEXT,               -- the archived ZIP
    package_size          BIGINT,
    created_at            BIGINT NOT NULL,
    submitted_at          BIGINT,
    routed_at             BIGINT,
    archived_at           BIGINT,
    submitted_on          TEXT,               -- AAAA-MM-DD (central Mexico), for open data
    archived_on           TEXT
);
CREATE INDEX archive_handovers_secretariat ON archive_handovers (secretariat_id, created_at);
CREATE INDEX archive_handovers_member ON archive_handovers (member_id, status);
CREATE UNIQUE INDEX archive_handovers_folio ON archive_handovers (secretariat_id, folio);

-- Every file of a handover, hashed on arrival. `path` is its name inside the
-- bag's payload (`data/…`), unique per handover.
CREATE TABLE archive_handover_files (
    handover_id   TEXT NOT NULL REFERENCES archive_handovers (id),
    path          TEXT NOT NULL,
    position      BIGINT NOT NULL,
    original_name TEXT NOT NULL,
    media_type    TEXT NOT NULL,              -- detected from the content
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    source        TEXT NOT NULL,              -- 'carga', 'registro', 'informe'
    description   TEXT,
    added_at      BIGINT NOT NULL,
    PRIMARY KEY (handover_id, path)
);
