DROP TABLE team_digests;
DELETE FROM emails WHERE team_id IS NOT NULL;
ALTER TABLE emails
    DROP CONSTRAINT emails_recipient,
    DROP COLUMN team_id,
    ALTER COLUMN event_id SET NOT NULL,
    ALTER COLUMN contact_id SET NOT NULL;
