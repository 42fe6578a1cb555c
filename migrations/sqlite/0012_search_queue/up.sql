-- Documents whose grams are not in search_grams yet (see src/db/search.rs): a write
-- stores the document and queues it, appending two rows instead of dirtying a page of
-- search_grams per gram; a background merge moves queued grams in, sorted, in batches.
-- Searches read the queued documents' text directly until then.
CREATE TABLE search_queue (
    kind INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (kind, entity_id)
) WITHOUT ROWID;
-- Every new or changed document is queued by the database itself: no write path can
-- forget it, and it costs no statement of its own.
CREATE TRIGGER search_docs_queue_insert AFTER INSERT ON search_docs
BEGIN
    INSERT OR IGNORE INTO search_queue (kind, entity_id) VALUES (NEW.kind, NEW.entity_id);
END;
CREATE TRIGGER search_docs_queue_update AFTER UPDATE OF body ON search_docs
BEGIN
    INSERT OR IGNORE INTO search_queue (kind, entity_id) VALUES (NEW.kind, NEW.entity_id);
END;
