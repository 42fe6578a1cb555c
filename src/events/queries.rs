//! Storage of events and their tags.

use std::collections::HashMap;

use chrono::{Days, NaiveDateTime};
use diesel::prelude::*;

use super::model::{EventCounts, EventRow};
use crate::db::schema::{event_tags, events};
use crate::db::search::{contains_pattern, lower};
use crate::db::Db;
use crate::http::error::ApiError;
use crate::time::Bound;

/// Validated list filters.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub from: Option<Bound>,
    pub to: Option<Bound>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub city: Option<String>,
    pub industry_chain: Option<String>,
    pub roadshow_id: Option<String>,
    pub tag: Option<String>,
    /// Lower-cased search text.
    pub q: Option<String>,
}

/// The position after which a page starts: (start, id).
pub type Key = (NaiveDateTime, String);

/// Stores a new event with its tags.
pub fn insert(conn: &mut Db, row: &EventRow, tags: &[String]) -> Result<(), ApiError> {
    diesel::insert_into(events::table).values(row).execute(conn)?;
    replace_tags(conn, &row.id, tags)
}

/// The event with this id, if any.
pub fn find(conn: &mut Db, id: &str) -> Result<Option<EventRow>, ApiError> {
    Ok(events::table
        .find(id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

/// The event with this id, or 404.
pub fn get(conn: &mut Db, id: &str) -> Result<EventRow, ApiError> {
    find(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("no event with id {id}")))
}

/// The event with this id and its counters, or 404.
pub fn get_full(conn: &mut Db, id: &str) -> Result<(EventRow, EventCounts), ApiError> {
    events::table
        .find(id)
        .select((EventRow::as_select(), EventCounts::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound(format!("no event with id {id}")))
}

/// Locks the event's row until the transaction ends (a no-op update: the multi-backend
/// connection has no `FOR UPDATE`), so registration changes on one event queue up.
/// On SQLite the immediate transaction already holds the write lock. 404 if missing.
pub fn lock(conn: &mut Db, id: &str) -> Result<(), ApiError> {
    let n = diesel::update(events::table.find(id))
        .set(events::waitlist_seq.eq(events::waitlist_seq))
        .execute(conn)?;
    if n == 0 {
        return Err(ApiError::NotFound(format!("no event with id {id}")));
    }
    Ok(())
}

/// Adds to an event's counters (call with the event locked).
pub fn add_counts(conn: &mut Db, id: &str, registered: i32, waitlisted: i32, checked_in: i32) -> Result<(), ApiError> {
    diesel::update(events::table.find(id))
        .set((
            events::registered_count.eq(events::registered_count + registered),
            events::waitlisted_count.eq(events::waitlisted_count + waitlisted),
            events::checked_in_count.eq(events::checked_in_count + checked_in),
        ))
        .execute(conn)?;
    Ok(())
}

/// Hands out the next waitlist ticket (call with the event locked).
pub fn next_waitlist_ticket(conn: &mut Db, id: &str) -> Result<i32, ApiError> {
    diesel::update(events::table.find(id))
        .set(events::waitlist_seq.eq(events::waitlist_seq + 1))
        .execute(conn)?;
    Ok(events::table.find(id).select(events::waitlist_seq).first(conn)?)
}

/// Writes `row` if the stored version is still `expected`; 409 if someone got there first.
pub fn update(conn: &mut Db, row: &EventRow, expected: i32) -> Result<(), ApiError> {
    let n = diesel::update(events::table.find(&row.id).filter(events::version.eq(expected)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        return Err(ApiError::conflict(
            "the event was changed at the same time; fetch it again and retry",
        ));
    }
    Ok(())
}

/// Deletes an event and its tags.
pub fn delete(conn: &mut Db, id: &str) -> Result<(), ApiError> {
    diesel::delete(event_tags::table.filter(event_tags::event_id.eq(id))).execute(conn)?;
    diesel::delete(events::table.find(id)).execute(conn)?;
    Ok(())
}

/// Replaces an event's tags, keeping their order.
pub fn replace_tags(conn: &mut Db, id: &str, tags: &[String]) -> Result<(), ApiError> {
    diesel::delete(event_tags::table.filter(event_tags::event_id.eq(id))).execute(conn)?;
    // One statement per tag: the multi-backend connection cannot batch inserts.
    for (i, tag) in tags.iter().enumerate() {
        diesel::insert_into(event_tags::table)
            .values((
                event_tags::event_id.eq(id),
                event_tags::tag.eq(tag),
                event_tags::position.eq(i as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Tags of several events in one query, keyed by event id.
pub fn tags_for(conn: &mut Db, ids: &[&str]) -> Result<HashMap<String, Vec<String>>, ApiError> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(String, String)> = event_tags::table
        .filter(event_tags::event_id.eq_any(ids))
        .order((event_tags::event_id, event_tags::position))
        .select((event_tags::event_id, event_tags::tag))
        .load(conn)?;
    for (id, tag) in rows {
        out.entry(id).or_default().push(tag);
    }
    Ok(out)
}

/// The tags of one event.
pub fn tags_of(conn: &mut Db, id: &str) -> Result<Vec<String>, ApiError> {
    Ok(tags_for(conn, &[id])?.remove(id).unwrap_or_default())
}

/// One page of events matching `filter`, in (start, id) order, after `after`.
/// Fetches `limit + 1` rows so the caller can tell whether more follow.
pub fn list(
    conn: &mut Db,
    filter: &Filter,
    after: Option<&Key>,
    limit: i64,
) -> Result<Vec<(EventRow, EventCounts)>, ApiError> {
    let mut query = events::table
        .select((EventRow::as_select(), EventCounts::as_select()))
        .into_boxed();
    match filter.from {
        Some(Bound::Instant(t)) => query = query.filter(events::starts_at.ge(t)),
        Some(Bound::Date(d)) => query = query.filter(events::starts_local.ge(d.and_time(Default::default()))),
        None => {}
    }
    match filter.to {
        Some(Bound::Instant(t)) => query = query.filter(events::starts_at.lt(t)),
        Some(Bound::Date(d)) => {
            let next = d.checked_add_days(Days::new(1)).unwrap_or(d);
            query = query.filter(events::starts_local.lt(next.and_time(Default::default())))
        }
        None => {}
    }
    if let Some(s) = &filter.status {
        query = query.filter(events::status.eq(s.clone()));
    }
    if let Some(k) = &filter.kind {
        query = query.filter(events::kind.eq(k.clone()));
    }
    if let Some(city) = &filter.city {
        query = query.filter(events::city.eq(city.clone()));
    }
    if let Some(chain) = &filter.industry_chain {
        query = query.filter(events::industry_chain.eq(chain.clone()));
    }
    if let Some(r) = &filter.roadshow_id {
        query = query.filter(events::roadshow_id.eq(r.clone()));
    }
    if let Some(tag) = &filter.tag {
        let tagged = event_tags::table
            .filter(event_tags::tag.eq(tag.clone()))
            .select(event_tags::event_id);
        query = query.filter(events::id.eq_any(tagged));
    }
    if let Some(q) = &filter.q {
        let pattern = contains_pattern(q);
        query = query.filter(
            lower(events::title)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(events::city).like(pattern.clone()).escape('\\'))
                .or(lower(events::venue.assume_not_null()).like(pattern).escape('\\')),
        );
    }
    if let Some((start, id)) = after {
        query = query.filter(
            events::starts_at
                .gt(*start)
                .or(events::starts_at.eq(*start).and(events::id.gt(id.clone()))),
        );
    }
    Ok(query
        .order((events::starts_at, events::id))
        .limit(limit + 1)
        .load(conn)?)
}

/// All events of some roadshows, in time order.
pub fn of_roadshows(conn: &mut Db, ids: &[&str]) -> Result<Vec<EventRow>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(events::table
        .filter(events::roadshow_id.eq_any(ids))
        .order((events::starts_at, events::id))
        .select(EventRow::as_select())
        .load(conn)?)
}
