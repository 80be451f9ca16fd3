-- 0008_custom_events.sql (SQLite): TheHive 5 custom timeline events of a case
-- (`POST /api/v1/case/{id}/customEvent` `{date, endDate?, title, description?}`), shown in
-- the case timeline at their own date. They go with their case.
CREATE TABLE case_custom_event (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id                 INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    date                    INTEGER NOT NULL,
    end_date                INTEGER,
    title                   TEXT NOT NULL,
    description             TEXT,
    created_by              TEXT NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_by              TEXT,
    updated_at              INTEGER
);
CREATE INDEX case_custom_event_case_idx ON case_custom_event (case_id, date);
