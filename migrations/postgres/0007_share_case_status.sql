-- 0007_share_case_status.sql (PostgreSQL): the status of each case copied onto its shares,
-- so that "how many cases of status X can organisation O see" is one range of one index
-- (see the SQLite twin for the reasoning). The column is written by these triggers only,
-- in the same transaction as the case or the share.
ALTER TABLE share ADD COLUMN case_status TEXT;
UPDATE share s SET case_status = c.status FROM cases c WHERE c.id = s.case_id;
CREATE INDEX share_organisation_status_idx ON share (organisation_id, case_status);
CREATE FUNCTION share_case_status_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.case_status := (SELECT c.status FROM cases c WHERE c.id = NEW.case_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER share_case_status_insert BEFORE INSERT OR UPDATE OF case_id, case_status ON share
    FOR EACH ROW EXECUTE FUNCTION share_case_status_insert();
CREATE FUNCTION share_case_status_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE share SET case_status = NEW.status WHERE case_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER share_case_status_follow AFTER UPDATE OF status ON cases
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION share_case_status_follow();
