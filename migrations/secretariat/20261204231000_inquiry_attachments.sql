-- A complaint's optional attachment (issue 18 f): checked by its content
-- (PDF, PNG or JPEG), at most 5 MiB, hashed. It may hold personal data, so
-- it stays here with its complaint — never in the public archive, whose
-- objects anyone downloads by their SHA-256 — and only the President and
-- the facilitator download it (each download audited).
CREATE TABLE inquiry_attachments (
    inquiry_id   TEXT PRIMARY KEY REFERENCES inquiries (id),
    name         TEXT NOT NULL,
    media_type   TEXT NOT NULL,   -- told by the content
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,   -- hex
    content      BYTEA NOT NULL,
    created_at   BIGINT NOT NULL
);
