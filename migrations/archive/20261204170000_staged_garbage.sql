-- Bytes staged for a handover and then replaced (a new activity report):
-- deleted from the object store by a periodic sweep once nothing refers to
-- them any more (issue 15, finding 12). The hour of grace lets an upload of
-- the same bytes that is in flight reference them first.
CREATE TABLE archive_staged_garbage (
    sha256       TEXT PRIMARY KEY,
    replaced_at  BIGINT NOT NULL
);
