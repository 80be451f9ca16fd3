-- 0002_case_model.sql (PostgreSQL)
--
-- The TheHive data model on top of the 0001 foundation tables (organisation, profile,
-- app_user, role, user_session, observable_type, audit, organisation_link): cases, tasks,
-- logs, observables, alerts, attachments, shares, templates, custom fields, TTPs, pages,
-- tags, dashboards, comments, connectors (MISP, Cortex, webhooks) and the job queue.
-- Entity tables end with the meta columns created_by, created_at, updated_by, updated_at,
-- as in 0001.
--
-- The sibling file migrations/sqlite/0002_case_model.sql must define the same tables with
-- the same columns in the same order (a test compares them); only types differ:
--   id          BIGSERIAL PRIMARY KEY
--   integer     BIGINT        (dates are epoch milliseconds)
--   boolean     BOOLEAN
--   float       DOUBLE PRECISION
--   binary      BYTEA
--   text, JSON  TEXT
-- See migrations/README.md for the conventions and the constraint names the storage layer
-- maps to API errors. Forward-only: never edit this file once released, add 0003.

-- =========================================================================================
-- Counters
-- =========================================================================================

-- Named monotonic counters. `case_number` gives cases their global, never-reused number
-- (thehive-api.md §1.3, §10). One statement works on both backends and creates the row on
-- first use:
--   INSERT INTO sequence_counter (name, value) VALUES ('case_number', 1)
--   ON CONFLICT (name) DO UPDATE SET value = sequence_counter.value + 1 RETURNING value
CREATE TABLE sequence_counter (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    value                   BIGINT NOT NULL
);
CREATE UNIQUE INDEX sequence_counter_name_key ON sequence_counter (name);

-- =========================================================================================
-- Status catalogues (TheHive 5: admin-configurable statuses, each bound to a stage)
-- =========================================================================================

-- cases.status / alert.status stay plain TEXT; these tables only list the allowed values and
-- their stage (case stages New|InProgress|Closed, alert stages New|InProgress|Imported|Closed).
CREATE TABLE case_status (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    stage                   TEXT NOT NULL,
    description             TEXT,
    colour                  TEXT,
    position                BIGINT NOT NULL DEFAULT 0,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX case_status_name_key ON case_status (name);

CREATE TABLE alert_status (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    stage                   TEXT NOT NULL,
    description             TEXT,
    colour                  TEXT,
    position                BIGINT NOT NULL DEFAULT 0,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX alert_status_name_key ON alert_status (name);

-- =========================================================================================
-- Custom field definitions (§1.9)
-- =========================================================================================

CREATE TABLE custom_field (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    display_name            TEXT NOT NULL DEFAULT '',
    group_name              TEXT,
    description             TEXT NOT NULL DEFAULT '',
    -- string | integer | float | boolean | date | url
    type                    TEXT NOT NULL,
    mandatory               BOOLEAN NOT NULL DEFAULT FALSE,
    -- JSON array of allowed values, '[]' = free input
    options                 TEXT NOT NULL DEFAULT '[]',
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX custom_field_name_key ON custom_field (name);

-- =========================================================================================
-- Case templates (§1.10) and page templates (5.x)
-- =========================================================================================

CREATE TABLE case_template (
    id                      BIGSERIAL PRIMARY KEY,
    organisation_id         BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    name                    TEXT NOT NULL,
    display_name            TEXT NOT NULL DEFAULT '',
    title_prefix            TEXT,
    description             TEXT,
    -- severity/tlp/pap are optional on a template: NULL = not set
    severity                BIGINT,
    tlp                     BIGINT,
    pap                     BIGINT,
    tags                    TEXT NOT NULL DEFAULT '[]',
    flag                    BOOLEAN NOT NULL DEFAULT FALSE,
    summary                 TEXT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX case_template_name_key ON case_template (organisation_id, name);

CREATE TABLE case_template_tag (
    case_template_id        BIGINT NOT NULL REFERENCES case_template (id) ON DELETE CASCADE,
    tag                     TEXT NOT NULL,
    PRIMARY KEY (case_template_id, tag)
);
CREATE INDEX case_template_tag_tag_idx ON case_template_tag (tag, case_template_id);

-- Same shape as `task` (minus case_id): copied into the case when the template is applied.
CREATE TABLE case_template_task (
    id                      BIGSERIAL PRIMARY KEY,
    case_template_id        BIGINT NOT NULL REFERENCES case_template (id) ON DELETE CASCADE,
    title                   TEXT NOT NULL,
    group_name              TEXT NOT NULL DEFAULT 'default',
    description             TEXT,
    status                  TEXT NOT NULL DEFAULT 'Waiting',
    flag                    BOOLEAN NOT NULL DEFAULT FALSE,
    start_date              BIGINT,
    end_date                BIGINT,
    due_date                BIGINT,
    assignee                TEXT,
    -- API field `order` (a reserved word in SQL)
    position                BIGINT NOT NULL DEFAULT 0,
    mandatory               BOOLEAN NOT NULL DEFAULT FALSE,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE INDEX case_template_task_template_idx ON case_template_task (case_template_id, position);

CREATE TABLE page_template (
    id                      BIGSERIAL PRIMARY KEY,
    organisation_id         BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    title                   TEXT NOT NULL,
    category                TEXT NOT NULL DEFAULT '',
    content                 TEXT NOT NULL DEFAULT '',
    position                BIGINT NOT NULL DEFAULT 0,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE INDEX page_template_organisation_idx ON page_template (organisation_id);

-- 5.x `pageTemplateIds` of a case template.
CREATE TABLE case_template_page_template (
    case_template_id        BIGINT NOT NULL REFERENCES case_template (id) ON DELETE CASCADE,
    page_template_id        BIGINT NOT NULL REFERENCES page_template (id) ON DELETE CASCADE,
    PRIMARY KEY (case_template_id, page_template_id)
);
CREATE INDEX case_template_page_template_page_idx ON case_template_page_template (page_template_id);

-- =========================================================================================
-- Cases (§1.3). `case` is a reserved word in SQL, hence the plural table name.
-- =========================================================================================

CREATE TABLE cases (
    id                      BIGSERIAL PRIMARY KEY,
    -- global, from sequence_counter 'case_number'; never reused
    number                  BIGINT NOT NULL,
    -- owning organisation (the one whose share has owner = true)
    organisation_id         BIGINT NOT NULL REFERENCES organisation (id),
    title                   TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    severity                BIGINT NOT NULL DEFAULT 2,
    tlp                     BIGINT NOT NULL DEFAULT 2,
    pap                     BIGINT NOT NULL DEFAULT 2,
    start_date              BIGINT NOT NULL,
    end_date                BIGINT,
    flag                    BOOLEAN NOT NULL DEFAULT FALSE,
    -- 5.x status (a case_status name) and its stage; 4.x Open/Resolved is derived from stage
    status                  TEXT NOT NULL DEFAULT 'New',
    stage                   TEXT NOT NULL DEFAULT 'New',
    -- 4.x only (5.x folds it into status); kept so v0/4.x clients round-trip
    resolution_status       TEXT,
    impact_status           TEXT,
    summary                 TEXT,
    -- user login
    assignee                TEXT,
    case_template_id        BIGINT REFERENCES case_template (id) ON DELETE SET NULL,
    -- template name as given at creation (survives template deletion)
    case_template           TEXT,
    -- JSON array, output form; case_tag is the filter index
    tags                    TEXT NOT NULL DEFAULT '[]',
    task_rule               TEXT,
    observable_rule         TEXT,
    -- 5.x access: false = OrganisationAccessKind, true = UserAccessKind (users in case_access_user)
    access_restricted       BOOLEAN NOT NULL DEFAULT FALSE,
    -- 5.x stage transition dates (timeTo* durations are computed from these)
    new_date                BIGINT,
    in_progress_date        BIGINT,
    closed_date             BIGINT,
    -- merge history (v0 stats mergeFrom / mergeInto): JSON array of case numbers, case number
    merged_from             TEXT,
    merged_into             BIGINT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX cases_number_key ON cases (number);
CREATE INDEX cases_organisation_idx ON cases (organisation_id, created_at);
CREATE INDEX cases_created_at_idx ON cases (created_at);
CREATE INDEX cases_start_date_idx ON cases (start_date);
CREATE INDEX cases_status_idx ON cases (status, created_at);
CREATE INDEX cases_stage_idx ON cases (stage, created_at);
CREATE INDEX cases_assignee_idx ON cases (assignee, status);
CREATE INDEX cases_case_template_idx ON cases (case_template_id) WHERE case_template_id IS NOT NULL;

CREATE TABLE case_tag (
    case_id                 BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    tag                     TEXT NOT NULL,
    PRIMARY KEY (case_id, tag)
);
CREATE INDEX case_tag_tag_idx ON case_tag (tag, case_id);

-- Users allowed on a restricted case (cases.access_restricted = true).
CREATE TABLE case_access_user (
    case_id                 BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    user_id                 BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_access_user_user_idx ON case_access_user (user_id);

-- =========================================================================================
-- Shares (§1.15): a case is visible to an organisation iff it has a share row.
-- =========================================================================================

CREATE TABLE share (
    id                      BIGSERIAL PRIMARY KEY,
    case_id                 BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    organisation_id         BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    profile_id              BIGINT NOT NULL REFERENCES profile (id),
    owner                   BOOLEAN NOT NULL DEFAULT FALSE,
    -- 4.x all|none, 5.x rule names; NULL = organisation default
    task_rule               TEXT,
    observable_rule         TEXT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX share_case_organisation_key ON share (case_id, organisation_id);
CREATE INDEX share_organisation_idx ON share (organisation_id, case_id);
CREATE INDEX share_profile_idx ON share (profile_id);

-- 5.x sharing profiles (GET /api/v1/sharingProfile): presets for share creation.
CREATE TABLE sharing_profile (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    auto_share              BOOLEAN NOT NULL DEFAULT FALSE,
    editable                BOOLEAN NOT NULL DEFAULT TRUE,
    -- `permissionProfile`
    profile_id              BIGINT NOT NULL REFERENCES profile (id),
    task_rule               TEXT,
    observable_rule         TEXT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX sharing_profile_name_key ON sharing_profile (name);
CREATE INDEX sharing_profile_profile_idx ON sharing_profile (profile_id);

-- =========================================================================================
-- Tasks (§1.4) and task logs (§1.5)
-- =========================================================================================

CREATE TABLE task (
    id                      BIGSERIAL PRIMARY KEY,
    case_id                 BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    title                   TEXT NOT NULL,
    group_name              TEXT NOT NULL DEFAULT 'default',
    description             TEXT,
    status                  TEXT NOT NULL DEFAULT 'Waiting',
    flag                    BOOLEAN NOT NULL DEFAULT FALSE,
    start_date              BIGINT,
    end_date                BIGINT,
    due_date                BIGINT,
    assignee                TEXT,
    position                BIGINT NOT NULL DEFAULT 0,
    mandatory               BOOLEAN NOT NULL DEFAULT FALSE,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE INDEX task_case_idx ON task (case_id, position);
CREATE INDEX task_assignee_status_idx ON task (assignee, status);
CREATE INDEX task_status_idx ON task (status);

CREATE TABLE share_task (
    share_id                BIGINT NOT NULL REFERENCES share (id) ON DELETE CASCADE,
    task_id                 BIGINT NOT NULL REFERENCES task (id) ON DELETE CASCADE,
    PRIMARY KEY (share_id, task_id)
);
CREATE INDEX share_task_task_idx ON share_task (task_id);

-- Per-organisation "action required" flag of a task.
CREATE TABLE task_action_required (
    task_id                 BIGINT NOT NULL REFERENCES task (id) ON DELETE CASCADE,
    organisation_id         BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    action_required         BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (task_id, organisation_id)
);
CREATE INDEX task_action_required_organisation_idx ON task_action_required (organisation_id, action_required);

CREATE TABLE log (
    id                      BIGSERIAL PRIMARY KEY,
    task_id                 BIGINT NOT NULL REFERENCES task (id) ON DELETE CASCADE,
    message                 TEXT NOT NULL,
    date                    BIGINT NOT NULL,
    deleted                 BOOLEAN NOT NULL DEFAULT FALSE,
    -- 5.x includeInTimeline (ms)
    include_in_timeline     BIGINT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE INDEX log_task_idx ON log (task_id, date);

-- =========================================================================================
-- Attachments (§1.8): content-addressed. One `attachment` row per distinct content; bytes in
-- `attachment_blob` chunks keyed by SHA-256 (so servers sharing one database share files);
-- file name and content type belong to each use (observable columns, attachment_usage).
-- =========================================================================================

CREATE TABLE attachment (
    id                      BIGSERIAL PRIMARY KEY,
    -- lowercase hex; sha256 is the API attachment id
    sha256                  TEXT NOT NULL,
    sha1                    TEXT NOT NULL,
    md5                     TEXT NOT NULL,
    size                    BIGINT NOT NULL,
    -- content type of the first upload; each use carries its own
    content_type            TEXT NOT NULL DEFAULT 'application/octet-stream',
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX attachment_sha256_key ON attachment (sha256);

CREATE TABLE attachment_blob (
    sha256                  TEXT NOT NULL REFERENCES attachment (sha256) ON DELETE CASCADE,
    -- 0, 1, 2, ... concatenated in order give the content
    chunk_index             BIGINT NOT NULL,
    data                    BYTEA NOT NULL,
    PRIMARY KEY (sha256, chunk_index)
);

-- =========================================================================================
-- Alerts (§1.7)
-- =========================================================================================

CREATE TABLE alert (
    id                      BIGSERIAL PRIMARY KEY,
    organisation_id         BIGINT NOT NULL REFERENCES organisation (id),
    type                    TEXT NOT NULL,
    source                  TEXT NOT NULL,
    source_ref              TEXT NOT NULL,
    external_link           TEXT,
    title                   TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    severity                BIGINT NOT NULL DEFAULT 2,
    tlp                     BIGINT NOT NULL DEFAULT 2,
    pap                     BIGINT NOT NULL DEFAULT 2,
    date                    BIGINT NOT NULL,
    last_sync_date          BIGINT,
    tags                    TEXT NOT NULL DEFAULT '[]',
    flag                    BOOLEAN NOT NULL DEFAULT FALSE,
    -- 5.x status (an alert_status name) and stage
    status                  TEXT NOT NULL DEFAULT 'New',
    stage                   TEXT NOT NULL DEFAULT 'New',
    -- 4.x read flag (v0 status New/Updated/Ignored/Imported is computed from read + case_id)
    read                    BOOLEAN NOT NULL DEFAULT FALSE,
    follow                  BOOLEAN NOT NULL DEFAULT TRUE,
    summary                 TEXT,
    assignee                TEXT,
    -- template name to apply on promotion
    case_template           TEXT,
    -- case it was imported into; cleared when that case is deleted
    case_id                 BIGINT REFERENCES cases (id) ON DELETE SET NULL,
    -- importDate / 5.x importedDate
    imported_at             BIGINT,
    new_date                BIGINT,
    in_progress_date        BIGINT,
    closed_date             BIGINT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
-- Duplicate refusal: map this constraint to CreateError "Alert ... already exist".
CREATE UNIQUE INDEX alert_type_source_ref_key ON alert (organisation_id, type, source, source_ref);
CREATE INDEX alert_organisation_created_at_idx ON alert (organisation_id, created_at);
CREATE INDEX alert_organisation_date_idx ON alert (organisation_id, date);
CREATE INDEX alert_organisation_status_idx ON alert (organisation_id, status);
CREATE INDEX alert_organisation_read_idx ON alert (organisation_id, read);
CREATE INDEX alert_case_idx ON alert (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX alert_assignee_idx ON alert (assignee) WHERE assignee IS NOT NULL;
-- MISP sync: max(last_sync_date) per (type = 'misp', source)
CREATE INDEX alert_sync_idx ON alert (type, source, last_sync_date);

CREATE TABLE alert_tag (
    alert_id                BIGINT NOT NULL REFERENCES alert (id) ON DELETE CASCADE,
    tag                     TEXT NOT NULL,
    PRIMARY KEY (alert_id, tag)
);
CREATE INDEX alert_tag_tag_idx ON alert_tag (tag, alert_id);

-- =========================================================================================
-- Observables (§1.6): in a case, in an alert, or (neither) a Cortex report observable
-- linked through cortex_job_artifact.
-- =========================================================================================

CREATE TABLE observable (
    id                      BIGSERIAL PRIMARY KEY,
    case_id                 BIGINT REFERENCES cases (id) ON DELETE CASCADE,
    alert_id                BIGINT REFERENCES alert (id) ON DELETE CASCADE,
    -- observable_type name
    data_type               TEXT NOT NULL,
    -- NULL for file observables
    data                    TEXT,
    -- sha256 hex of data; for file observables the attachment's sha256
    data_hash               TEXT NOT NULL,
    message                 TEXT,
    tlp                     BIGINT NOT NULL DEFAULT 2,
    pap                     BIGINT NOT NULL DEFAULT 2,
    ioc                     BOOLEAN NOT NULL DEFAULT FALSE,
    sighted                 BOOLEAN NOT NULL DEFAULT FALSE,
    sighted_at              BIGINT,
    ignore_similarity       BOOLEAN NOT NULL DEFAULT FALSE,
    start_date              BIGINT NOT NULL,
    tags                    TEXT NOT NULL DEFAULT '[]',
    attachment_id           BIGINT REFERENCES attachment (id),
    attachment_name         TEXT,
    attachment_content_type TEXT,
    -- `reports`: JSON object analyzer name -> {"taxonomies": [...]}
    report                  TEXT NOT NULL DEFAULT '{}',
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT,
    CHECK (case_id IS NULL OR alert_id IS NULL)
);
-- Duplicate refusal ("Observable already exists"), one per parent kind.
CREATE UNIQUE INDEX observable_case_data_key ON observable (case_id, data_type, data_hash);
CREATE UNIQUE INDEX observable_alert_data_key ON observable (alert_id, data_type, data_hash);
-- Correlation (similar observables, alert similarCases, `seen`).
CREATE INDEX observable_data_idx ON observable (data_type, data_hash);
CREATE INDEX observable_created_at_idx ON observable (created_at);
CREATE INDEX observable_attachment_idx ON observable (attachment_id) WHERE attachment_id IS NOT NULL;

CREATE TABLE observable_tag (
    observable_id           BIGINT NOT NULL REFERENCES observable (id) ON DELETE CASCADE,
    tag                     TEXT NOT NULL,
    PRIMARY KEY (observable_id, tag)
);
CREATE INDEX observable_tag_tag_idx ON observable_tag (tag, observable_id);

CREATE TABLE share_observable (
    share_id                BIGINT NOT NULL REFERENCES share (id) ON DELETE CASCADE,
    observable_id           BIGINT NOT NULL REFERENCES observable (id) ON DELETE CASCADE,
    PRIMARY KEY (share_id, observable_id)
);
CREATE INDEX share_observable_observable_idx ON share_observable (observable_id);

-- Attachments used by a task log (4.x `attachment`, 5.x `attachments`), a case or an alert
-- (5.x), or an organisation (5.x org attachments). Exactly one owner column is set; owner FKs
-- cascade so deleting the owner drops the usage (the attachment itself is garbage-collected
-- by the application when no observable and no usage refer to it).
CREATE TABLE attachment_usage (
    id                      BIGSERIAL PRIMARY KEY,
    attachment_id           BIGINT NOT NULL REFERENCES attachment (id),
    name                    TEXT NOT NULL,
    content_type            TEXT NOT NULL,
    organisation_id         BIGINT REFERENCES organisation (id) ON DELETE CASCADE,
    case_id                 BIGINT REFERENCES cases (id) ON DELETE CASCADE,
    alert_id                BIGINT REFERENCES alert (id) ON DELETE CASCADE,
    log_id                  BIGINT REFERENCES log (id) ON DELETE CASCADE,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT,
    CHECK ((CASE WHEN organisation_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN case_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN alert_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN log_id IS NULL THEN 0 ELSE 1 END) = 1)
);
CREATE INDEX attachment_usage_attachment_idx ON attachment_usage (attachment_id);
CREATE INDEX attachment_usage_organisation_idx ON attachment_usage (organisation_id) WHERE organisation_id IS NOT NULL;
CREATE INDEX attachment_usage_case_idx ON attachment_usage (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX attachment_usage_alert_idx ON attachment_usage (alert_id) WHERE alert_id IS NOT NULL;
CREATE INDEX attachment_usage_log_idx ON attachment_usage (log_id) WHERE log_id IS NOT NULL;

-- =========================================================================================
-- Custom field values (§1.9) of cases, alerts and case templates.
-- owner_id points into cases / alert / case_template according to owner_kind; there is no
-- FK, so the application deletes these rows with their owner.
-- =========================================================================================

CREATE TABLE custom_field_value (
    id                      BIGSERIAL PRIMARY KEY,
    custom_field_id         BIGINT NOT NULL REFERENCES custom_field (id) ON DELETE CASCADE,
    owner_kind              TEXT NOT NULL CHECK (owner_kind IN ('case', 'alert', 'case_template')),
    owner_id                BIGINT NOT NULL,
    -- API `order`
    position                BIGINT NOT NULL DEFAULT 0,
    -- exactly the column matching custom_field.type is used (url -> string_value); all NULL
    -- = field present without a value
    string_value            TEXT,
    integer_value           BIGINT,
    float_value             DOUBLE PRECISION,
    boolean_value           BOOLEAN,
    date_value              BIGINT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX custom_field_value_owner_key ON custom_field_value (owner_kind, owner_id, custom_field_id);
CREATE INDEX custom_field_value_field_idx ON custom_field_value (custom_field_id, owner_kind, owner_id);
CREATE INDEX custom_field_value_string_idx ON custom_field_value (custom_field_id, owner_kind, string_value) WHERE string_value IS NOT NULL;
CREATE INDEX custom_field_value_integer_idx ON custom_field_value (custom_field_id, owner_kind, integer_value) WHERE integer_value IS NOT NULL;
CREATE INDEX custom_field_value_float_idx ON custom_field_value (custom_field_id, owner_kind, float_value) WHERE float_value IS NOT NULL;
CREATE INDEX custom_field_value_boolean_idx ON custom_field_value (custom_field_id, owner_kind, boolean_value) WHERE boolean_value IS NOT NULL;
CREATE INDEX custom_field_value_date_idx ON custom_field_value (custom_field_id, owner_kind, date_value) WHERE date_value IS NOT NULL;

-- =========================================================================================
-- Comments (§1.19, 5.x)
-- =========================================================================================

CREATE TABLE comment (
    id                      BIGSERIAL PRIMARY KEY,
    case_id                 BIGINT REFERENCES cases (id) ON DELETE CASCADE,
    alert_id                BIGINT REFERENCES alert (id) ON DELETE CASCADE,
    message                 TEXT NOT NULL,
    is_edited               BOOLEAN NOT NULL DEFAULT FALSE,
    external                BOOLEAN NOT NULL DEFAULT FALSE,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT,
    CHECK ((case_id IS NULL) <> (alert_id IS NULL))
);
CREATE INDEX comment_case_idx ON comment (case_id, created_at) WHERE case_id IS NOT NULL;
CREATE INDEX comment_alert_idx ON comment (alert_id, created_at) WHERE alert_id IS NOT NULL;

-- =========================================================================================
-- Organisation links (table in 0001): 5.x typed links carry the peer's link type too.
-- =========================================================================================


-- =========================================================================================
-- MITRE ATT&CK patterns (§1.22) and procedures (§1.18)
-- =========================================================================================

CREATE TABLE pattern (
    id                      BIGSERIAL PRIMARY KEY,
    -- API `patternId`, e.g. T1059.001 (named mitre_id so procedure.pattern_id can be the FK)
    mitre_id                TEXT NOT NULL,
    name                    TEXT NOT NULL,
    description             TEXT,
    -- JSON arrays of strings
    tactics                 TEXT NOT NULL DEFAULT '[]',
    url                     TEXT NOT NULL DEFAULT '',
    pattern_type            TEXT NOT NULL DEFAULT 'attack-pattern',
    capec_id                TEXT,
    capec_url               TEXT,
    revoked                 BOOLEAN NOT NULL DEFAULT FALSE,
    data_sources            TEXT NOT NULL DEFAULT '[]',
    defense_bypassed        TEXT NOT NULL DEFAULT '[]',
    detection               TEXT,
    permissions_required    TEXT NOT NULL DEFAULT '[]',
    platforms               TEXT NOT NULL DEFAULT '[]',
    remote_support          BOOLEAN NOT NULL DEFAULT FALSE,
    system_requirements     TEXT NOT NULL DEFAULT '[]',
    version                 TEXT,
    -- sub-technique -> technique
    parent_id               BIGINT REFERENCES pattern (id) ON DELETE SET NULL,
    -- anything else from the STIX object
    extra_data              TEXT NOT NULL DEFAULT '{}',
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX pattern_mitre_id_key ON pattern (mitre_id);
CREATE INDEX pattern_parent_idx ON pattern (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE procedure (
    id                      BIGSERIAL PRIMARY KEY,
    case_id                 BIGINT REFERENCES cases (id) ON DELETE CASCADE,
    alert_id                BIGINT REFERENCES alert (id) ON DELETE CASCADE,
    pattern_id              BIGINT NOT NULL REFERENCES pattern (id),
    occur_date              BIGINT NOT NULL,
    tactic                  TEXT,
    description             TEXT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT,
    CHECK ((case_id IS NULL) <> (alert_id IS NULL))
);
CREATE INDEX procedure_case_idx ON procedure (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX procedure_alert_idx ON procedure (alert_id) WHERE alert_id IS NOT NULL;
CREATE INDEX procedure_pattern_idx ON procedure (pattern_id);

-- =========================================================================================
-- Pages (§1.17): organisation knowledge-base pages (4.x v0) or case pages (5.x)
-- =========================================================================================

CREATE TABLE page (
    id                      BIGSERIAL PRIMARY KEY,
    organisation_id         BIGINT REFERENCES organisation (id) ON DELETE CASCADE,
    case_id                 BIGINT REFERENCES cases (id) ON DELETE CASCADE,
    title                   TEXT NOT NULL,
    category                TEXT NOT NULL DEFAULT '',
    content                 TEXT NOT NULL DEFAULT '',
    position                BIGINT NOT NULL DEFAULT 0,
    -- derived from title; v0 looks knowledge-base pages up by slug
    slug                    TEXT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT,
    CHECK ((organisation_id IS NULL) <> (case_id IS NULL))
);
CREATE INDEX page_organisation_idx ON page (organisation_id, slug) WHERE organisation_id IS NOT NULL;
CREATE INDEX page_case_idx ON page (case_id, position) WHERE case_id IS NOT NULL;

-- =========================================================================================
-- Taxonomies and tags (§1.21)
-- =========================================================================================

CREATE TABLE taxonomy (
    id                      BIGSERIAL PRIMARY KEY,
    namespace               TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    version                 BIGINT NOT NULL DEFAULT 1,
    is_exclusive            BOOLEAN NOT NULL DEFAULT FALSE,
    -- the imported MISP taxonomy JSON, kept verbatim
    definition              TEXT NOT NULL DEFAULT '{}',
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX taxonomy_namespace_key ON taxonomy (namespace);

CREATE TABLE taxonomy_organisation (
    taxonomy_id             BIGINT NOT NULL REFERENCES taxonomy (id) ON DELETE CASCADE,
    organisation_id         BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    enabled                 BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (taxonomy_id, organisation_id)
);
CREATE INDEX taxonomy_organisation_organisation_idx ON taxonomy_organisation (organisation_id);

-- Tag definitions (colour, description). Taxonomy tags have taxonomy_id; free tags have
-- organisation_id and namespace '_freetags_<organisation id>'. `text` is the rendered form
-- stored in case_tag.tag etc. (namespace:predicate="value", or just predicate when the
-- namespace starts with '_').
CREATE TABLE tag (
    id                      BIGSERIAL PRIMARY KEY,
    taxonomy_id             BIGINT REFERENCES taxonomy (id) ON DELETE CASCADE,
    organisation_id         BIGINT REFERENCES organisation (id) ON DELETE CASCADE,
    namespace               TEXT NOT NULL,
    predicate               TEXT NOT NULL,
    value                   TEXT,
    colour                  TEXT NOT NULL DEFAULT '#000000',
    description             TEXT,
    text                    TEXT NOT NULL,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX tag_namespace_text_key ON tag (namespace, text);
CREATE INDEX tag_text_idx ON tag (text);
CREATE INDEX tag_taxonomy_idx ON tag (taxonomy_id) WHERE taxonomy_id IS NOT NULL;
CREATE INDEX tag_organisation_idx ON tag (organisation_id) WHERE organisation_id IS NOT NULL;

-- =========================================================================================
-- Dashboards (§1.20)
-- =========================================================================================

CREATE TABLE dashboard (
    id                      BIGSERIAL PRIMARY KEY,
    organisation_id         BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    title                   TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    -- JSON document, returned as a string
    definition              TEXT NOT NULL DEFAULT '{}',
    -- Private (visible to created_by) | Shared (visible to the organisation)
    status                  TEXT NOT NULL DEFAULT 'Private',
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE INDEX dashboard_organisation_idx ON dashboard (organisation_id, status);

-- =========================================================================================
-- Case timeline custom events and case links (5.x)
-- =========================================================================================

CREATE TABLE custom_event (
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
CREATE INDEX custom_event_case_idx ON custom_event (case_id, date);

-- Manual links: to another case (linked_case_id) or to an external URL (url); exactly one.
CREATE TABLE case_link (
    id                      BIGSERIAL PRIMARY KEY,
    case_id                 BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    link_type               TEXT NOT NULL,
    linked_case_id          BIGINT REFERENCES cases (id) ON DELETE CASCADE,
    url                     TEXT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT,
    CHECK ((linked_case_id IS NULL) <> (url IS NULL))
);
CREATE UNIQUE INDEX case_link_case_key ON case_link (case_id, linked_case_id, link_type);
CREATE INDEX case_link_linked_case_idx ON case_link (linked_case_id) WHERE linked_case_id IS NOT NULL;

-- =========================================================================================
-- Functions (§1.23, 5.x): admin-defined scripts exposed as POST /api/v1/function/{name}
-- =========================================================================================

CREATE TABLE custom_function (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    kind                    TEXT NOT NULL DEFAULT 'api',
    mode                    TEXT NOT NULL DEFAULT 'Enabled',
    definition              TEXT NOT NULL,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX custom_function_name_key ON custom_function (name);

-- =========================================================================================
-- MISP connector (misp.md §4.3)
-- =========================================================================================

CREATE TABLE misp_server (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    url                     TEXT NOT NULL,
    -- ImportOnly | ExportOnly | ImportAndExport
    purpose                 TEXT NOT NULL DEFAULT 'ImportAndExport',
    -- key | bearer | basic | none
    auth_type               TEXT NOT NULL DEFAULT 'key',
    auth_username           TEXT,
    -- API key (or basic password), encrypted by the application
    api_key_encrypted       BYTEA,
    proxy                   TEXT,
    -- PEM
    ca_cert                 TEXT,
    verify_host             BOOLEAN NOT NULL DEFAULT TRUE,
    enabled                 BOOLEAN NOT NULL DEFAULT TRUE,
    -- JSON: filters (max_age, max_attributes, include/exclude orgs and tags), case_template,
    -- alert tags, export flags, included/excluded Waggle organisations, intervals
    settings                TEXT NOT NULL DEFAULT '{}',
    -- last connector status check
    status                  TEXT,
    version                 TEXT,
    status_checked_at       BIGINT,
    -- sync loop bookkeeping
    last_sync_at            BIGINT,
    last_error              TEXT,
    events_imported         BIGINT NOT NULL DEFAULT 0,
    -- cluster-wide sync lease: one server process syncs a MISP server at a time
    lease_owner             TEXT,
    lease_until             BIGINT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX misp_server_name_key ON misp_server (name);

CREATE TABLE misp_export (
    id                      BIGSERIAL PRIMARY KEY,
    case_id                 BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    misp_server_id          BIGINT NOT NULL REFERENCES misp_server (id) ON DELETE CASCADE,
    event_id                TEXT NOT NULL,
    exported_at             BIGINT NOT NULL,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE INDEX misp_export_case_idx ON misp_export (case_id, misp_server_id);
CREATE INDEX misp_export_server_idx ON misp_export (misp_server_id);

-- =========================================================================================
-- Cortex connector (cortex.md §2, §3)
-- =========================================================================================

CREATE TABLE cortex_server (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    url                     TEXT NOT NULL,
    auth_type               TEXT NOT NULL DEFAULT 'bearer',
    auth_username           TEXT,
    api_key_encrypted       BYTEA,
    proxy                   TEXT,
    ca_cert                 TEXT,
    verify_host             BOOLEAN NOT NULL DEFAULT TRUE,
    enabled                 BOOLEAN NOT NULL DEFAULT TRUE,
    -- JSON: included/excluded Waggle organisations, refresh delay, retries
    settings                TEXT NOT NULL DEFAULT '{}',
    status                  TEXT,
    version                 TEXT,
    status_checked_at       BIGINT,
    last_error              TEXT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX cortex_server_name_key ON cortex_server (name);

-- Analyzer job on an observable. cortex_id is the server *name* (as TheHive exposes it),
-- so history survives the server's removal.
CREATE TABLE cortex_job (
    id                      BIGSERIAL PRIMARY KEY,
    observable_id           BIGINT NOT NULL REFERENCES observable (id) ON DELETE CASCADE,
    cortex_id               TEXT NOT NULL,
    -- the job id on the Cortex side
    cortex_job_id           TEXT,
    analyzer_id             TEXT NOT NULL,
    analyzer_name           TEXT NOT NULL,
    analyzer_definition     TEXT,
    -- Waiting | InProgress | Success | Failure | Deleted
    status                  TEXT NOT NULL DEFAULT 'Waiting',
    parameters              TEXT NOT NULL DEFAULT '{}',
    start_date              BIGINT NOT NULL,
    end_date                BIGINT,
    -- JSON: the `full` report on success, {"errorMessage": ...} on failure
    report                  TEXT,
    -- JSON array of executed operations with status/message
    operations              TEXT NOT NULL DEFAULT '[]',
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX cortex_job_remote_key ON cortex_job (cortex_id, cortex_job_id);
CREATE INDEX cortex_job_observable_idx ON cortex_job (observable_id);
CREATE INDEX cortex_job_status_idx ON cortex_job (status);

-- Observables created from a job report's artifacts (`fromJobReport`).
CREATE TABLE cortex_job_artifact (
    cortex_job_id           BIGINT NOT NULL REFERENCES cortex_job (id) ON DELETE CASCADE,
    observable_id           BIGINT NOT NULL REFERENCES observable (id) ON DELETE CASCADE,
    PRIMARY KEY (cortex_job_id, observable_id)
);
CREATE INDEX cortex_job_artifact_observable_idx ON cortex_job_artifact (observable_id);

-- Responder run on any entity. object_kind: case | task | log | observable | alert;
-- object_id is that row's id (no FK: the application deletes actions with their object).
CREATE TABLE cortex_action (
    id                      BIGSERIAL PRIMARY KEY,
    object_kind             TEXT NOT NULL,
    object_id               BIGINT NOT NULL,
    cortex_id               TEXT NOT NULL,
    cortex_job_id           TEXT,
    responder_id            TEXT NOT NULL,
    responder_name          TEXT NOT NULL,
    responder_definition    TEXT,
    status                  TEXT NOT NULL DEFAULT 'Waiting',
    parameters              TEXT NOT NULL DEFAULT '{}',
    tlp                     BIGINT,
    start_date              BIGINT NOT NULL,
    end_date                BIGINT,
    report                  TEXT,
    operations              TEXT NOT NULL DEFAULT '[]',
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE INDEX cortex_action_object_idx ON cortex_action (object_kind, object_id, start_date);
CREATE INDEX cortex_action_status_idx ON cortex_action (status);

-- Analyzer report templates (UI presentation, /api/connector/cortex/analyzer/template).
CREATE TABLE cortex_report_template (
    id                      BIGSERIAL PRIMARY KEY,
    analyzer_id             TEXT NOT NULL,
    content                 TEXT NOT NULL,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX cortex_report_template_analyzer_key ON cortex_report_template (analyzer_id);

-- =========================================================================================
-- Webhook endpoints (TheHive notification.webhook.endpoints)
-- =========================================================================================

CREATE TABLE webhook (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    url                     TEXT NOT NULL,
    -- payload version (TheHive 4 sends 0)
    version                 BIGINT NOT NULL DEFAULT 0,
    enabled                 BOOLEAN NOT NULL DEFAULT TRUE,
    auth_type               TEXT NOT NULL DEFAULT 'none',
    auth_username           TEXT,
    secret_encrypted        BYTEA,
    proxy                   TEXT,
    ca_cert                 TEXT,
    verify_host             BOOLEAN NOT NULL DEFAULT TRUE,
    -- JSON arrays of organisation names ('*' = all)
    included_organisations  TEXT NOT NULL DEFAULT '["*"]',
    excluded_organisations  TEXT NOT NULL DEFAULT '[]',
    -- JSON: extra headers, timeouts, triggers
    settings                TEXT NOT NULL DEFAULT '{}',
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX webhook_name_key ON webhook (name);

-- =========================================================================================
-- Background job queue (MISP sync, Cortex polling, webhook delivery, attachment GC, ...)
-- A worker claims a row by setting locked_by/locked_until (PostgreSQL: FOR UPDATE SKIP
-- LOCKED; SQLite: single writer) and deletes it on success. dedup_key is unique when set,
-- so "at most one pending job per thing" is an INSERT ... ON CONFLICT (dedup_key) DO NOTHING.
-- =========================================================================================

CREATE TABLE job (
    id                      BIGSERIAL PRIMARY KEY,
    kind                    TEXT NOT NULL,
    payload                 TEXT NOT NULL DEFAULT '{}',
    priority                BIGINT NOT NULL DEFAULT 0,
    run_at                  BIGINT NOT NULL,
    attempts                BIGINT NOT NULL DEFAULT 0,
    locked_until            BIGINT,
    locked_by               TEXT,
    dedup_key               TEXT,
    last_error              TEXT,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX job_dedup_key ON job (dedup_key);
CREATE INDEX job_run_at_idx ON job (run_at);
