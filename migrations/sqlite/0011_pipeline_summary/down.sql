DROP TRIGGER pipeline_summary_delete;
DROP TRIGGER pipeline_summary_update;
DROP TRIGGER pipeline_summary_insert;
DROP TABLE pipeline_summary;
