DROP TABLE event_tags;
DROP TABLE events;
DROP TABLE roadshows;
DROP TABLE api_tokens;
