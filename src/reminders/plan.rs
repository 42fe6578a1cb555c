//! Planning: what the outbox gets when something changes. Each function runs inside the
//! transaction of the change that calls it, so an email is planned exactly when the
//! change commits. Reminders go only to contacts who consent; confirmations, waitlist
//! notes, updates, cancellations and manage links are transactional and go to everyone
//! concerned.

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use super::model::{EmailKind, EmailRow};
use super::queries::{self, Scope};
use super::rules::{self, Offset};
use crate::db::Db;
use crate::error::Error;

/// The event an email is about: its id, start (UTC) and zone.
#[derive(Debug, Clone, Copy)]
pub struct EventTime<'a> {
    pub id: &'a str,
    pub starts_at: NaiveDateTime,
    pub tz: Tz,
}

impl EventTime<'_> {
    /// Nothing is planned for an event that has started.
    fn started(&self, now: NaiveDateTime) -> bool {
        self.starts_at <= now
    }
}

/// Who an email goes to.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub registration_id: &'a str,
    pub contact_id: &'a str,
    pub consents: bool,
}

/// An email about `event` for `who`, due at once, carrying `manage_token` (the
/// unsubscribe secret it shows was made with the contact).
fn at_once(
    kind: EmailKind,
    event: EventTime,
    who: Recipient,
    manage_token: Option<String>,
    now: NaiveDateTime,
) -> EmailRow {
    let mut row = EmailRow::pending(kind, event.id, who.contact_id, Some(who.registration_id), now, now);
    row.manage_token = manage_token;
    row
}

/// A registration was made (or came back): a confirmation, or a waitlist note with its
/// position, at once; reminders when it holds a seat. `manage_token` travels with the
/// emails that show the registration's manage link.
pub fn registered(
    c: &mut Db,
    event: EventTime,
    who: Recipient,
    waitlist_position: Option<i64>,
    manage_token: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    if event.started(now) {
        return Ok(());
    }
    let mut rows = vec![arrival(event, who, waitlist_position, manage_token, now)];
    if waitlist_position.is_none() {
        reminders(c, event, who, manage_token, now, &mut rows)?;
    }
    queries::insert_all(c, &rows)
}

/// [`registered`] for many registrations of one event at once (an import: the rules
/// are read once and every email goes in one statement), without manage links.
pub fn registered_many(
    c: &mut Db,
    event: EventTime,
    arrivals: &[(Recipient, Option<i64>)],
    now: NaiveDateTime,
) -> Result<(), Error> {
    if event.started(now) || arrivals.is_empty() {
        return Ok(());
    }
    let rules = match arrivals.iter().any(|(who, place)| place.is_none() && who.consents) {
        true => queries::rules_of(c, event.id)?,
        false => Vec::new(),
    };
    let mut rows = Vec::with_capacity(arrivals.len() * (1 + rules.len()));
    for &(who, waitlist_position) in arrivals {
        rows.push(arrival(event, who, waitlist_position, None, now));
        if waitlist_position.is_none() {
            reminders_from(event, who, &rules, None, now, &mut rows);
        }
    }
    queries::insert_all(c, &rows)
}

/// The email a new registration gets at once: a confirmation, or a waitlist note with
/// its position.
fn arrival(
    event: EventTime,
    who: Recipient,
    waitlist_position: Option<i64>,
    manage_token: Option<&str>,
    now: NaiveDateTime,
) -> EmailRow {
    let kind = match waitlist_position {
        Some(_) => EmailKind::Waitlisted,
        None => EmailKind::Confirmation,
    };
    let mut row = at_once(kind, event, who, manage_token.map(String::from), now);
    row.waitlist_position = waitlist_position.and_then(|p| i32::try_from(p).ok());
    row
}

/// Adds the event's reminders still ahead for one attendee (if they consent) to `rows`.
fn reminders(
    c: &mut Db,
    event: EventTime,
    who: Recipient,
    manage_token: Option<&str>,
    now: NaiveDateTime,
    rows: &mut Vec<EmailRow>,
) -> Result<(), Error> {
    // Without consent there is nothing to plan, and the rules need not be read.
    if who.consents {
        let rules = queries::rules_of(c, event.id)?;
        reminders_from(event, who, &rules, manage_token, now, rows);
    }
    Ok(())
}

/// Adds the reminders still ahead under the event's `rules` for one attendee to
/// `rows`: none unless the attendee consents to reminders.
fn reminders_from(
    event: EventTime,
    who: Recipient,
    rules: &[(String, Offset)],
    manage_token: Option<&str>,
    now: NaiveDateTime,
    rows: &mut Vec<EmailRow>,
) {
    if !who.consents {
        return;
    }
    for (rule, due) in rules::plan(event.starts_at, event.tz, rules, now) {
        let mut row = EmailRow::pending(
            EmailKind::Reminder,
            event.id,
            who.contact_id,
            Some(who.registration_id),
            due,
            now,
        );
        row.rule = Some(rule);
        row.manage_token = manage_token.map(String::from);
        rows.push(row);
    }
}

/// A waitlisted registration got a seat: "you have a seat" at once, and its reminders.
/// A waitlist note not yet sent is dropped (it would arrive after the good news).
pub fn promoted(c: &mut Db, event: EventTime, who: Recipient, now: NaiveDateTime) -> Result<(), Error> {
    let token = queries::live_manage_token(c, who.registration_id)?;
    queries::cancel_pending(
        c,
        Scope::Registration(who.registration_id),
        Some(&[EmailKind::Waitlisted]),
        "promoted from the waitlist before this was sent",
        now,
    )?;
    if event.started(now) {
        return Ok(());
    }
    let mut rows = vec![at_once(EmailKind::Promoted, event, who, token.clone(), now)];
    reminders(c, event, who, token.as_deref(), now, &mut rows)?;
    queries::insert_all(c, &rows)
}

/// How long after a `manage_link` email no other is planned for the same registration:
/// registering again with someone's address must not become a way to fill their inbox
/// (the public rate limit is per client address, this is per registration).
pub const MANAGE_LINK_INTERVAL_MINUTES: i64 = 10;

/// The most `manage_link` emails one contact gets in an hour, over all their
/// registrations: the per-registration interval alone would let someone who knows the
/// address of a person registered for many events send one email per event.
pub const MANAGE_LINKS_PER_CONTACT_PER_HOUR: i64 = 5;

/// Whether no `manage_link` email should be planned now for the registration: one is
/// still waiting (at any age: a new link would void the one it carries), or went out
/// within [`MANAGE_LINK_INTERVAL_MINUTES`] (its link is in the inbox, another would only
/// repeat it), or the contact already got [`MANAGE_LINKS_PER_CONTACT_PER_HOUR`].
pub fn manage_link_throttled(c: &mut Db, who: Recipient, now: NaiveDateTime) -> Result<bool, Error> {
    let since = now - chrono::Duration::minutes(MANAGE_LINK_INTERVAL_MINUTES);
    if queries::waiting_or_sent_since(c, who.registration_id, EmailKind::ManageLink, since)? {
        return Ok(true);
    }
    let hour_ago = now - chrono::Duration::hours(1);
    let recent = queries::planned_for_contact_since(c, who.contact_id, EmailKind::ManageLink, hour_ago)?;
    Ok(recent >= MANAGE_LINKS_PER_CONTACT_PER_HOUR)
}

/// Someone registered again with the address of an existing registration (in any state):
/// its manage link goes at once to the contact's stored address, never to whoever asked.
/// Callers check [`manage_link_throttled`] first, so no older one is still waiting.
pub fn manage_link(
    c: &mut Db,
    event: EventTime,
    who: Recipient,
    manage_token: &str,
    now: NaiveDateTime,
) -> Result<(), Error> {
    if event.started(now) {
        return Ok(());
    }
    let row = at_once(EmailKind::ManageLink, event, who, Some(manage_token.to_string()), now);
    queries::insert(c, &row)
}

/// A registration was cancelled: nothing more goes out for it.
pub fn registration_cancelled(c: &mut Db, registration_id: &str, now: NaiveDateTime) -> Result<(), Error> {
    queries::cancel_pending(
        c,
        Scope::Registration(registration_id),
        None,
        "the registration was cancelled",
        now,
    )?;
    Ok(())
}

/// The event moved (time, zone or place): pending reminders are planned afresh for the
/// new time and every registered attendee gets an "event updated" email.
pub fn event_changed(c: &mut Db, event: EventTime, now: NaiveDateTime) -> Result<(), Error> {
    replan(c, event, true, now)
}

/// The event's reminder rules changed: pending reminders are planned afresh.
pub fn rules_changed(c: &mut Db, event: EventTime, now: NaiveDateTime) -> Result<(), Error> {
    replan(c, event, false, now)
}

fn replan(c: &mut Db, event: EventTime, announce: bool, now: NaiveDateTime) -> Result<(), Error> {
    let mut kinds = vec![EmailKind::Reminder];
    if announce {
        // An older "updated" not yet sent would show the same new details twice.
        kinds.push(EmailKind::Updated);
    }
    let reason = if announce {
        "the event changed; planned again for the new details"
    } else {
        "the reminder rules changed"
    };
    // The rules read once and the new emails inserted together, not a read and an
    // insert per attendee: on PostgreSQL each is a round trip (`bench/delivery.sh`).
    let rules = queries::rules_of(c, event.id)?;
    let mut rows = Vec::new();
    for (registration_id, contact_id, consents) in queries::registered(c, event.id)? {
        let token = queries::live_manage_token(c, &registration_id)?;
        queries::cancel_pending(c, Scope::Registration(&registration_id), Some(&kinds), reason, now)?;
        if event.started(now) {
            continue;
        }
        let who = Recipient {
            registration_id: &registration_id,
            contact_id: &contact_id,
            consents,
        };
        if announce {
            rows.push(at_once(EmailKind::Updated, event, who, token.clone(), now));
        }
        reminders_from(event, who, &rules, token.as_deref(), now, &mut rows);
    }
    queries::insert_all(c, &rows)
}

/// The event was cancelled: everything pending is dropped and everyone holding a seat or
/// waiting for one is told (with a calendar cancellation).
pub fn event_cancelled(c: &mut Db, event_id: &str, now: NaiveDateTime) -> Result<(), Error> {
    queries::cancel_pending(c, Scope::Event(event_id), None, "the event was cancelled", now)?;
    for (registration_id, contact_id) in queries::attending(c, event_id)? {
        let row = EmailRow::pending(
            EmailKind::Cancelled,
            event_id,
            &contact_id,
            Some(&registration_id),
            now,
            now,
        );
        queries::insert(c, &row)?;
    }
    Ok(())
}

/// A contact no longer wants reminders: their pending reminders are dropped.
pub fn consent_withdrawn(c: &mut Db, contact_id: &str, now: NaiveDateTime) -> Result<(), Error> {
    queries::cancel_pending(
        c,
        Scope::Contact(contact_id),
        Some(&[EmailKind::Reminder]),
        "the contact unsubscribed from reminders",
        now,
    )?;
    Ok(())
}

/// A contact was erased: nothing more goes to them and the outbox forgets their secrets.
pub fn contact_erased(c: &mut Db, contact_id: &str, now: NaiveDateTime) -> Result<(), Error> {
    queries::cancel_pending(c, Scope::Contact(contact_id), None, "the contact was erased", now)?;
    queries::scrub_contact(c, contact_id)
}
