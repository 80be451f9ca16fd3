-- Full-text search indexes over cases, alerts, observables, tasks, task logs, comments and
-- pages: the global search endpoint and the `_string` operator of the query DSL read them
-- (src/storage/query/fulltext.rs holds the matching SQL).
--
-- Each indexed table T gets a companion `T_fts` kept up to date by triggers, so the index
-- changes in the same transaction as the row itself and can never lag or drift. The indexed
-- columns of each table are listed below; changing them needs a new migration on BOTH
-- backends and the same list in fulltext.rs.
--
-- PostgreSQL: T_fts(id, doc tsvector) with a GIN index, written by an AFTER INSERT/UPDATE
-- trigger and emptied by the foreign key's ON DELETE CASCADE. The configuration is 'simple'
-- (no stemming, no stop words), to match SQLite's unicode61 tokenizer. The first column of
-- each list (title, or data/message) gets weight A, the others B, for ranking. A separate table
-- rather than a GENERATED column keeps the column sets of both backends identical.

-- cases: title, description, summary, tags
CREATE TABLE cases_fts (
    id                      BIGINT PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    doc                     TSVECTOR NOT NULL
);
CREATE INDEX cases_fts_doc_idx ON cases_fts USING GIN (doc);
CREATE FUNCTION cases_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cases_fts (id, doc)
    VALUES (NEW.id, setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(NEW.description, '') || ' ' || coalesce(NEW.summary, '') || ' ' || coalesce(NEW.tags, '')), 'B'))
    ON CONFLICT (id) DO UPDATE SET doc = excluded.doc;
    RETURN NULL;
END
$$;
CREATE TRIGGER cases_fts_sync AFTER INSERT OR UPDATE OF title, description, summary, tags ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_fts_sync();
INSERT INTO cases_fts (id, doc) SELECT id, setweight(to_tsvector('simple', coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(description, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(tags, '')), 'B')
    FROM cases;

-- alert: title, description, source, source_ref, type, tags
CREATE TABLE alert_fts (
    id                      BIGINT PRIMARY KEY REFERENCES alert (id) ON DELETE CASCADE,
    doc                     TSVECTOR NOT NULL
);
CREATE INDEX alert_fts_doc_idx ON alert_fts USING GIN (doc);
CREATE FUNCTION alert_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alert_fts (id, doc)
    VALUES (NEW.id, setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(NEW.description, '') || ' ' || coalesce(NEW.source, '') || ' ' || coalesce(NEW.source_ref, '') || ' ' || coalesce(NEW.type, '') || ' ' || coalesce(NEW.tags, '')), 'B'))
    ON CONFLICT (id) DO UPDATE SET doc = excluded.doc;
    RETURN NULL;
END
$$;
CREATE TRIGGER alert_fts_sync AFTER INSERT OR UPDATE OF title, description, source, source_ref, type, tags ON alert
    FOR EACH ROW EXECUTE FUNCTION alert_fts_sync();
INSERT INTO alert_fts (id, doc) SELECT id, setweight(to_tsvector('simple', coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(description, '') || ' ' || coalesce(source, '') || ' ' || coalesce(source_ref, '') || ' ' || coalesce(type, '') || ' ' || coalesce(tags, '')), 'B')
    FROM alert;

-- observable: data, message, attachment_name, tags
CREATE TABLE observable_fts (
    id                      BIGINT PRIMARY KEY REFERENCES observable (id) ON DELETE CASCADE,
    doc                     TSVECTOR NOT NULL
);
CREATE INDEX observable_fts_doc_idx ON observable_fts USING GIN (doc);
CREATE FUNCTION observable_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO observable_fts (id, doc)
    VALUES (NEW.id, setweight(to_tsvector('simple', coalesce(NEW.data, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(NEW.message, '') || ' ' || coalesce(NEW.attachment_name, '') || ' ' || coalesce(NEW.tags, '')), 'B'))
    ON CONFLICT (id) DO UPDATE SET doc = excluded.doc;
    RETURN NULL;
END
$$;
CREATE TRIGGER observable_fts_sync AFTER INSERT OR UPDATE OF data, message, attachment_name, tags ON observable
    FOR EACH ROW EXECUTE FUNCTION observable_fts_sync();
INSERT INTO observable_fts (id, doc) SELECT id, setweight(to_tsvector('simple', coalesce(data, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(message, '') || ' ' || coalesce(attachment_name, '') || ' ' || coalesce(tags, '')), 'B')
    FROM observable;

-- task: title, description, group_name
CREATE TABLE task_fts (
    id                      BIGINT PRIMARY KEY REFERENCES task (id) ON DELETE CASCADE,
    doc                     TSVECTOR NOT NULL
);
CREATE INDEX task_fts_doc_idx ON task_fts USING GIN (doc);
CREATE FUNCTION task_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_fts (id, doc)
    VALUES (NEW.id, setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(NEW.description, '') || ' ' || coalesce(NEW.group_name, '')), 'B'))
    ON CONFLICT (id) DO UPDATE SET doc = excluded.doc;
    RETURN NULL;
END
$$;
CREATE TRIGGER task_fts_sync AFTER INSERT OR UPDATE OF title, description, group_name ON task
    FOR EACH ROW EXECUTE FUNCTION task_fts_sync();
INSERT INTO task_fts (id, doc) SELECT id, setweight(to_tsvector('simple', coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(description, '') || ' ' || coalesce(group_name, '')), 'B')
    FROM task;

-- log: message
CREATE TABLE log_fts (
    id                      BIGINT PRIMARY KEY REFERENCES log (id) ON DELETE CASCADE,
    doc                     TSVECTOR NOT NULL
);
CREATE INDEX log_fts_doc_idx ON log_fts USING GIN (doc);
CREATE FUNCTION log_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO log_fts (id, doc)
    VALUES (NEW.id, setweight(to_tsvector('simple', coalesce(NEW.message, '')), 'A'))
    ON CONFLICT (id) DO UPDATE SET doc = excluded.doc;
    RETURN NULL;
END
$$;
CREATE TRIGGER log_fts_sync AFTER INSERT OR UPDATE OF message ON log
    FOR EACH ROW EXECUTE FUNCTION log_fts_sync();
INSERT INTO log_fts (id, doc) SELECT id, setweight(to_tsvector('simple', coalesce(message, '')), 'A')
    FROM log;

-- comment: message
CREATE TABLE comment_fts (
    id                      BIGINT PRIMARY KEY REFERENCES comment (id) ON DELETE CASCADE,
    doc                     TSVECTOR NOT NULL
);
CREATE INDEX comment_fts_doc_idx ON comment_fts USING GIN (doc);
CREATE FUNCTION comment_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO comment_fts (id, doc)
    VALUES (NEW.id, setweight(to_tsvector('simple', coalesce(NEW.message, '')), 'A'))
    ON CONFLICT (id) DO UPDATE SET doc = excluded.doc;
    RETURN NULL;
END
$$;
CREATE TRIGGER comment_fts_sync AFTER INSERT OR UPDATE OF message ON comment
    FOR EACH ROW EXECUTE FUNCTION comment_fts_sync();
INSERT INTO comment_fts (id, doc) SELECT id, setweight(to_tsvector('simple', coalesce(message, '')), 'A')
    FROM comment;

-- page: title, content, category
CREATE TABLE page_fts (
    id                      BIGINT PRIMARY KEY REFERENCES page (id) ON DELETE CASCADE,
    doc                     TSVECTOR NOT NULL
);
CREATE INDEX page_fts_doc_idx ON page_fts USING GIN (doc);
CREATE FUNCTION page_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO page_fts (id, doc)
    VALUES (NEW.id, setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(NEW.content, '') || ' ' || coalesce(NEW.category, '')), 'B'))
    ON CONFLICT (id) DO UPDATE SET doc = excluded.doc;
    RETURN NULL;
END
$$;
CREATE TRIGGER page_fts_sync AFTER INSERT OR UPDATE OF title, content, category ON page
    FOR EACH ROW EXECUTE FUNCTION page_fts_sync();
INSERT INTO page_fts (id, doc) SELECT id, setweight(to_tsvector('simple', coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(content, '') || ' ' || coalesce(category, '')), 'B')
    FROM page;
