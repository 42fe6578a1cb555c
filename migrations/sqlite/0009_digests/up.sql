-- Daily follow-up digests go to a team, not to an attendee: an email now names either
-- an event and a contact, or a team. SQLite cannot drop NOT NULL in place, so the
-- outbox is copied into a table of the new shape (nothing references it).
CREATE TABLE emails_new (
    id TEXT PRIMARY KEY NOT NULL,
    registration_id TEXT REFERENCES registrations (id),
    event_id TEXT REFERENCES events (id) ON DELETE CASCADE,
    contact_id TEXT REFERENCES contacts (id),
    -- confirmation | waitlisted | reminder | updated | cancelled | promoted | manage_link | digest
    kind TEXT NOT NULL,
    rule TEXT,
    due_at TIMESTAMP NOT NULL,
    -- pending | sent | failed | cancelled
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
    updated_at TIMESTAMP NOT NULL,
    -- The team a digest goes to.
    team_id TEXT REFERENCES teams (id),
    CONSTRAINT emails_recipient CHECK ((event_id IS NOT NULL AND contact_id IS NOT NULL) OR team_id IS NOT NULL)
);
INSERT INTO emails_new (id, registration_id, event_id, contact_id, kind, rule, due_at, status, attempts,
        last_error, next_attempt_at, lease_owner, lease_until, sent_at, message_id, waitlist_position,
        manage_token, created_at, updated_at)
    SELECT id, registration_id, event_id, contact_id, kind, rule, due_at, status, attempts,
        last_error, next_attempt_at, lease_owner, lease_until, sent_at, message_id, waitlist_position,
        manage_token, created_at, updated_at
    FROM emails;
DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;
CREATE INDEX emails_due ON emails (status, next_attempt_at);
CREATE INDEX emails_registration ON emails (registration_id, due_at, id);
CREATE INDEX emails_event ON emails (event_id, due_at, id);
CREATE INDEX emails_contact ON emails (contact_id, status);

-- One row per team and local day a digest was planned for, whether or not it had
-- anything to list: the primary key is what keeps two workers (or replicas) from
-- planning the same day twice.
CREATE TABLE team_digests (
    team_id TEXT NOT NULL REFERENCES teams (id),
    local_date DATE NOT NULL,
    -- The digest email; null when the team had nothing overdue or due that day.
    email_id TEXT REFERENCES emails (id),
    -- Intentions listed when it was planned.
    items INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (team_id, local_date)
);
CREATE UNIQUE INDEX team_digests_email ON team_digests (email_id);
