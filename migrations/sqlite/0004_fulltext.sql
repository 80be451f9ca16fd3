-- Full-text search indexes over cases, alerts, observables, tasks, task logs, comments and
-- pages: the global search endpoint and the `_string` operator of the query DSL read them
-- (src/storage/query/fulltext.rs holds the matching SQL).
--
-- Each indexed table T gets a companion `T_fts` kept up to date by triggers, so the index
-- changes in the same transaction as the row itself and can never lag or drift. The indexed
-- columns of each table are listed below; changing them needs a new migration on BOTH
-- backends and the same list in fulltext.rs.
--
-- SQLite: FTS5 external-content tables (the text lives only in T; T_fts holds the inverted
-- index, keyed by T.id as rowid). Tokenizer unicode61 with diacritics folded, no stemming,
-- like the PostgreSQL side's 'simple' configuration. FTS5 creates shadow tables named
-- T_fts_data, T_fts_idx, T_fts_docsize, T_fts_config: schema comparisons between the two
-- backends must ignore names matching '%_fts%'.

-- cases: title, description, summary, tags
CREATE VIRTUAL TABLE cases_fts USING fts5(title, description, summary, tags, content='cases', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
    INSERT INTO cases_fts (rowid, title, description, summary, tags) VALUES (new.id, new.title, new.description, new.summary, new.tags);
END;
CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, title, description, summary, tags) VALUES ('delete', old.id, old.title, old.description, old.summary, old.tags);
END;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF title, description, summary, tags ON cases BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, title, description, summary, tags) VALUES ('delete', old.id, old.title, old.description, old.summary, old.tags);
    INSERT INTO cases_fts (rowid, title, description, summary, tags) VALUES (new.id, new.title, new.description, new.summary, new.tags);
END;
INSERT INTO cases_fts (cases_fts) VALUES ('rebuild');

-- alert: title, description, source, source_ref, type, tags
CREATE VIRTUAL TABLE alert_fts USING fts5(title, description, source, source_ref, type, tags, content='alert', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER alert_fts_insert AFTER INSERT ON alert BEGIN
    INSERT INTO alert_fts (rowid, title, description, source, source_ref, type, tags) VALUES (new.id, new.title, new.description, new.source, new.source_ref, new.type, new.tags);
END;
CREATE TRIGGER alert_fts_delete AFTER DELETE ON alert BEGIN
    INSERT INTO alert_fts (alert_fts, rowid, title, description, source, source_ref, type, tags) VALUES ('delete', old.id, old.title, old.description, old.source, old.source_ref, old.type, old.tags);
END;
CREATE TRIGGER alert_fts_update AFTER UPDATE OF title, description, source, source_ref, type, tags ON alert BEGIN
    INSERT INTO alert_fts (alert_fts, rowid, title, description, source, source_ref, type, tags) VALUES ('delete', old.id, old.title, old.description, old.source, old.source_ref, old.type, old.tags);
    INSERT INTO alert_fts (rowid, title, description, source, source_ref, type, tags) VALUES (new.id, new.title, new.description, new.source, new.source_ref, new.type, new.tags);
END;
INSERT INTO alert_fts (alert_fts) VALUES ('rebuild');

-- observable: data, message, attachment_name, tags
CREATE VIRTUAL TABLE observable_fts USING fts5(data, message, attachment_name, tags, content='observable', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER observable_fts_insert AFTER INSERT ON observable BEGIN
    INSERT INTO observable_fts (rowid, data, message, attachment_name, tags) VALUES (new.id, new.data, new.message, new.attachment_name, new.tags);
END;
CREATE TRIGGER observable_fts_delete AFTER DELETE ON observable BEGIN
    INSERT INTO observable_fts (observable_fts, rowid, data, message, attachment_name, tags) VALUES ('delete', old.id, old.data, old.message, old.attachment_name, old.tags);
END;
CREATE TRIGGER observable_fts_update AFTER UPDATE OF data, message, attachment_name, tags ON observable BEGIN
    INSERT INTO observable_fts (observable_fts, rowid, data, message, attachment_name, tags) VALUES ('delete', old.id, old.data, old.message, old.attachment_name, old.tags);
    INSERT INTO observable_fts (rowid, data, message, attachment_name, tags) VALUES (new.id, new.data, new.message, new.attachment_name, new.tags);
END;
INSERT INTO observable_fts (observable_fts) VALUES ('rebuild');

-- task: title, description, group_name
CREATE VIRTUAL TABLE task_fts USING fts5(title, description, group_name, content='task', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER task_fts_insert AFTER INSERT ON task BEGIN
    INSERT INTO task_fts (rowid, title, description, group_name) VALUES (new.id, new.title, new.description, new.group_name);
END;
CREATE TRIGGER task_fts_delete AFTER DELETE ON task BEGIN
    INSERT INTO task_fts (task_fts, rowid, title, description, group_name) VALUES ('delete', old.id, old.title, old.description, old.group_name);
END;
CREATE TRIGGER task_fts_update AFTER UPDATE OF title, description, group_name ON task BEGIN
    INSERT INTO task_fts (task_fts, rowid, title, description, group_name) VALUES ('delete', old.id, old.title, old.description, old.group_name);
    INSERT INTO task_fts (rowid, title, description, group_name) VALUES (new.id, new.title, new.description, new.group_name);
END;
INSERT INTO task_fts (task_fts) VALUES ('rebuild');

-- log: message
CREATE VIRTUAL TABLE log_fts USING fts5(message, content='log', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER log_fts_insert AFTER INSERT ON log BEGIN
    INSERT INTO log_fts (rowid, message) VALUES (new.id, new.message);
END;
CREATE TRIGGER log_fts_delete AFTER DELETE ON log BEGIN
    INSERT INTO log_fts (log_fts, rowid, message) VALUES ('delete', old.id, old.message);
END;
CREATE TRIGGER log_fts_update AFTER UPDATE OF message ON log BEGIN
    INSERT INTO log_fts (log_fts, rowid, message) VALUES ('delete', old.id, old.message);
    INSERT INTO log_fts (rowid, message) VALUES (new.id, new.message);
END;
INSERT INTO log_fts (log_fts) VALUES ('rebuild');

-- comment: message
CREATE VIRTUAL TABLE comment_fts USING fts5(message, content='comment', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER comment_fts_insert AFTER INSERT ON comment BEGIN
    INSERT INTO comment_fts (rowid, message) VALUES (new.id, new.message);
END;
CREATE TRIGGER comment_fts_delete AFTER DELETE ON comment BEGIN
    INSERT INTO comment_fts (comment_fts, rowid, message) VALUES ('delete', old.id, old.message);
END;
CREATE TRIGGER comment_fts_update AFTER UPDATE OF message ON comment BEGIN
    INSERT INTO comment_fts (comment_fts, rowid, message) VALUES ('delete', old.id, old.message);
    INSERT INTO comment_fts (rowid, message) VALUES (new.id, new.message);
END;
INSERT INTO comment_fts (comment_fts) VALUES ('rebuild');

-- page: title, content, category
CREATE VIRTUAL TABLE page_fts USING fts5(title, content, category, content='page', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER page_fts_insert AFTER INSERT ON page BEGIN
    INSERT INTO page_fts (rowid, title, content, category) VALUES (new.id, new.title, new.content, new.category);
END;
CREATE TRIGGER page_fts_delete AFTER DELETE ON page BEGIN
    INSERT INTO page_fts (page_fts, rowid, title, content, category) VALUES ('delete', old.id, old.title, old.content, old.category);
END;
CREATE TRIGGER page_fts_update AFTER UPDATE OF title, content, category ON page BEGIN
    INSERT INTO page_fts (page_fts, rowid, title, content, category) VALUES ('delete', old.id, old.title, old.content, old.category);
    INSERT INTO page_fts (rowid, title, content, category) VALUES (new.id, new.title, new.content, new.category);
END;
INSERT INTO page_fts (page_fts) VALUES ('rebuild');
