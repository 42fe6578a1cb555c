//! Roadshow use cases: each write is one transaction, with "now" from the context's clock.

use super::model::{self, NewRoadshow, Roadshow, RoadshowPatch, RoadshowQuery, RoadshowRow};
use super::queries::{self, Key};
use crate::calendar;
use crate::context::AppState;
use crate::db::Db;
use crate::error::Error;
use crate::events::model::{Event, EventQuery};
use crate::events::queries as event_queries;
use crate::events::rules::list_filter;
use crate::pagination::{self, Page};
use crate::precondition::Precondition;

/// The API view of some roadshows, deriving each one's span from its events in one query.
fn with_spans(c: &mut Db, rows: Vec<RoadshowRow>) -> Result<Vec<Roadshow>, Error> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let events = event_queries::of_roadshows(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine: Vec<_> = events
                .iter()
                .filter(|e| e.roadshow_id.as_deref() == Some(row.id.as_str()))
                .collect();
            Roadshow::new(row, &mine)
        })
        .collect())
}

fn one(c: &mut Db, row: RoadshowRow) -> Result<Roadshow, Error> {
    with_spans(c, vec![row])?
        .pop()
        .ok_or_else(|| Error::Internal("roadshow vanished".into()))
}

/// Creates a roadshow.
pub async fn create(ctx: &AppState, input: NewRoadshow) -> Result<Roadshow, Error> {
    let row = model::new_roadshow(input, crate::ids::new_id(), ctx.clock.now())?;
    ctx.db
        .write(move |c| {
            queries::insert(c, &row)?;
            one(c, row)
        })
        .await
}

/// One page of roadshows in creation order.
pub async fn list(ctx: &AppState, query: RoadshowQuery) -> Result<Page<Roadshow>, Error> {
    let (after, limit) = pagination::window::<Key>(query.limit, query.cursor.as_deref())?;
    ctx.db
        .read(move |c| {
            let rows = queries::list(c, after.as_ref(), limit)?;
            // Spans are loaded for the whole page at once, after it is cut.
            let page = pagination::page(rows, limit, |r| (r.created_at, r.id.clone()), |r| r);
            Ok(Page {
                items: with_spans(c, page.items)?,
                next_cursor: page.next_cursor,
            })
        })
        .await
}

/// One roadshow with its span, cities and event count.
pub async fn get(ctx: &AppState, id: String) -> Result<Roadshow, Error> {
    ctx.db
        .read(move |c| {
            let row = queries::get(c, &id)?;
            one(c, row)
        })
        .await
}

/// Changes a roadshow's name, description or theme if `expected` holds.
pub async fn update(
    ctx: &AppState,
    id: String,
    patch: RoadshowPatch,
    expected: Precondition,
) -> Result<Roadshow, Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            let current = queries::get(c, &id)?;
            let row = model::apply_patch(&current, patch, now)?;
            // The body is judged first: invalid data is a 422 whatever the version.
            expected.check(current.version)?;
            queries::update(c, &row, current.version)?;
            one(c, row)
        })
        .await
}

/// Deletes a roadshow that has no events.
pub async fn delete(ctx: &AppState, id: String) -> Result<(), Error> {
    ctx.db.write(move |c| queries::delete(c, &id)).await
}

/// One page of the roadshow's events in time order.
pub async fn events(ctx: &AppState, id: String, query: EventQuery) -> Result<Page<Event>, Error> {
    let (mut filter, after, limit) = list_filter(query)?;
    ctx.db
        .read(move |c| {
            queries::get(c, &id)?;
            filter.roadshow_id = Some(id);
            event_queries::page(c, &filter, after.as_ref(), limit)
        })
        .await
}

/// All the roadshow's events as one iCalendar file (built on the blocking pool: time
/// zone definitions cost CPU) and the roadshow's id.
pub async fn calendar(ctx: &AppState, id: String) -> Result<(String, String), Error> {
    let base_url = ctx.settings.base_url().to_string();
    ctx.db
        .read(move |c| {
            let row = queries::get(c, &id)?;
            let events = event_queries::of_roadshows(c, &[id.as_str()])?;
            Ok((row.id, calendar::build(&row.name, &events, &base_url)))
        })
        .await
}
