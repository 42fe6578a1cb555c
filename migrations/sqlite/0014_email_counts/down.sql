DROP INDEX emails_kind_status;
