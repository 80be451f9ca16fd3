-- 0011_deferred_fulltext.sql (PostgreSQL): nothing to do. On SQLite this step moves the
-- alert and observable full-text indexing to the end of each write batch (see the SQLite
-- twin); PostgreSQL's GIN-indexed tsvector tables have no per-savepoint flush to avoid, so
-- their triggers stay as they are. The step exists so both backends share one version line.
SELECT 1;
