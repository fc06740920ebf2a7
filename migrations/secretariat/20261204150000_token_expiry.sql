-- API tokens expire (issue 15, finding 6). Tokens made before this had no
-- expiry: they get a year from their creation.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
UPDATE api_tokens SET expires_at = created_at + 31536000000 WHERE expires_at IS NULL;
