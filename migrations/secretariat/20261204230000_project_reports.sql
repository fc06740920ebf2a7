-- Invited members' projects (000 VIII.2–4): the project and its end date are
-- the invited member's designation (`designations.project`, `ends_on`); its
-- periodic progress reports are filed here by the invited member, only
-- added, and published in section b of the public site (000 V.10).
CREATE TABLE project_reports (
    id              TEXT PRIMARY KEY,
    secretariat_id  TEXT NOT NULL REFERENCES secretariats (id),
    designation_id  TEXT NOT NULL REFERENCES designations (id),
    period_ending   TEXT NOT NULL,   -- YYYY-MM-DD, last day of the period reported
    summary         TEXT NOT NULL,
    progress        BIGINT,          -- 0..100, the project's progress; NULL when only a milestone is reported
    milestone       TEXT,
    link            TEXT,            -- http(s) URL
    filed_at        BIGINT NOT NULL,
    filed_by        TEXT NOT NULL    -- actor id (the invited member)
);
CREATE INDEX project_reports_secretariat ON project_reports (secretariat_id, designation_id, period_ending);
