DROP TABLE intention_activities;
DROP TRIGGER intention_history_no_delete;
DROP TRIGGER intention_history_no_update;
DROP TABLE intention_history;
DROP TABLE intentions;
-- SQLite cannot drop a column that takes part in a foreign key: rebuild the table.
CREATE TABLE api_tokens_old (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
INSERT INTO api_tokens_old SELECT id, name, role, token_hash, created_at, revoked_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_old RENAME TO api_tokens;
DROP TABLE teams;
