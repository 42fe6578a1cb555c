//! Event use cases: each write is one transaction, with "now" from the context's clock.

use super::model::{CancelEvent, Event, EventCounts, EventPatch, EventQuery, NewEvent};
use super::queries;
use super::rules;
use crate::calendar;
use crate::context::AppState;
use crate::error::Error;
use crate::events::model::{EventRow, EventStatus};
use crate::pagination::Page;
use crate::precondition::Precondition;
use crate::reminders::plan::EventTime;
use crate::{registrations, reminders, roadshows};

/// Whether attendees must hear of a change: its time, zone or place moved.
fn moved(before: &EventRow, after: &EventRow) -> bool {
    before.starts_at != after.starts_at
        || before.ends_at != after.ends_at
        || before.timezone != after.timezone
        || before.city != after.city
        || before.venue != after.venue
        || before.address != after.address
}

fn event_time(row: &EventRow) -> EventTime<'_> {
    EventTime {
        id: &row.id,
        starts_at: row.starts_at,
        tz: row.tz(),
    }
}

/// Creates an event (in a roadshow, if one is named).
pub async fn create(ctx: &AppState, input: NewEvent) -> Result<Event, Error> {
    let now = ctx.clock.now();
    let row = rules::new_event(input, crate::ids::new_id(), now)?;
    // New events remind as configured (checked when the settings load).
    let reminder_rules = reminders::rules::validate(&ctx.settings.reminders.default_rules)?;
    let row = ctx
        .db
        .write(move |c| {
            if let Some(r) = &row.roadshow_id {
                roadshows::queries::ensure_exists(c, r)?;
            }
            queries::insert(c, &row)?;
            reminders::queries::set_rules(c, &row.id, &reminder_rules, now)?;
            Ok::<_, Error>(row)
        })
        .await?;
    Ok(Event::from_row(row, EventCounts::default()))
}

/// One page of events in start order.
pub async fn list(ctx: &AppState, query: EventQuery) -> Result<Page<Event>, Error> {
    let (filter, after, limit) = rules::list_filter(query)?;
    ctx.db
        .read(move |c| queries::page(c, &filter, after.as_ref(), limit))
        .await
}

/// One event with its live counts.
pub async fn get(ctx: &AppState, id: String) -> Result<Event, Error> {
    ctx.db.read(move |c| queries::load(c, &id)).await
}

/// Changes some fields of an event if `expected` holds; more seats move the waitlist up.
pub async fn update(ctx: &AppState, id: String, patch: EventPatch, expected: Precondition) -> Result<Event, Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            queries::lock(c, &id)?;
            let (current, counts) = queries::get_full(c, &id)?;
            let row = rules::apply_patch(&current, patch, now)?;
            // The body is judged first: invalid data is a 422 whatever the version.
            expected.check(current.version)?;
            if row.roadshow_id != current.roadshow_id {
                if let Some(r) = &row.roadshow_id {
                    roadshows::queries::ensure_exists(c, r)?;
                }
            }
            rules::check_capacity(row.capacity, &counts)?;
            queries::update(c, &row, current.version)?;
            if row.tags != current.tags {
                queries::index_tags(c, &row)?;
            }
            if row.capacity != current.capacity {
                // More seats: the waitlist moves up in order.
                registrations::service::fill_seats(c, &id, now)?;
            }
            if moved(&current, &row) && row.status() == EventStatus::Scheduled {
                reminders::plan::event_changed(c, event_time(&row), now)?;
            }
            queries::load(c, &id)
        })
        .await
}

/// Deletes a draft event; any other event is a conflict (cancel it instead).
pub async fn delete(ctx: &AppState, id: String) -> Result<(), Error> {
    ctx.db
        .write(move |c| {
            if queries::delete_draft(c, &id)? {
                return Ok(());
            }
            // Not deleted: say why (404, or 409 naming its status).
            rules::check_deletable(&queries::get(c, &id)?)?;
            Err(Error::conflict(
                "the event changed at the same time; fetch it again and retry",
            ))
        })
        .await
}

/// Cancels a draft or scheduled event if `expected` holds.
pub async fn cancel(ctx: &AppState, id: String, body: CancelEvent, expected: Precondition) -> Result<Event, Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            queries::lock(c, &id)?;
            let current = queries::get(c, &id)?;
            let row = rules::cancel(&current, body.reason, now)?;
            // The body is judged first: invalid data is a 422 whatever the version.
            expected.check(current.version)?;
            queries::update(c, &row, current.version)?;
            reminders::plan::event_cancelled(c, &id, now)?;
            queries::load(c, &id)
        })
        .await
}

/// The event as an iCalendar file, built on the blocking pool (time zone definitions
/// cost CPU), and the event's id.
pub async fn calendar(ctx: &AppState, id: String) -> Result<(String, String), Error> {
    let base_url = ctx.settings.base_url().to_string();
    ctx.db
        .read(move |c| {
            let row = queries::get(c, &id)?;
            let text = calendar::build(&row.title, std::slice::from_ref(&row), &base_url);
            Ok((row.id, text))
        })
        .await
}
