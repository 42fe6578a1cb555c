-- The text search index (see src/db/search.rs): one folded document per entity and
-- one row per distinct gram, packed into an integer. Kinds: 1 event, 2 company,
-- 3 contact, 4 intention.
CREATE TABLE search_docs (
    kind INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, entity_id)
) WITHOUT ROWID;
CREATE TABLE search_grams (
    kind INTEGER NOT NULL,
    gram INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (kind, gram, entity_id)
) WITHOUT ROWID;
-- Rows already stored are indexed by the service right after migrating (the folding
-- and the grams are computed in Rust, the same for both backends); this marker asks
-- for it and is removed when done.
CREATE TABLE search_backfill (id INTEGER PRIMARY KEY NOT NULL);
INSERT INTO search_backfill (id) VALUES (1);
