DROP TABLE search_backfill;
DROP TABLE search_grams;
DROP TABLE search_docs;
