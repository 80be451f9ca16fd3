-- 0005_misp.sql (SQLite)
--
-- What the MISP connector needs beyond 0002's misp_server / misp_export (spec/misp.md):
-- the sync bookkeeping of each server (MISP-side cursor, backoff after failures, report of
-- the last run, organisation of the API key), the events that failed to import and are
-- retried with their own backoff, and one export row per (case, server) so that a
-- re-export updates the same MISP event. The sibling postgres file defines the same columns.

-- Epoch seconds (MISP's clock) of the newest event change already imported; NULL = never.
ALTER TABLE misp_server ADD COLUMN sync_cursor INTEGER;
-- Epoch ms when the poller may next sync this server (interval or backoff); NULL = now.
ALTER TABLE misp_server ADD COLUMN next_sync_at INTEGER;
ALTER TABLE misp_server ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE misp_server ADD COLUMN last_attempt_at INTEGER;
ALTER TABLE misp_server ADD COLUMN last_error_at INTEGER;
-- JSON report of the last run (counts, skipped and failed events).
ALTER TABLE misp_server ADD COLUMN last_run TEXT NOT NULL DEFAULT '{}';
-- Name of the MISP organisation of the API key: the `source` of imported alerts.
ALTER TABLE misp_server ADD COLUMN misp_organisation TEXT;

-- An event that could not be imported (sample download failed, malformed event, ...). It is
-- retried on later runs from next_attempt_at, independently of the cursor, until it imports.
CREATE TABLE misp_sync_failure (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    misp_server_id          INTEGER NOT NULL REFERENCES misp_server (id) ON DELETE CASCADE,
    event_id                TEXT NOT NULL,
    attempts                INTEGER NOT NULL DEFAULT 1,
    next_attempt_at         INTEGER NOT NULL,
    last_error              TEXT NOT NULL,
    created_by              TEXT NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_by              TEXT,
    updated_at              INTEGER
);
CREATE UNIQUE INDEX misp_sync_failure_event_key ON misp_sync_failure (misp_server_id, event_id);

-- One export per case and server: re-exporting updates that event.
CREATE UNIQUE INDEX misp_export_case_server_key ON misp_export (case_id, misp_server_id);
