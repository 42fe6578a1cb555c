//! Self-service use cases for anonymous callers. Nothing here shows, changes or takes
//! over what someone else entered: a registration's answer carries only the caller's own
//! input, its manage link travels only by email to the registration's address, and the
//! other routes show only the registration a secret link names.

use crate::calendar;
use crate::contacts::model::ContactRow;
use crate::contacts::queries as contacts;
use crate::context::AppState;
use crate::db::Db;
use crate::error::Error;
use crate::events::model::EventRow;
use crate::events::queries as events;
use crate::precondition::Precondition;
use crate::registrations::model::{
    PublicEvent, PublicRegistration, PublicRegistrationAccepted, PublicRegistrationState, RegistrationRow,
    RegistrationStatus, Source,
};
use crate::registrations::rules::{self, Person, RegisterInput};
use crate::registrations::{queries, service};
use crate::reminders::plan::{self, EventTime, Recipient};
use crate::time::in_zone;
use crate::tokens;
use chrono::NaiveDateTime;

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
        // An organiser's registration has no typed name: the organiser's record is theirs.
        name: match (&row.stated_name, row.source()) {
            (Some(name), _) => name.clone(),
            (None, Source::Public) => String::new(),
            (None, _) => contact.name.clone(),
        },
        email: contact.email,
        id: row.id,
        event: show_event(event),
    })
}

/// An event that takes public registrations.
pub async fn event(ctx: &AppState, id: String) -> Result<PublicEvent, Error> {
    ctx.db.read(move |c| public_event(c, &id).map(show_event)).await
}

/// Why a public registration (or re-activation) is refused at `event` now, the same for
/// every caller: not open (draft, cancelled, completed, closed), or started. Once the event
/// has started no email goes out for it, so the manage link could not reach anyone.
fn check_open(event: &EventRow, now: NaiveDateTime) -> Result<(), Error> {
    rules::check_open(event, now)?;
    if event.starts_at <= now {
        return Err(Error::conflict("registration is not open: the event has started"));
    }
    Ok(())
}

/// Registers the caller by email: whatever the address's history at this event, the
/// caller learns nothing beyond "accepted" (or why nobody can register now), and the
/// manage link goes only by email to the address.
///
/// - A new address: registered as an organiser would (seat or waitlist), and the
///   confirmation or waitlist email carries the manage link.
/// - An address with a registration here (registered, waitlisted or cancelled): nothing
///   changes in it; a `manage_link` email takes its link to the stored address. A
///   cancelled one is not re-activated: its owner can do that with the mailed link
///   ([`reactivate`]), a stranger cannot. The link mailed is a reissued one
///   ([`queries::reissue_link`]): the first link keeps working, so re-submitting someone
///   else's address cannot cut them off. At most one such email per registration every
///   [`plan::MANAGE_LINK_INTERVAL_MINUTES`], and [`plan::MANAGE_LINKS_PER_CONTACT_PER_HOUR`]
///   per contact.
///
/// Both branches run under the event's lock, in one transaction, so two concurrent
/// requests with one new address give one registration and two identical answers. They
/// still differ in work, so in time (a new registration writes more rows than a re-sent
/// link, a throttled one writes none): about 3.7, 3.1 and 1.8 ms on local SQLite, small
/// beside network jitter. Hiding it fully would mean queueing every request for the
/// worker and answering before it is looked at.
pub async fn register(ctx: &AppState, id: String, input: RegisterInput) -> Result<PublicRegistrationAccepted, Error> {
    let now = ctx.clock.now();
    let fields = match &input.person {
        Person::Inline(fields, _) => fields.clone(),
        Person::Existing(_) => return Err(Error::invalid("contact_id", "give your name and email instead")),
    };
    let answer = PublicRegistrationAccepted {
        status: PublicRegistrationState::Accepted,
        event_id: id.clone(),
        email: fields.email.clone(),
        message: ACCEPTED.into(),
    };
    ctx.db
        .write(move |c| {
            let event = public_event(c, &id)?;
            events::lock(c, &event.id)?;
            // Read again under the lock: the checks and the registration see one state.
            let event = public_event(c, &id)?;
            check_open(&event, now)?;
            let existing = match contacts::find_by_email(c, &fields.email)? {
                Some(contact) => queries::find_for(c, &event.id, &contact.id)?.map(|r| (r, contact)),
                None => None,
            };
            match existing {
                Some((registration, contact)) => mail_link(c, &event, &registration, &contact, now),
                None => {
                    let token = tokens::generate();
                    service::register(c, (&event).into(), input, Source::Public, Some(token), now).map(|_| ())
                }
            }
        })
        .await?;
    Ok(answer)
}

/// What every accepted public registration says.
const ACCEPTED: &str = "Thank you. Check your inbox: the email we sent to this address has the link \
to view, change or cancel your registration.";

/// Mails an existing registration's manage link (a reissued one) to its contact's address.
fn mail_link(
    c: &mut Db,
    event: &EventRow,
    registration: &RegistrationRow,
    contact: &ContactRow,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let who = Recipient {
        registration_id: &registration.id,
        contact_id: &contact.id,
        consents: contact.consent_reminders,
    };
    // Checked before the link changes: a link just mailed stays the valid one.
    if plan::manage_link_throttled(c, who, now)? {
        return Ok(());
    }
    let token = tokens::generate();
    queries::reissue_link(c, registration, &tokens::hash(&token))?;
    plan::manage_link(
        c,
        EventTime {
            id: &event.id,
            starts_at: event.starts_at,
            tz: event.tz(),
        },
        who,
        &token,
        now,
    )
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

/// Registers again, for the event it was made for, the cancelled registration a manage
/// token names (the holder read that address's email); any other registration is left as
/// it is. Refused like a new public registration when the event does not take them now.
pub async fn reactivate(ctx: &AppState, token: String) -> Result<PublicRegistration, Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            let hash = tokens::hash(&token);
            let row = queries::by_manage_token(c, &hash)?;
            let open = |event: &EventRow| {
                if !event.public_registration {
                    return Err(Error::conflict(
                        "registration is not open: the event no longer takes registrations here",
                    ));
                }
                check_open(event, now)
            };
            let before = row.status();
            let row = service::reactivate(c, &row.id, &token, open, now)?;
            if before == RegistrationStatus::Cancelled {
                // The emails just planned carry this link: it must outlive the next reissue.
                queries::keep_link(c, &row.id, &hash)?;
            }
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
