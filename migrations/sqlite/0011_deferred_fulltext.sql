-- 0011_deferred_fulltext.sql (SQLite): alerts and observables reach their full-text indexes
-- at the end of the write batch instead of row by row.
--
-- Why: every write request runs inside its own SAVEPOINT of a shared batch transaction
-- (src/storage/group_commit.rs). FTS5 flushes its pending terms to new index segments at
-- every savepoint, so indexing each alert's rows from triggers wrote two tiny segments per
-- alert and spent more effort merging them than inserting the alert: the largest single cost
-- of alert ingestion in callgrind. Now the insert triggers only note the new row in
-- fts_pending; the group-commit writer indexes every noted row with one INSERT … SELECT per
-- table just before the batch's COMMIT (storage::fulltext_backlog). The index still changes in
-- the same transaction as the rows: nothing is ever committed unindexed.
--
-- Update and delete triggers must not touch the index for a row that is not in it yet
-- (an external-content FTS5 'delete' of unindexed values corrupts it): for such a row the
-- note is simply dropped (delete) or left for the catch-up, which reads the current values.
CREATE TABLE fts_pending (
    tbl     TEXT NOT NULL,
    row_id  INTEGER NOT NULL,
    PRIMARY KEY (tbl, row_id)
) WITHOUT ROWID;

DROP TRIGGER alert_fts_insert;
DROP TRIGGER alert_fts_delete;
DROP TRIGGER alert_fts_update;
CREATE TRIGGER alert_fts_insert AFTER INSERT ON alert BEGIN
    INSERT OR IGNORE INTO fts_pending (tbl, row_id) VALUES ('alert', new.id);
END;
CREATE TRIGGER alert_fts_delete AFTER DELETE ON alert BEGIN
    INSERT INTO alert_fts (alert_fts, rowid, title, description, source, source_ref, type, tags)
        SELECT 'delete', old.id, old.title, old.description, old.source, old.source_ref, old.type, old.tags
        WHERE NOT EXISTS (SELECT 1 FROM fts_pending WHERE tbl = 'alert' AND row_id = old.id);
    DELETE FROM fts_pending WHERE tbl = 'alert' AND row_id = old.id;
END;
CREATE TRIGGER alert_fts_update AFTER UPDATE OF title, description, source, source_ref, type, tags ON alert
WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE tbl = 'alert' AND row_id = old.id) BEGIN
    INSERT INTO alert_fts (alert_fts, rowid, title, description, source, source_ref, type, tags) VALUES ('delete', old.id, old.title, old.description, old.source, old.source_ref, old.type, old.tags);
    INSERT INTO alert_fts (rowid, title, description, source, source_ref, type, tags) VALUES (new.id, new.title, new.description, new.source, new.source_ref, new.type, new.tags);
END;

DROP TRIGGER observable_fts_insert;
DROP TRIGGER observable_fts_delete;
DROP TRIGGER observable_fts_update;
CREATE TRIGGER observable_fts_insert AFTER INSERT ON observable BEGIN
    INSERT OR IGNORE INTO fts_pending (tbl, row_id) VALUES ('observable', new.id);
END;
CREATE TRIGGER observable_fts_delete AFTER DELETE ON observable BEGIN
    INSERT INTO observable_fts (observable_fts, rowid, data, message, attachment_name, tags)
        SELECT 'delete', old.id, old.data, old.message, old.attachment_name, old.tags
        WHERE NOT EXISTS (SELECT 1 FROM fts_pending WHERE tbl = 'observable' AND row_id = old.id);
    DELETE FROM fts_pending WHERE tbl = 'observable' AND row_id = old.id;
END;
CREATE TRIGGER observable_fts_update AFTER UPDATE OF data, message, attachment_name, tags ON observable
WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE tbl = 'observable' AND row_id = old.id) BEGIN
    INSERT INTO observable_fts (observable_fts, rowid, data, message, attachment_name, tags) VALUES ('delete', old.id, old.data, old.message, old.attachment_name, old.tags);
    INSERT INTO observable_fts (rowid, data, message, attachment_name, tags) VALUES (new.id, new.data, new.message, new.attachment_name, new.tags);
END;
