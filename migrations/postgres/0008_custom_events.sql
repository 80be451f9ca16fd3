-- 0008_custom_events.sql (PostgreSQL): TheHive 5 custom timeline events of a case
-- (`POST /api/v1/case/{id}/customEvent` `{date, endDate?, title, description?}`), shown in
-- the case timeline at their own date. They go with their case.
CREATE TABLE case_custom_event (
    id                      BIGSERIAL PRIMARY KEY,
    case_id                 BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    date                    BIGINT NOT NULL,
    end_date                BIGINT,
    title                   TEXT NOT NULL,
    description             TEXT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE INDEX case_custom_event_case_idx ON case_custom_event (case_id, date);
