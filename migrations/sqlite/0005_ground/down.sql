ALTER TABLE registrations DROP COLUMN stated_name;
ALTER TABLE registrations DROP COLUMN stated_company;
ALTER TABLE idempotency_keys DROP COLUMN headers;
