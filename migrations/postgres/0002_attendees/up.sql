ALTER TABLE events ADD COLUMN public_registration BOOLEAN NOT NULL DEFAULT FALSE;
-- Live counters, changed only in the transaction that changes a registration.
ALTER TABLE events ADD COLUMN registered_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN waitlisted_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN checked_in_count INTEGER NOT NULL DEFAULT 0;
-- The last waitlist ticket handed out: the waitlist is served in ticket order.
ALTER TABLE events ADD COLUMN waitlist_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE companies (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- Trimmed, case-folded name: the uniqueness key.
    name_key TEXT NOT NULL UNIQUE,
    name_en TEXT,
    country TEXT,
    industry_chain TEXT,
    website TEXT,
    is_target BOOLEAN NOT NULL DEFAULT FALSE,
    assessment_score INTEGER,
    assessment_notes TEXT,
    notes TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX companies_created ON companies (created_at, id);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    -- Trimmed, lower-cased email: the uniqueness key ("erased:<id>" once erased).
    email_key TEXT NOT NULL UNIQUE,
    phone TEXT,
    title TEXT,
    company_id TEXT REFERENCES companies (id),
    language TEXT NOT NULL,
    timezone TEXT,
    consent_reminders BOOLEAN NOT NULL DEFAULT TRUE,
    erased_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX contacts_created ON contacts (created_at, id);
CREATE INDEX contacts_company ON contacts (company_id);

CREATE TABLE registrations (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id),
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    role TEXT NOT NULL,
    notes TEXT,
    status TEXT NOT NULL,
    waitlist_seq INTEGER,
    source TEXT NOT NULL,
    manage_token_hash TEXT UNIQUE,
    checked_in_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    -- Contact first: the same index finds a person's registrations.
    UNIQUE (contact_id, event_id)
);
CREATE INDEX registrations_event ON registrations (event_id, created_at, id);
CREATE INDEX registrations_waitlist ON registrations (event_id, status, waitlist_seq);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
