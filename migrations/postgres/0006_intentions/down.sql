DROP TABLE intention_activities;
DROP TABLE intention_history;
DROP FUNCTION intention_history_append_only();
DROP TABLE intentions;
ALTER TABLE api_tokens DROP COLUMN team_id;
DROP TABLE teams;
