DROP TABLE team_digests;
DELETE FROM emails WHERE team_id IS NOT NULL;
CREATE TABLE emails_old (
    id TEXT PRIMARY KEY NOT NULL,
    registration_id TEXT REFERENCES registrations (id),
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    kind TEXT NOT NULL,
    rule TEXT,
    due_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    sent_at TIMESTAMP,
    message_id TEXT,
    waitlist_position INTEGER,
    manage_token TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO emails_old SELECT id, registration_id, event_id, contact_id, kind, rule, due_at, status, attempts,
        last_error, next_attempt_at, lease_owner, lease_until, sent_at, message_id, waitlist_position,
        manage_token, created_at, updated_at
    FROM emails;
DROP TABLE emails;
ALTER TABLE emails_old RENAME TO emails;
CREATE INDEX emails_due ON emails (status, next_attempt_at);
CREATE INDEX emails_registration ON emails (registration_id, due_at, id);
CREATE INDEX emails_event ON emails (event_id, due_at, id);
CREATE INDEX emails_contact ON emails (contact_id, status);
