-- 0006_query_indexes.sql (SQLite): indexes for the query DSL's hot shapes.
--
-- Nothing to add on SQLite: the PostgreSQL side adds cases (status, id), which SQLite's
-- cases_status_idx (status, created_at, rowid) already covers. The file exists so that
-- both directories keep the same numbering.
SELECT 1;
