DROP TABLE idempotency_keys;
DROP TABLE registrations;
DROP TABLE contacts;
DROP TABLE companies;
ALTER TABLE events DROP COLUMN waitlist_seq;
ALTER TABLE events DROP COLUMN checked_in_count;
ALTER TABLE events DROP COLUMN waitlisted_count;
ALTER TABLE events DROP COLUMN registered_count;
ALTER TABLE events DROP COLUMN public_registration;
