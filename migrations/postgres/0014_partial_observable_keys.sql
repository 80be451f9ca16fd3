-- 0014_partial_observable_keys.sql: an observable belongs to a case or to an alert, never
-- both, so each of its two uniqueness keys only concerns the rows where its parent column is
-- set. As full indexes, every alert observable also got an entry (case_id NULL) in the case
-- key and every case observable one in the alert key: a B-tree insert per row for nothing,
-- on the ingestion hot path. Partial indexes enforce the same uniqueness (NULLs never
-- collided), `ON CONFLICT DO NOTHING` without a target still honours them, and a lookup by
-- `case_id = …` or `alert_id = …` implies the index predicate, so plans are unchanged.
DROP INDEX observable_case_data_key;
CREATE UNIQUE INDEX observable_case_data_key ON observable (case_id, data_type, data_hash)
    WHERE case_id IS NOT NULL;
DROP INDEX observable_alert_data_key;
CREATE UNIQUE INDEX observable_alert_data_key ON observable (alert_id, data_type, data_hash)
    WHERE alert_id IS NOT NULL;
