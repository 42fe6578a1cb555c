DROP TRIGGER search_docs_queue_update;
DROP TRIGGER search_docs_queue_insert;
DROP TABLE search_queue;
