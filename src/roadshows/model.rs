//! Roadshow types and rules: validation and the span derived from its events.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::roadshows;
use crate::db::stored_time::StoredTime;
use crate::error::Error;
use crate::events::model::{EventRow, EventStatus};
use crate::nullable::{not_null, nullable, whole};
use crate::time::in_zone;
use crate::validation::Checks;

const NAME_MAX: usize = 200;
const LONG_MAX: usize = 10_000;

/// A roadshow as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = roadshows, treat_none_as_null = true)]
pub struct RoadshowRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub theme: Option<String>,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

/// A roadshow as the API shows it, with what its events make of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Roadshow {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// E.g. an industry chain.
    pub theme: Option<String>,
    /// Start of its first event that is not cancelled, in that event's zone.
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub starts_at: Option<DateTime<FixedOffset>>,
    /// End (or start) of its last event that is not cancelled, in that event's zone.
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub ends_at: Option<DateTime<FixedOffset>>,
    /// Cities of its events that are not cancelled, in time order, each once.
    pub cities: Vec<String>,
    /// All its events, cancelled ones included.
    pub event_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// What a roadshow's events make of it.
#[derive(Debug, Default, PartialEq)]
pub struct Span {
    pub starts_at: Option<DateTime<FixedOffset>>,
    pub ends_at: Option<DateTime<FixedOffset>>,
    pub cities: Vec<String>,
    pub event_count: i64,
}

/// Derives the span, cities and count from a roadshow's events (in any order).
pub fn span(events: &[&EventRow]) -> Span {
    let mut live: Vec<&&EventRow> = events.iter().filter(|e| e.status() != EventStatus::Cancelled).collect();
    live.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
    let mut cities: Vec<String> = Vec::new();
    for e in &live {
        if !cities.contains(&e.city) {
            cities.push(e.city.clone());
        }
    }
    let last = live.iter().max_by_key(|e| e.ends_at.unwrap_or(e.starts_at));
    Span {
        starts_at: live.first().map(|e| in_zone(e.starts_at, e.tz())),
        ends_at: last.map(|e| in_zone(e.ends_at.unwrap_or(e.starts_at), e.tz())),
        cities,
        event_count: events.len() as i64,
    }
}

impl Roadshow {
    /// The API view of a stored roadshow and its events.
    pub fn new(row: RoadshowRow, events: &[&EventRow]) -> Self {
        let span = span(events);
        Roadshow {
            id: row.id,
            name: row.name,
            description: row.description,
            theme: row.theme,
            starts_at: span.starts_at,
            ends_at: span.ends_at,
            cities: span.cities,
            event_count: span.event_count,
            created_at: Utc.from_utc_datetime(&row.created_at),
            updated_at: Utc.from_utc_datetime(&row.updated_at),
            version: row.version,
        }
    }
}

/// The body of `POST /api/v1/roadshows`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoadshow {
    /// Required, at most 200 characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    pub description: Option<String>,
    pub theme: Option<String>,
}

/// The body of `PATCH /api/v1/roadshows/{id}`: only the fields given change; `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoadshowPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub theme: Option<Option<String>>,
    /// If given, must be the current version (409 otherwise).
    #[serde(default, deserialize_with = "whole")]
    pub version: Option<i32>,
}

/// Filters for `GET /api/v1/roadshows`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RoadshowQuery {
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Validates a new roadshow.
pub fn new_roadshow(input: NewRoadshow, id: String, now: NaiveDateTime) -> Result<RoadshowRow, Error> {
    let mut c = Checks::default();
    let name = c.required("name", input.name, NAME_MAX);
    let description = c.long_text("description", input.description, LONG_MAX);
    let theme = c.text("theme", input.theme, NAME_MAX);
    c.finish()?;
    Ok(RoadshowRow {
        id,
        name: name.unwrap_or_default(),
        description,
        theme,
        created_at: now,
        updated_at: now,
        version: 1,
    })
}

/// Applies a patch to a roadshow.
pub fn apply_patch(current: &RoadshowRow, patch: RoadshowPatch, now: NaiveDateTime) -> Result<RoadshowRow, Error> {
    let mut c = Checks::default();
    let mut row = current.clone();
    if let Some(name) = patch.name {
        row.name = c.required("name", Some(name), NAME_MAX).unwrap_or_default();
    }
    if let Some(d) = patch.description {
        row.description = c.long_text("description", d, LONG_MAX);
    }
    if let Some(t) = patch.theme {
        row.theme = c.text("theme", t, NAME_MAX);
    }
    c.finish()?;
    row.version = current.version + 1;
    row.updated_at = now;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::model::NewEvent;
    use crate::events::rules::new_event;

    fn event(id: &str, city: &str, tz: &str, starts: &str) -> EventRow {
        let input = NewEvent {
            title: Some(format!("{city} event")),
            city: Some(city.into()),
            timezone: Some(tz.into()),
            starts_at: Some(starts.into()),
            ..Default::default()
        };
        new_event(input, id.into(), crate::clock::Clock::system().now()).unwrap()
    }

    #[test]
    fn span_follows_time_not_insertion_order() {
        let tokyo = event("b", "Tokyo", "Asia/Tokyo", "2024-05-20T10:00:00");
        let shanghai = event("a", "Shanghai", "Asia/Shanghai", "2024-05-16T14:00:00");
        let again = event("c", "Shanghai", "Asia/Shanghai", "2024-05-25T09:00:00");
        let s = span(&[&tokyo, &again, &shanghai]);
        assert_eq!(s.cities, ["Shanghai", "Tokyo"]);
        assert_eq!(s.starts_at.unwrap().to_rfc3339(), "2024-05-16T14:00:00+08:00");
        assert_eq!(s.ends_at.unwrap().to_rfc3339(), "2024-05-25T09:00:00+08:00");
        assert_eq!(s.event_count, 3);
    }

    #[test]
    fn cancelled_events_count_but_do_not_span() {
        let mut osaka = event("a", "Osaka", "Asia/Tokyo", "2024-01-01T10:00:00");
        osaka.status = "cancelled".into();
        let s = span(&[&osaka]);
        assert_eq!((s.cities.len(), s.starts_at, s.event_count), (0, None, 1));
    }

    #[test]
    fn names_are_required() {
        assert!(new_roadshow(NewRoadshow::default(), "x".into(), crate::clock::Clock::system().now()).is_err());
    }
}

crate::page_schema!(RoadshowPage, Roadshow);
