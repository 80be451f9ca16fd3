-- 0009_platform_settings.sql (PostgreSQL): platform-wide settings an administrator changes
-- at run time (API and UI), one row per setting, the value a JSON document. A setting
-- without a row follows the configuration file. First one: `misp.syncInterval` (seconds),
-- the polling interval shared by the MISP servers that do not set their own.
CREATE TABLE platform_setting (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    value                   TEXT NOT NULL,
    created_by              TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_by              TEXT,
    updated_at              BIGINT
);
CREATE UNIQUE INDEX platform_setting_name_key ON platform_setting (name);
