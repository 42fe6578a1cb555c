-- Keys are purged by age (idempotency.retention_secs), oldest first.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
