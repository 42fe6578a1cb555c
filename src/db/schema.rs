//! Diesel table definitions, shared by both backends (portable column types only).

diesel::table! {
    api_tokens (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
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
diesel::allow_tables_to_appear_in_same_query!(api_tokens, roadshows, events, event_tags);
