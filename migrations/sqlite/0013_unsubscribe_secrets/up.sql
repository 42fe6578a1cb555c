-- Every contact now gets its unsubscribe secret when it is stored (emails no longer
-- make it on first use, a read per planned email); contacts stored before get theirs
-- here. Erased contacts keep none: nothing is sent to them.
UPDATE contacts SET unsubscribe_token = 'rs_' || lower(hex(randomblob(32)))
WHERE unsubscribe_token IS NULL AND erased_at IS NULL;
