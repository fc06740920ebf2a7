-- Who sits in the secretariat: the system of record for identities, from
-- which roles are derived on the day of each request.

CREATE TABLE secretariats (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    preset      TEXT NOT NULL,         -- rules preset it was created from, e.g. 'jalisco'
    config      TEXT NOT NULL,         -- JSON: rubrica_rules::Config in force
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE members (
    id              TEXT PRIMARY KEY,
    secretariat_id  TEXT NOT NULL REFERENCES secretariats (id),
    name            TEXT NOT NULL,
    rfc             TEXT NOT NULL,     -- matched against the FIEL certificate's holder RFC
    email           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (secretariat_id, rfc)
);
CREATE INDEX members_rfc ON members (rfc);
CREATE INDEX members_email ON members (email);

-- A member's post: titular / suplente / enlace of a seat, facilitator, or
-- invited member for a project. The President is the titular of the
-- presiding seat of the secretariat's configuration.
CREATE TABLE designations (
    id              TEXT PRIMARY KEY,
    secretariat_id  TEXT NOT NULL REFERENCES secretariats (id),
    member_id       TEXT NOT NULL REFERENCES members (id),
    role            TEXT NOT NULL,     -- 'titular' | 'suplente' | 'enlace' | 'facilitador' | 'invitado'
    seat            TEXT,              -- seat id for titular/suplente/enlace
    project         TEXT,              -- invited members: their project
    starts_on       TEXT NOT NULL,     -- YYYY-MM-DD, first day in post
    ends_on         TEXT,              -- YYYY-MM-DD, last day in post; NULL while open-ended
    ended_reason    TEXT,              -- 'fin_de_periodo' | 'renuncia' | 'cambio_de_mandato' | …
    created_at      BIGINT NOT NULL
);
CREATE INDEX designations_member ON designations (member_id);
CREATE INDEX designations_seat ON designations (secretariat_id, seat);
