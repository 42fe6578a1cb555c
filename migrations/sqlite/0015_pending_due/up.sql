-- The due index holds pending emails only. As (status, next_attempt_at) every email's
-- entry moved within it when the email was sent, and sent emails stayed in it for good;
-- now a send only removes the entry. The queries that use it say `status = 'pending'`
-- as a literal, which is how either engine knows the index applies.
DROP INDEX emails_due;
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'pending';
