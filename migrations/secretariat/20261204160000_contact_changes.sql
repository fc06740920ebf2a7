-- A change of a member's RFC or email waits for the member to confirm it
-- (issue 15, finding 8): the RFC by a FIEL login with the new certificate,
-- the email by a link mailed to the new address.
CREATE TABLE member_contact_changes (
    id            TEXT PRIMARY KEY,
    member_id     TEXT NOT NULL REFERENCES members (id),
    field         TEXT NOT NULL,       -- 'rfc' | 'email'
    new_value     TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    cancelled_at  BIGINT               -- replaced by a later request
);
CREATE INDEX member_contact_changes_pending ON member_contact_changes (field, new_value);

-- The link that confirms an email change (NULL: a plain access link).
ALTER TABLE auth_email_links ADD COLUMN change_id TEXT;
