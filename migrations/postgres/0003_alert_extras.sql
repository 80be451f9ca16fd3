-- 0003_alert_extras.sql (PostgreSQL)
--
-- What alerts need beyond 0002: the predefined TheHive 5 alert statuses, and the merge
-- record that makes "unmerge" possible (which observables, procedures, tags and description
-- text a merge brought into its case). The sibling postgres file defines the same tables.

-- TheHive 5 predefined alert statuses and their stage (docs.strangebee.com, "About
-- statuses": stages New, InProgress, Imported, Closed are hard-coded; Imported is set by
-- promotion/merge only).
INSERT INTO alert_status (name, stage, position, created_by, created_at) VALUES
    ('New', 'New', 0, 'system@thehive.local', 0),
    ('InProgress', 'InProgress', 1, 'system@thehive.local', 0),
    ('Imported', 'Imported', 2, 'system@thehive.local', 0),
    ('FalsePositive', 'Closed', 3, 'system@thehive.local', 0),
    ('Duplicated', 'Closed', 4, 'system@thehive.local', 0),
    ('Ignored', 'Closed', 5, 'system@thehive.local', 0),
    ('Other', 'Closed', 6, 'system@thehive.local', 0)
ON CONFLICT (name) DO NOTHING;

-- One row per alert merged into an existing case (not for promotion, which creates the case).
-- previous_status/previous_stage restore the alert on unmerge; description_block is the
-- exact text appended to the case description; added_tags the tags the case did not have.
CREATE TABLE alert_merge (
    id                      BIGSERIAL PRIMARY KEY,
    alert_id                BIGINT NOT NULL REFERENCES alert (id) ON DELETE CASCADE,
    case_id                 BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    previous_status         TEXT NOT NULL,
    previous_stage          TEXT NOT NULL,
    description_block       TEXT NOT NULL DEFAULT '',
    -- JSON array of strings
    added_tags              TEXT NOT NULL DEFAULT '[]',
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX alert_merge_alert_key ON alert_merge (alert_id);
CREATE INDEX alert_merge_case_idx ON alert_merge (case_id);

-- Case observables a merge touched: created = true when the merge created it, else the
-- observable already existed and the merge only added the tags in added_tags (JSON array).
CREATE TABLE alert_merge_observable (
    alert_merge_id          BIGINT NOT NULL REFERENCES alert_merge (id) ON DELETE CASCADE,
    observable_id           BIGINT NOT NULL REFERENCES observable (id) ON DELETE CASCADE,
    created                 BOOLEAN NOT NULL DEFAULT FALSE,
    added_tags              TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (alert_merge_id, observable_id)
);
CREATE INDEX alert_merge_observable_observable_idx ON alert_merge_observable (observable_id);

-- Case procedures a merge created.
CREATE TABLE alert_merge_procedure (
    alert_merge_id          BIGINT NOT NULL REFERENCES alert_merge (id) ON DELETE CASCADE,
    procedure_id            BIGINT NOT NULL REFERENCES procedure (id) ON DELETE CASCADE,
    PRIMARY KEY (alert_merge_id, procedure_id)
);
CREATE INDEX alert_merge_procedure_procedure_idx ON alert_merge_procedure (procedure_id);
