-- Foundation: organisations, users, profiles, memberships, sessions, observable types, audit.
-- Conventions (see migrations/README.md): epoch-millisecond integers for dates, 0/1 integers
-- for booleans, JSON as TEXT, same tables and columns in the PostgreSQL file.

CREATE TABLE organisation (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    task_rule TEXT NOT NULL DEFAULT 'manual',
    observable_rule TEXT NOT NULL DEFAULT 'manual',
    locked INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_by TEXT,
    updated_at INTEGER
);
CREATE UNIQUE INDEX organisation_name_key ON organisation (name);

CREATE TABLE profile (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL DEFAULT '[]',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_by TEXT,
    updated_at INTEGER
);
CREATE UNIQUE INDEX profile_name_key ON profile (name);

CREATE TABLE app_user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    login TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    user_type TEXT NOT NULL DEFAULT 'Normal',
    password_hash TEXT,
    locked INTEGER NOT NULL DEFAULT 0,
    api_key_hash TEXT,
    api_key_sealed BLOB,
    totp_secret TEXT,
    default_organisation_id INTEGER REFERENCES organisation (id) ON DELETE SET NULL,
    avatar TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_by TEXT,
    updated_at INTEGER
);
CREATE UNIQUE INDEX app_user_login_key ON app_user (login);
CREATE UNIQUE INDEX app_user_api_key_hash_key ON app_user (api_key_hash);

-- A user's membership in an organisation, with the profile that applies there.
CREATE TABLE role (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    organisation_id INTEGER NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    profile_id INTEGER NOT NULL REFERENCES profile (id),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX role_user_organisation_key ON role (user_id, organisation_id);
CREATE INDEX role_organisation_idx ON role (organisation_id);
CREATE INDEX role_profile_idx ON role (profile_id);

-- Server-side sessions: the cookie holds a random token, the table only its hash.
CREATE TABLE user_session (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    organisation_id INTEGER REFERENCES organisation (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_session_token_key ON user_session (token_hash);
CREATE INDEX user_session_user_idx ON user_session (user_id);

CREATE TABLE observable_type (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    is_attachment INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_by TEXT,
    updated_at INTEGER
);
CREATE UNIQUE INDEX observable_type_name_key ON observable_type (name);

-- One row per mutation, written in the same transaction as the mutation itself.
-- root_type/root_id name the case or alert the action belongs to (the timeline key).
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    organisation_id INTEGER,
    request_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id INTEGER,
    root_type TEXT,
    root_id INTEGER,
    details TEXT NOT NULL DEFAULT '{}',
    main_action INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX audit_root_idx ON audit (root_type, root_id, id);
CREATE INDEX audit_object_idx ON audit (object_type, object_id, id);
CREATE INDEX audit_organisation_idx ON audit (organisation_id, id);

-- Directed links between organisations (the link API writes both directions). Only linked
-- organisations see each other and may share cases.
CREATE TABLE organisation_link (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    from_organisation_id INTEGER NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    to_organisation_id INTEGER NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    link_type TEXT NOT NULL DEFAULT 'default',
    other_link_type TEXT NOT NULL DEFAULT 'default',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX organisation_link_key ON organisation_link (from_organisation_id, to_organisation_id);
CREATE INDEX organisation_link_to_idx ON organisation_link (to_organisation_id);
