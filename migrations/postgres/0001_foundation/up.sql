CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE roadshows (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    theme TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX roadshows_created ON roadshows (created_at, id);

CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    summary TEXT,
    kind TEXT NOT NULL,
    industry_chain TEXT,
    platform TEXT,
    city TEXT NOT NULL,
    venue TEXT,
    address TEXT,
    timezone TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    starts_local TIMESTAMP NOT NULL,
    ends_at TIMESTAMP,
    capacity INTEGER,
    registration_closes_at TIMESTAMP,
    status TEXT NOT NULL,
    cancel_reason TEXT,
    roadshow_id TEXT REFERENCES roadshows (id),
    sequence INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX events_start ON events (starts_at, id);
CREATE INDEX events_roadshow ON events (roadshow_id, starts_at);

CREATE TABLE event_tags (
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (event_id, tag)
);
CREATE INDEX event_tags_tag ON event_tags (tag);
