-- Reminder rules per event: a JSON array of ISO 8601 durations before the start.
CREATE TABLE event_reminder_rules (
    event_id TEXT PRIMARY KEY NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    rules TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- Events made before reminders existed get the built-in defaults.
INSERT INTO event_reminder_rules (event_id, rules, updated_at)
    SELECT id, '["P7D","P1D","PT2H"]', updated_at FROM events;

-- The secret in a contact's one-click unsubscribe link (made when first mailed).
ALTER TABLE contacts ADD COLUMN unsubscribe_token TEXT;
CREATE UNIQUE INDEX contacts_unsubscribe_token ON contacts (unsubscribe_token);

-- The outbox: every email planned, in the transaction of the change that caused it.
CREATE TABLE emails (
    id TEXT PRIMARY KEY NOT NULL,
    registration_id TEXT REFERENCES registrations (id),
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    -- confirmation | waitlisted | reminder | updated | cancelled | promoted | manage_link
    kind TEXT NOT NULL,
    -- The reminder rule (P1D, PT2H) for reminders.
    rule TEXT,
    due_at TIMESTAMP NOT NULL,
    -- pending | sent | failed | cancelled
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A worker's claim: nobody else sends this email before lease_until.
    lease_owner TEXT,
    lease_until TIMESTAMP,
    sent_at TIMESTAMP,
    message_id TEXT,
    -- Waitlist position for "waitlisted" emails.
    waitlist_position INTEGER,
    -- The registration's manage token while an email that shows it is pending; cleared
    -- when the email is settled (the registration itself keeps only a hash).
    manage_token TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX emails_due ON emails (status, next_attempt_at);
CREATE INDEX emails_registration ON emails (registration_id, due_at, id);
CREATE INDEX emails_event ON emails (event_id, due_at, id);
CREATE INDEX emails_contact ON emails (contact_id, status);
