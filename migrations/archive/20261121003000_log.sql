-- The archive's tamper-evident log and the objects it vouches for.
--
-- Nothing in the API updates or deletes these rows: entries are appended in
-- a serialised transaction (an advisory lock on PostgreSQL, BEGIN IMMEDIATE
-- on SQLite) together with the tree head signed over them. The log's private
-- key is never stored here; only the public key that signed each head is.

-- One leaf of the Merkle log (RFC 6962) per archived object, 0, 1, 2…
-- without gaps. The leaf hash is computed from the other columns (see
-- `rubrica_archive::log::LeafEntry`), so a tampered row is detected.
CREATE TABLE archive_log_entries (
    log_index   BIGINT PRIMARY KEY,
    leaf_hash   TEXT NOT NULL,         -- hex
    sha256      TEXT NOT NULL UNIQUE,  -- the object's SHA-256, hex, lower case
    kind        TEXT NOT NULL,         -- 'acta', 'minuta', 'paquete_entrega'…
    created_at  BIGINT NOT NULL        -- epoch ms, part of the leaf
);

-- A signed tree head for every size the log has had (0 is the empty log).
CREATE TABLE archive_tree_heads (
    tree_size   BIGINT PRIMARY KEY,
    root_hash   TEXT NOT NULL,         -- hex
    signed_at   BIGINT NOT NULL,       -- epoch ms, part of the signed bytes
    signature   TEXT NOT NULL,         -- Ed25519, base64
    public_key  TEXT NOT NULL          -- the key that signed it, hex (public)
);

-- What is known about each stored object. The bytes live in the object
-- store under `sha256/<2 hex>/<2 hex>/<hex>`.
CREATE TABLE archive_objects (
    sha256          TEXT PRIMARY KEY,
    log_index       BIGINT NOT NULL UNIQUE REFERENCES archive_log_entries (log_index),
    size_bytes      BIGINT NOT NULL,
    media_type      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    title           TEXT,
    secretariat_id  TEXT,
    metadata        TEXT NOT NULL,     -- JSON from the service that archived it
    published       INTEGER NOT NULL,  -- 1: a public record anyone may download
    source          TEXT NOT NULL,     -- the service that archived it
    created_at      BIGINT NOT NULL
);
CREATE INDEX archive_objects_secretariat ON archive_objects (secretariat_id, created_at);
