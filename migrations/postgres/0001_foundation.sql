-- Foundation: organisations, users, profiles, memberships, sessions, observable types, audit.
-- Conventions (see migrations/README.md): epoch-millisecond integers for dates, BOOLEAN for booleans,
-- BIGINT for integers, JSON as TEXT, same tables and columns in the SQLite file.

CREATE TABLE organisation (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    task_rule TEXT NOT NULL DEFAULT 'manual',
    observable_rule TEXT NOT NULL DEFAULT 'manual',
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT,
    updated_at BIGINT
);
CREATE UNIQUE INDEX organisation_name_key ON organisation (name);

CREATE TABLE profile (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL DEFAULT '[]',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT,
    updated_at BIGINT
);
CREATE UNIQUE INDEX profile_name_key ON profile (name);

CREATE TABLE app_user (
    id BIGSERIAL PRIMARY KEY,
    login TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    user_type TEXT NOT NULL DEFAULT 'Normal',
    password_hash TEXT,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    api_key_hash TEXT,
    api_key_sealed BYTEA,
    totp_secret TEXT,
    default_organisation_id BIGINT REFERENCES organisation (id) ON DELETE SET NULL,
    avatar TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT,
    updated_at BIGINT
);
CREATE UNIQUE INDEX app_user_login_key ON app_user (login);
CREATE UNIQUE INDEX app_user_api_key_hash_key ON app_user (api_key_hash);

-- A user's membership in an organisation, with the profile that applies there.
CREATE TABLE role (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    profile_id BIGINT NOT NULL REFERENCES profile (id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX role_user_organisation_key ON role (user_id, organisation_id);
CREATE INDEX role_organisation_idx ON role (organisation_id);
CREATE INDEX role_profile_idx ON role (profile_id);

-- Server-side sessions: the cookie holds a random token, the table only its hash.
CREATE TABLE user_session (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    organisation_id BIGINT REFERENCES organisation (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX user_session_token_key ON user_session (token_hash);
CREATE INDEX user_session_user_idx ON user_session (user_id);

CREATE TABLE observable_type (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    is_attachment BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT,
    updated_at BIGINT
);
CREATE UNIQUE INDEX observable_type_name_key ON observable_type (name);

-- One row per mutation, written in the same transaction as the mutation itself.
-- root_type/root_id name the case or alert the action belongs to (the timeline key).
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    organisation_id BIGINT,
    request_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id BIGINT,
    root_type TEXT,
    root_id BIGINT,
    details TEXT NOT NULL DEFAULT '{}',
    main_action BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX audit_root_idx ON audit (root_type, root_id, id);
CREATE INDEX audit_object_idx ON audit (object_type, object_id, id);
CREATE INDEX audit_organisation_idx ON audit (organisation_id, id);

-- Directed links between organisations (the link API writes both directions). Only linked
-- organisations see each other and may share cases.
CREATE TABLE organisation_link (
    id BIGSERIAL PRIMARY KEY,
    from_organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    to_organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    link_type TEXT NOT NULL DEFAULT 'default',
    other_link_type TEXT NOT NULL DEFAULT 'default',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX organisation_link_key ON organisation_link (from_organisation_id, to_organisation_id);
CREATE INDEX organisation_link_to_idx ON organisation_link (to_organisation_id);
