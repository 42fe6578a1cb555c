DROP INDEX registrations_reissued_token_hash;
ALTER TABLE registrations DROP COLUMN reissued_token_hash;
