//! Storage of events and their tags.

use chrono::{Days, NaiveDateTime};
use diesel::prelude::*;

use super::model::{Event, EventCounts, EventRow};
use crate::db::schema::{event_tags, events};
use crate::db::search::{self, contains_pattern, lower, Kind};
use crate::db::Db;
use crate::error::Error;
use crate::pagination::{self, Page};
use crate::time::Bound;
use crate::validation::is_uuid;

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
pub fn insert(conn: &mut Db, row: &EventRow) -> Result<(), Error> {
    diesel::insert_into(events::table).values(row).execute(conn)?;
    index_tags(conn, row)?;
    search::add(conn, Kind::Event, &row.id, &fields(row))
}

/// Keeps an event's search entry in step with its row (same transaction).
fn index_text(conn: &mut Db, row: &EventRow) -> Result<(), Error> {
    search::index(conn, Kind::Event, &row.id, &fields(row))
}

/// An event's searched fields.
fn fields(row: &EventRow) -> [Option<&str>; 3] {
    [Some(&row.title), Some(&row.city), row.venue.as_deref()]
}

/// The event with this id, if any.
pub fn find(conn: &mut Db, id: &str) -> Result<Option<EventRow>, Error> {
    if !is_uuid(id) {
        return Ok(None);
    }
    Ok(events::table
        .find(id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

/// The event with this id, or 404.
pub fn get(conn: &mut Db, id: &str) -> Result<EventRow, Error> {
    find(conn, id)?.ok_or_else(|| Error::NotFound(format!("no event with id {id}")))
}

/// The event with this id and its counters, or 404.
pub fn get_full(conn: &mut Db, id: &str) -> Result<(EventRow, EventCounts), Error> {
    if !is_uuid(id) {
        return Err(Error::NotFound(format!("no event with id {id}")));
    }
    events::table
        .find(id)
        .select((EventRow::as_select(), EventCounts::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no event with id {id}")))
}

/// Locks the event's row until the transaction ends (a no-op update: the multi-backend
/// connection has no `FOR UPDATE`), so registration changes on one event queue up.
/// On SQLite the immediate transaction already holds the write lock. 404 if missing.
pub fn lock(conn: &mut Db, id: &str) -> Result<(), Error> {
    if !is_uuid(id) {
        return Err(Error::NotFound(format!("no event with id {id}")));
    }
    let n = diesel::update(events::table.find(id))
        .set(events::waitlist_seq.eq(events::waitlist_seq))
        .execute(conn)?;
    if n == 0 {
        return Err(Error::NotFound(format!("no event with id {id}")));
    }
    Ok(())
}

/// Adds to an event's counters (call with the event locked).
pub fn add_counts(conn: &mut Db, id: &str, registered: i32, waitlisted: i32, checked_in: i32) -> Result<(), Error> {
    diesel::update(events::table.find(id))
        .set((
            events::registered_count.eq(events::registered_count + registered),
            events::waitlisted_count.eq(events::waitlisted_count + waitlisted),
            events::checked_in_count.eq(events::checked_in_count + checked_in),
        ))
        .execute(conn)?;
    Ok(())
}

/// Where a new registration goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// A seat was free and is now taken.
    Seat,
    /// The event is full: this ticket and position on the waitlist.
    Waitlist { ticket: i32, position: i64 },
}

/// Takes a seat, or else a waitlist ticket, for a registration, each with one
/// conditional `UPDATE` of the event's counters: atomic on both backends (PostgreSQL
/// re-checks the condition under the row lock), and O(1) however many registered.
/// `None` when the event is missing or not open for registration at `now`.
pub fn take_place(conn: &mut Db, id: &str, now: NaiveDateTime) -> Result<Option<Place>, Error> {
    if !is_uuid(id) {
        return Ok(None);
    }
    // Scheduled and not yet closed: rebuilt per statement (diesel expressions are moved).
    let open = || {
        events::status.eq("scheduled").and(
            events::registration_closes_at
                .is_null()
                .or(events::registration_closes_at.gt(now)),
        )
    };
    // Two rounds: a seat freed between the two statements sends us back for it.
    for _ in 0..2 {
        let seated = diesel::update(events::table.find(id))
            .filter(open())
            .filter(
                events::capacity
                    .is_null()
                    .or(events::registered_count.nullable().lt(events::capacity)),
            )
            .set(events::registered_count.eq(events::registered_count + 1))
            .execute(conn)?;
        if seated == 1 {
            return Ok(Some(Place::Seat));
        }
        let waited = diesel::update(events::table.find(id))
            .filter(open())
            .filter(events::registered_count.nullable().ge(events::capacity))
            .set((
                events::waitlisted_count.eq(events::waitlisted_count + 1),
                events::waitlist_seq.eq(events::waitlist_seq + 1),
            ))
            .execute(conn)?;
        if waited == 1 {
            let (ticket, waiting): (i32, i32) = events::table
                .find(id)
                .select((events::waitlist_seq, events::waitlisted_count))
                .first(conn)?;
            // Everyone waiting holds an earlier ticket: the newcomer is last in line.
            return Ok(Some(Place::Waitlist {
                ticket,
                position: waiting as i64,
            }));
        }
        if find(conn, id)?.is_none_or(|e| e.status != "scheduled") {
            break;
        }
    }
    Ok(None)
}

/// Takes places for `n` newcomers at once, in order (seats while any remain, then
/// waitlist tickets), as [`take_place`] would one by one. A no-op `UPDATE` locks the
/// event's row first, so the counters read next stay the event's until the
/// transaction ends. `None` when the event is missing or not open at `now`.
pub fn take_places(conn: &mut Db, id: &str, n: usize, now: NaiveDateTime) -> Result<Option<Vec<Place>>, Error> {
    if !is_uuid(id) {
        return Ok(None);
    }
    let locked = diesel::update(events::table.find(id))
        .filter(
            events::status.eq("scheduled").and(
                events::registration_closes_at
                    .is_null()
                    .or(events::registration_closes_at.gt(now)),
            ),
        )
        .set(events::registered_count.eq(events::registered_count))
        .execute(conn)?;
    if locked == 0 {
        return Ok(None);
    }
    let (capacity, registered, waitlisted, seq) = events::table
        .find(id)
        .select((
            events::capacity,
            events::registered_count,
            events::waitlisted_count,
            events::waitlist_seq,
        ))
        .first(conn)?;
    let taken = super::rules::places(capacity, registered, waitlisted, seq, n);
    diesel::update(events::table.find(id))
        .set((
            events::registered_count.eq(taken.registered),
            events::waitlisted_count.eq(taken.waitlisted),
            events::waitlist_seq.eq(taken.seq),
        ))
        .execute(conn)?;
    Ok(Some(taken.places))
}

/// Writes `row` if the stored version is still `expected`; 409 if someone got there first.
pub fn update(conn: &mut Db, row: &EventRow, expected: i32) -> Result<(), Error> {
    let n = diesel::update(events::table.find(&row.id).filter(events::version.eq(expected)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        return Err(Error::conflict(
            "the event was changed at the same time; fetch it again and retry",
        ));
    }
    index_text(conn, row)
}

/// Deletes an event (its tags go with it) if it is still a draft, in one statement so a
/// concurrent schedule-and-register cannot slip in between a check and the delete.
/// Answers whether it was deleted.
pub fn delete_draft(conn: &mut Db, id: &str) -> Result<bool, Error> {
    if !is_uuid(id) {
        return Ok(false);
    }
    let n = diesel::delete(events::table.find(id).filter(events::status.eq("draft"))).execute(conn)?;
    if n == 1 {
        search::remove(conn, Kind::Event, id)?;
    }
    Ok(n == 1)
}

/// One event as the API shows it.
pub fn load(c: &mut Db, id: &str) -> Result<Event, Error> {
    let (row, counts) = get_full(c, id)?;
    Ok(Event::from_row(row, counts))
}

/// One page of events as the API shows them.
pub fn page(c: &mut Db, filter: &Filter, after: Option<&Key>, limit: i64) -> Result<Page<Event>, Error> {
    let rows = list(c, filter, after, limit)?;
    Ok(pagination::page(
        rows,
        limit,
        |(r, _)| (r.starts_at, r.id.clone()),
        |(r, counts)| Event::from_row(r, counts),
    ))
}

/// Rewrites the tag index of an event from its tag list.
pub fn index_tags(conn: &mut Db, row: &EventRow) -> Result<(), Error> {
    let (id, tags) = (row.id.as_str(), row.tag_list());
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

/// One page of events matching `filter`, in (start, id) order, after `after`.
/// Fetches `limit + 1` rows so the caller can tell whether more follow.
pub fn list(
    conn: &mut Db,
    filter: &Filter,
    after: Option<&Key>,
    limit: i64,
) -> Result<Vec<(EventRow, EventCounts)>, Error> {
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
        let matches = search::matching(conn, Kind::Event, q)?;
        query = crate::search_filter!(
            query,
            matches,
            events::id,
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
pub fn of_roadshows(conn: &mut Db, ids: &[&str]) -> Result<Vec<EventRow>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(events::table
        .filter(events::roadshow_id.eq_any(ids))
        .order((events::starts_at, events::id))
        .select(EventRow::as_select())
        .load(conn)?)
}

/// The events with these ids, in no order (one statement, the list as one bind).
pub fn by_ids(conn: &mut Db, ids: &[String]) -> Result<Vec<EventRow>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(events::table
        .filter(crate::db::prepared::among(events::id, ids))
        .select(EventRow::as_select())
        .load(conn)?)
}
