-- 0006_query_indexes.sql (PostgreSQL): indexes for the query DSL's hot shapes
-- (src/storage/query/compile.rs).
--
-- Counting the visible cases of one status (`listCase` + filter on status + `count`) reads
-- (status, id) from this index alone and merge-joins it with share_organisation_idx, without
-- touching the cases heap. SQLite needs no twin: its cases_status_idx (status, created_at)
-- already ends with the rowid.
CREATE INDEX cases_status_id_idx ON cases (status, id);
