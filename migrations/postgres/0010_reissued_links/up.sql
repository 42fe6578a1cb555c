-- A second manage link per registration: the one mailed when someone registers again
-- with the address of an existing registration. The first link (manage_token_hash)
-- keeps working; each new mailing replaces only this one.
ALTER TABLE registrations ADD COLUMN reissued_token_hash TEXT;
CREATE UNIQUE INDEX registrations_reissued_token_hash ON registrations (reissued_token_hash);
