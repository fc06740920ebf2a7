-- Authentication state. Tokens, nonces and links are stored only as SHA-256
-- hashes: a copy of the database lets nobody log in.

CREATE TABLE auth_challenges (
    id          TEXT PRIMARY KEY,
    nonce_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT                 -- set once; a second use is a replay
);

CREATE TABLE auth_sessions (
    id                  TEXT PRIMARY KEY,
    token_hash          TEXT NOT NULL UNIQUE,
    member_id           TEXT NOT NULL REFERENCES members (id),
    method              TEXT NOT NULL, -- 'fiel' | 'enlace_correo'
    certificate_number  TEXT,          -- the FIEL used, for FIEL sessions
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    revoked_at          BIGINT,
    address             TEXT
);

CREATE TABLE auth_email_links (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    member_id   TEXT NOT NULL REFERENCES members (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE TABLE api_tokens (
    id              TEXT PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    secretariat_id  TEXT NOT NULL REFERENCES secretariats (id),
    service         TEXT NOT NULL,     -- the only service it works on
    role            TEXT NOT NULL,     -- the role it acts as
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);

-- Failed logins, for rate limiting per account and per address.
CREATE TABLE auth_failures (
    key         TEXT NOT NULL,         -- 'cuenta:<rfc or email>' or 'ip:<address>'
    at          BIGINT NOT NULL
);
CREATE INDEX auth_failures_key ON auth_failures (key, at);
