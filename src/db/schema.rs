//! Diesel table definitions, shared by both backends (portable column types only).

diesel::table! {
    api_tokens (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        team_id -> Nullable<Text>,
    }
}

diesel::table! {
    roadshows (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        theme -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        title -> Text,
        summary -> Nullable<Text>,
        kind -> Text,
        industry_chain -> Nullable<Text>,
        platform -> Nullable<Text>,
        city -> Text,
        venue -> Nullable<Text>,
        address -> Nullable<Text>,
        timezone -> Text,
        starts_at -> Timestamp,
        starts_local -> Timestamp,
        ends_at -> Nullable<Timestamp>,
        capacity -> Nullable<Integer>,
        registration_closes_at -> Nullable<Timestamp>,
        status -> Text,
        cancel_reason -> Nullable<Text>,
        roadshow_id -> Nullable<Text>,
        sequence -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        public_registration -> Bool,
        registered_count -> Integer,
        waitlisted_count -> Integer,
        checked_in_count -> Integer,
        waitlist_seq -> Integer,
        tags -> Text,
    }
}

diesel::table! {
    event_tags (event_id, tag) {
        event_id -> Text,
        tag -> Text,
        position -> Integer,
    }
}

diesel::joinable!(events -> roadshows (roadshow_id));
diesel::joinable!(event_tags -> events (event_id));

diesel::table! {
    companies (id) {
        id -> Text,
        name -> Text,
        name_key -> Text,
        name_en -> Nullable<Text>,
        country -> Nullable<Text>,
        industry_chain -> Nullable<Text>,
        website -> Nullable<Text>,
        is_target -> Bool,
        assessment_score -> Nullable<Integer>,
        assessment_notes -> Nullable<Text>,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    contacts (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        email_key -> Text,
        phone -> Nullable<Text>,
        title -> Nullable<Text>,
        company_id -> Nullable<Text>,
        language -> Text,
        timezone -> Nullable<Text>,
        consent_reminders -> Bool,
        erased_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        unsubscribe_token -> Nullable<Text>,
    }
}

diesel::table! {
    registrations (id) {
        id -> Text,
        event_id -> Text,
        contact_id -> Text,
        role -> Text,
        notes -> Nullable<Text>,
        status -> Text,
        waitlist_seq -> Nullable<Integer>,
        source -> Text,
        manage_token_hash -> Nullable<Text>,
        checked_in_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        stated_company -> Nullable<Text>,
        stated_name -> Nullable<Text>,
        reissued_token_hash -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
        headers -> Text,
    }
}

diesel::table! {
    event_reminder_rules (event_id) {
        event_id -> Text,
        rules -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    emails (id) {
        id -> Text,
        registration_id -> Nullable<Text>,
        event_id -> Nullable<Text>,
        contact_id -> Nullable<Text>,
        kind -> Text,
        rule -> Nullable<Text>,
        due_at -> Timestamp,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        message_id -> Nullable<Text>,
        waitlist_position -> Nullable<Integer>,
        manage_token -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        team_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// One row per team and local day a follow-up digest was planned for.
    team_digests (team_id, local_date) {
        team_id -> Text,
        local_date -> Date,
        email_id -> Nullable<Text>,
        items -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pipeline_summary (stage, investment_currency, owner_team_id, major) {
        stage -> Text,
        investment_currency -> Text,
        owner_team_id -> Text,
        major -> Bool,
        n -> BigInt,
        amounted -> BigInt,
        cents_high -> BigInt,
        cents_low -> BigInt,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        name -> Text,
        name_key -> Text,
        email -> Nullable<Text>,
        timezone -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    intentions (id) {
        id -> Text,
        company_id -> Text,
        contact_id -> Nullable<Text>,
        event_id -> Nullable<Text>,
        project_name -> Text,
        summary -> Nullable<Text>,
        industry_chain -> Nullable<Text>,
        platform -> Nullable<Text>,
        stage -> Text,
        interest_level -> Nullable<Text>,
        investment_amount -> Nullable<Text>,
        amount_cents -> Nullable<BigInt>,
        investment_currency -> Text,
        owner_team_id -> Text,
        next_follow_up_on -> Nullable<Date>,
        signed_on -> Nullable<Date>,
        landed_on -> Nullable<Date>,
        dropped_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    intention_history (id) {
        id -> BigInt,
        intention_id -> Text,
        at -> Timestamp,
        by_name -> Text,
        field -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    intention_activities (id) {
        id -> Text,
        intention_id -> Text,
        kind -> Text,
        happened_at -> Timestamp,
        summary -> Text,
        contact_id -> Nullable<Text>,
        next_follow_up_on -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(api_tokens -> teams (team_id));
diesel::joinable!(intentions -> companies (company_id));
diesel::joinable!(intentions -> teams (owner_team_id));
diesel::joinable!(intention_history -> intentions (intention_id));
diesel::joinable!(intention_activities -> intentions (intention_id));
diesel::joinable!(contacts -> companies (company_id));
diesel::joinable!(emails -> events (event_id));
diesel::joinable!(event_reminder_rules -> events (event_id));
diesel::joinable!(registrations -> events (event_id));
diesel::joinable!(registrations -> contacts (contact_id));
diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    roadshows,
    events,
    event_tags,
    companies,
    contacts,
    registrations,
    idempotency_keys,
    event_reminder_rules,
    emails,
    team_digests,
    search_docs,
    search_grams,
    search_queue,
    search_backfill,
    teams,
    intentions,
    intention_history,
    intention_activities,
);

diesel::table! {
    /// One row per searchable entity: its searched fields, folded, one per line.
    search_docs (kind, entity_id) {
        kind -> Integer,
        entity_id -> Text,
        body -> Text,
    }
}

diesel::table! {
    /// One row per distinct indexed gram of an entity (see `db::search`).
    search_grams (kind, gram, entity_id) {
        kind -> Integer,
        gram -> BigInt,
        entity_id -> Text,
    }
}

diesel::table! {
    /// Documents whose grams are not merged into `search_grams` yet (see `db::search`).
    search_queue (kind, entity_id) {
        kind -> Integer,
        entity_id -> Text,
    }
}

diesel::table! {
    /// A marker left by migration 0008: rows written before it still need indexing.
    search_backfill (id) {
        id -> Integer,
    }
}
