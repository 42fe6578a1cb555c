-- SQLite gets an index for the metrics scrape's count of emails by kind and status
-- (its sort was held in the server's memory). PostgreSQL groups in its own server
-- process, within work_mem, so every email insert is spared another index here.
SELECT 1;
