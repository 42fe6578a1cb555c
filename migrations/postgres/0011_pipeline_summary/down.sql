DROP TRIGGER pipeline_summary_update ON intentions;
DROP TRIGGER pipeline_summary_insert_delete ON intentions;
DROP FUNCTION pipeline_summary_track();
DROP FUNCTION pipeline_summary_add(intentions, BIGINT);
DROP TABLE pipeline_summary;
