DROP TABLE emails;
DROP INDEX contacts_unsubscribe_token;
ALTER TABLE contacts DROP COLUMN unsubscribe_token;
DROP TABLE event_reminder_rules;
