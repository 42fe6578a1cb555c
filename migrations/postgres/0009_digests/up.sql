-- Daily follow-up digests go to a team, not to an attendee: an email now names either
-- an event and a contact, or a team.
ALTER TABLE emails
    ALTER COLUMN event_id DROP NOT NULL,
    ALTER COLUMN contact_id DROP NOT NULL,
    ADD COLUMN team_id TEXT REFERENCES teams (id),
    ADD CONSTRAINT emails_recipient CHECK ((event_id IS NOT NULL AND contact_id IS NOT NULL) OR team_id IS NOT NULL);

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
