-- Replayed idempotent responses send the headers they were first sent with.
ALTER TABLE idempotency_keys ADD COLUMN headers TEXT NOT NULL DEFAULT '[]';
-- What a public registrant typed: the company name is kept for an organiser to link
-- (an anonymous caller never makes a company), and the name is what their own link
-- shows them (never the stored contact's, which may be someone else's).
ALTER TABLE registrations ADD COLUMN stated_company TEXT;
ALTER TABLE registrations ADD COLUMN stated_name TEXT;
