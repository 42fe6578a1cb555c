//! Self-service use cases for anonymous callers. Nothing here shows, changes or takes
//! over what someone else entered: answers carry only the caller's own input and the
//! registration their secret link names.

use crate::calendar;
use crate::contacts::queries as contacts;
use crate::context::AppState;
use crate::db::Db;
use crate::error::Error;
use crate::events::model::EventRow;
use crate::events::queries as events;
use crate::precondition::Precondition;
use crate::registrations::model::{PublicEvent, PublicRegistration, RegistrationRow, Source};
use crate::registrations::rules::{Person, RegisterInput};
use crate::registrations::{queries, service};
use crate::time::in_zone;
use crate::tokens;

/// The event, if it takes public registrations; not found otherwise (nothing is revealed).
fn public_event(c: &mut Db, id: &str) -> Result<EventRow, Error> {
    match events::find(c, id)? {
        Some(e) if e.public_registration => Ok(e),
        _ => Err(Error::NotFound("no public event with this id".into())),
    }
}

fn show_event(e: EventRow) -> PublicEvent {
    let tz = e.tz();
    PublicEvent {
        status: e.status(),
        starts_at: in_zone(e.starts_at, tz),
        ends_at: e.ends_at.map(|t| in_zone(t, tz)),
        id: e.id,
        title: e.title,
        summary: e.summary,
        city: e.city,
        venue: e.venue,
        address: e.address,
        timezone: e.timezone,
        cancel_reason: e.cancel_reason,
    }
}

/// The registration as its link holder sees it: the name they typed, never the stored
/// contact's (which may have been entered by someone else).
fn show_registration(c: &mut Db, row: RegistrationRow) -> Result<PublicRegistration, Error> {
    let event = events::get(c, &row.event_id)?;
    let contact = contacts::get(c, &row.contact_id)?;
    let tz = event.tz();
    Ok(PublicRegistration {
        waitlist_position: queries::position(c, &row)?,
        status: row.status(),
        checked_in_at: row.checked_in_at.map(|t| in_zone(t, tz)),
        cancelled_at: row.cancelled_at.map(|t| in_zone(t, tz)),
        created_at: in_zone(row.created_at, tz),
        name: row.stated_name.clone().unwrap_or_default(),
        email: contact.email,
        id: row.id,
        event: show_event(event),
    })
}

/// An event that takes public registrations.
pub async fn event(ctx: &AppState, id: String) -> Result<PublicEvent, Error> {
    ctx.db.read(move |c| public_event(c, &id).map(show_event)).await
}

/// Registers the caller; answers with their registration and its secret manage token
/// (shown once). An address already registered for the event is a conflict that names
/// no registration; an existing registration is never re-activated or re-keyed.
pub async fn register(ctx: &AppState, id: String, input: RegisterInput) -> Result<(String, PublicRegistration), Error> {
    let token = tokens::generate();
    let manage_token = token.clone();
    let now = ctx.clock.now();
    let typed_email = match &input.person {
        Person::Inline(fields, _) => fields.email.clone(),
        Person::Existing(_) => return Err(Error::invalid("contact_id", "give your name and email instead")),
    };
    let registration =
        ctx.db
            .write(move |c| {
                let event = public_event(c, &id)?;
                let view = service::register(c, (&event).into(), input, Source::Public, Some(manage_token), now)
                    .map_err(|e| match e {
                        Error::Conflict { extra, .. } if extra.contains_key("existing_id") => Error::conflict(
                            "this email is already registered for this event; use the link from your registration",
                        ),
                        other => other,
                    })?;
                let mut shown = show_registration(c, view.row)?;
                // The address as the caller typed it, not as someone may have stored it.
                shown.email = typed_email;
                Ok::<_, Error>(shown)
            })
            .await?;
    Ok((token, registration))
}

fn by_token(c: &mut Db, token: &str) -> Result<RegistrationRow, Error> {
    queries::by_manage_token(c, &tokens::hash(token))
}

/// The registration a manage token names.
pub async fn show(ctx: &AppState, token: String) -> Result<PublicRegistration, Error> {
    ctx.db
        .read(move |c| {
            let row = by_token(c, &token)?;
            show_registration(c, row)
        })
        .await
}

/// Cancels the registration a manage token names (idempotent).
pub async fn cancel(ctx: &AppState, token: String) -> Result<PublicRegistration, Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            let row = by_token(c, &token)?;
            let row = service::cancel(c, &row.id, &Precondition::default(), now)?;
            show_registration(c, row)
        })
        .await
}

/// The event of the registration a manage token names, as an iCalendar file (built on
/// the blocking pool: time zone definitions cost CPU).
pub async fn calendar(ctx: &AppState, token: String) -> Result<String, Error> {
    let base_url = ctx.settings.base_url().to_string();
    ctx.db
        .read(move |c| {
            let row = by_token(c, &token)?;
            let event = events::get(c, &row.event_id)?;
            Ok(calendar::build(&event.title, std::slice::from_ref(&event), &base_url))
        })
        .await
}
