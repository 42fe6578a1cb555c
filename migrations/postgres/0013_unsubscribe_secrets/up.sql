-- Every contact now gets its unsubscribe secret when it is stored (emails no longer
-- make it on first use, a read per planned email); contacts stored before get theirs
-- here (gen_random_uuid draws from the operating system's strong random source).
-- Erased contacts keep none: nothing is sent to them.
UPDATE contacts
SET unsubscribe_token = 'rs_' || replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
WHERE unsubscribe_token IS NULL AND erased_at IS NULL;
