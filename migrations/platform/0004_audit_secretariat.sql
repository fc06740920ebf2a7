-- Whose secretariat an audit entry belongs to (the actor's), so a President
-- reads only their own secretariat's entries (issue 15, finding 5). Not part
-- of the entry's hash: it decides who may read an entry, not what it says.
ALTER TABLE audit_log ADD COLUMN secretariat_id TEXT;
CREATE INDEX audit_log_secretariat ON audit_log (secretariat_id, seq);
