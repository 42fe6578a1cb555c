-- The metrics scrape counts emails by kind and status. Without this index SQLite read
-- every email and sorted them all in memory (temp_store=MEMORY): 4M emails at 1M
-- registrations took the server from 101 to 325 MB, and that memory stayed with the
-- C allocator. With it the count is a scan of this index in the page cache.
CREATE INDEX emails_kind_status ON emails (kind, status);
