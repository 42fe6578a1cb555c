DROP TRIGGER search_docs_queue ON search_docs;
DROP FUNCTION search_docs_queue();
DROP TABLE search_queue;
