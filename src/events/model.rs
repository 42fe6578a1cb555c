//! Event types: the stored row, the API representation and the request bodies.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::events;
use crate::db::stored_enum::Known;
use crate::db::stored_time::{MaybeStoredTime, StoredTime};
use crate::nullable::{not_null, nullable, nullable_whole, whole};
use crate::schema::TimeZone;
use crate::string_enum;
use crate::time::in_zone;

string_enum! {
    /// What kind of promotion event this is.
    pub enum EventKind {
        Forum => "forum",
        Promotion => "promotion",
        Exchange => "exchange",
        Matchmaking => "matchmaking",
        SiteVisit => "site_visit",
        Other => "other",
    }
}

string_enum! {
    /// Where an event is in its life: draft → scheduled → completed, or cancelled.
    pub enum EventStatus {
        Draft => "draft",
        Scheduled => "scheduled",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

/// An event as stored: times in UTC, text enums.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true, check_for_backend(crate::db::MultiBackend))]
pub struct EventRow {
    pub id: String,
    pub title: String,
    pub summary: Option<String>,
    #[diesel(deserialize_as = Known<EventKind>)]
    pub kind: String,
    pub industry_chain: Option<String>,
    pub platform: Option<String>,
    pub city: String,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub timezone: String,
    #[diesel(deserialize_as = StoredTime)]
    pub starts_at: NaiveDateTime,
    /// Wall-clock start in the event's zone, kept for date filters.
    #[diesel(deserialize_as = StoredTime)]
    pub starts_local: NaiveDateTime,
    #[diesel(deserialize_as = MaybeStoredTime)]
    pub ends_at: Option<NaiveDateTime>,
    pub capacity: Option<i32>,
    #[diesel(deserialize_as = MaybeStoredTime)]
    pub registration_closes_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = Known<EventStatus>)]
    pub status: String,
    pub cancel_reason: Option<String>,
    pub roadshow_id: Option<String>,
    /// iCalendar SEQUENCE: rises when time, place or status changes.
    pub sequence: i32,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    pub version: i32,
    pub public_registration: bool,
    /// The tags in order, as a JSON array (`event_tags` indexes them for filtering).
    pub tags: String,
}

/// An event's live registration counters, kept apart from [`EventRow`] so that saving
/// an edited event can never overwrite them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventCounts {
    pub registered_count: i32,
    pub waitlisted_count: i32,
    pub checked_in_count: i32,
}

impl EventRow {
    /// The event's time zone (validated when stored).
    pub fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(Tz::UTC)
    }

    /// The event's status.
    pub fn status(&self) -> EventStatus {
        EventStatus::from_checked(&self.status)
    }

    /// The event's tags in order.
    pub fn tag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }
}

/// An event as the API shows it: every time in RFC 3339 in the event's own zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    #[schema(format = Uuid)]
    pub id: String,
    pub title: String,
    pub summary: Option<String>,
    pub kind: EventKind,
    pub industry_chain: Option<String>,
    pub platform: Option<String>,
    pub city: String,
    pub venue: Option<String>,
    pub address: Option<String>,
    /// IANA time zone name, e.g. `Asia/Shanghai`.
    pub timezone: String,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub starts_at: DateTime<FixedOffset>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub ends_at: Option<DateTime<FixedOffset>>,
    /// Seats; null means unlimited.
    pub capacity: Option<i32>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub registration_closes_at: Option<DateTime<FixedOffset>>,
    pub status: EventStatus,
    pub cancel_reason: Option<String>,
    #[schema(format = Uuid)]
    pub roadshow_id: Option<String>,
    pub tags: Vec<String>,
    /// Whether attendees may register themselves through the public link.
    pub public_registration: bool,
    /// Attendees holding a seat.
    pub registered_count: i32,
    pub waitlisted_count: i32,
    pub checked_in_count: i32,
    /// Seats still free; null when capacity is unlimited.
    pub seats_left: Option<i32>,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub created_at: DateTime<FixedOffset>,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub updated_at: DateTime<FixedOffset>,
    /// Rises by one on every change; send it back in `If-Match`.
    pub version: i32,
}

impl Event {
    /// The API view of a stored event and its counters.
    pub fn from_row(row: EventRow, counts: EventCounts) -> Self {
        let tags = row.tag_list();
        let tz = row.tz();
        let show = |t: NaiveDateTime| in_zone(t, tz);
        Event {
            kind: EventKind::from_checked(&row.kind),
            status: row.status(),
            starts_at: show(row.starts_at),
            ends_at: row.ends_at.map(show),
            registration_closes_at: row.registration_closes_at.map(show),
            created_at: show(row.created_at),
            updated_at: show(row.updated_at),
            id: row.id,
            title: row.title,
            summary: row.summary,
            industry_chain: row.industry_chain,
            platform: row.platform,
            city: row.city,
            venue: row.venue,
            address: row.address,
            timezone: row.timezone,
            capacity: row.capacity,
            cancel_reason: row.cancel_reason,
            roadshow_id: row.roadshow_id,
            tags,
            public_registration: row.public_registration,
            registered_count: counts.registered_count,
            waitlisted_count: counts.waitlisted_count,
            checked_in_count: counts.checked_in_count,
            seats_left: row.capacity.map(|c| (c - counts.registered_count).max(0)),
            version: row.version,
        }
    }
}

/// The body of `POST /api/v1/events`. Times are local wall time in `timezone`
/// (`2024-03-04T14:00:00`) or RFC 3339 with an offset.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    /// Required, at most 200 characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: Option<String>,
    pub summary: Option<String>,
    /// Defaults to `other`.
    #[schema(value_type = Option<EventKind>)]
    pub kind: Option<String>,
    pub industry_chain: Option<String>,
    pub platform: Option<String>,
    /// Required.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub city: Option<String>,
    pub venue: Option<String>,
    pub address: Option<String>,
    /// Required IANA time zone name.
    #[schema(required = true, value_type = TimeZone)]
    pub timezone: Option<String>,
    /// Required: local wall time in `timezone`, or RFC 3339 with an offset.
    #[schema(required = true, value_type = String, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?$", example = "2024-03-04T14:00:00")]
    pub starts_at: Option<String>,
    /// Local wall time in `timezone`, or RFC 3339 with an offset.
    #[schema(value_type = Option<String>, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?$", example = "2024-03-04T14:00:00")]
    pub ends_at: Option<String>,
    /// Null or absent means unlimited; otherwise at least 1.
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 1)]
    pub capacity: Option<i64>,
    /// Local wall time in `timezone`, or RFC 3339 with an offset.
    #[schema(value_type = Option<String>, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?$", example = "2024-03-04T14:00:00")]
    pub registration_closes_at: Option<String>,
    /// `draft` (default) or `scheduled`.
    #[schema(value_type = Option<EventStatus>)]
    pub status: Option<String>,
    #[schema(format = Uuid)]
    pub roadshow_id: Option<String>,
    /// At most 20 tags of 1–50 characters.
    #[schema(max_items = 20)]
    pub tags: Option<Vec<String>>,
    /// Let attendees register themselves through the public link (default false).
    pub public_registration: Option<bool>,
}

/// The body of `PATCH /api/v1/events/{id}`: only the fields given change; `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub summary: Option<Option<String>>,
    #[schema(value_type = Option<EventKind>)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub industry_chain: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub platform: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub venue: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// Changing the zone keeps wall-clock times unless new times are given.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = TimeZone)]
    pub timezone: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?$", example = "2024-03-04T14:00:00")]
    pub starts_at: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?$", example = "2024-03-04T14:00:00")]
    pub ends_at: Option<Option<String>>,
    /// At least 1; null means unlimited.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub capacity: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?$", example = "2024-03-04T14:00:00")]
    pub registration_closes_at: Option<Option<String>>,
    #[schema(value_type = Option<EventStatus>)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub roadshow_id: Option<Option<String>>,
    #[schema(max_items = 20)]
    pub tags: Option<Vec<String>>,
    pub public_registration: Option<bool>,
    /// If given, must be the current version (409 otherwise); `If-Match` works too (412).
    #[serde(default, deserialize_with = "whole")]
    pub version: Option<i32>,
}

/// The body of `POST /api/v1/events/{id}/cancel`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelEvent {
    /// Why the event is cancelled; shown to attendees.
    pub reason: Option<String>,
}

/// Filters for `GET /api/v1/events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Start on or after: a date (in each event's zone) or an RFC 3339 time.
    #[param(schema_with = crate::schema::date_or_time)]
    pub from: Option<String>,
    /// Start before: a date (inclusive, in each event's zone) or an RFC 3339 time (exclusive).
    #[param(schema_with = crate::schema::date_or_time)]
    pub to: Option<String>,
    #[param(value_type = Option<EventStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<EventKind>)]
    pub kind: Option<String>,
    pub city: Option<String>,
    pub industry_chain: Option<String>,
    #[param(value_type = Option<uuid::Uuid>)]
    pub roadshow_id: Option<String>,
    pub tag: Option<String>,
    /// Case-insensitive text in title, city or venue.
    pub q: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

crate::page_schema!(EventPage, Event);
