//! Registration changes, each run inside one write transaction with the event's row
//! locked, so seats, waitlist and counters stay consistent under concurrency.

use chrono::NaiveDateTime;

use super::csv as sheet;
use super::model::{
    AttendeeRole, ContactBriefRow, EventBriefRow, Registration, RegistrationPatch, RegistrationQuery, RegistrationRow,
    RegistrationStatus, RegistrationView, Source,
};
use super::queries::{self, Filter};
use super::rules::{self, Person, RegisterInput};
use crate::companies::queries as companies;
use crate::contacts::model::ContactRow;
use crate::contacts::queries as contacts;
use crate::context::AppState;
use crate::db::Db;
use crate::error::Error;
use crate::events::model::EventRow;
use crate::events::queries::{self as events, Place};
use crate::idempotency::{Claim, Stored};
use crate::pagination::Page;
use crate::precondition::Precondition;
use crate::reminders::plan::{self, EventTime, Recipient};

/// Registers a person for an event: a seat while any remain, else the waitlist.
/// `manage_token` is set for self-service registrations (stored hashed; the confirmation
/// email carries it). The outbox gets the registration's emails in the same transaction.
/// The answer is built from
/// what the caller and the transaction already hold, without reading anything back;
/// `event` may be read before the transaction (it only labels the answer).
pub fn register(
    c: &mut Db,
    event: EventBriefRow,
    input: RegisterInput,
    source: Source,
    manage_token: Option<String>,
    now: NaiveDateTime,
) -> Result<RegistrationView, Error> {
    let manage_token_hash = manage_token.as_deref().map(crate::tokens::hash);
    let event_id = event.id.clone();
    let event_id = event_id.as_str();
    // Any error below rolls the whole transaction back, the new contact included.
    let public = source == Source::Public;
    let stated_name = match (&input.person, public) {
        (Person::Inline(fields, _), true) => Some(fields.name.clone()),
        _ => None,
    };
    let (contact, company_name, stated_company, new_contact) = resolve(c, input.person, public, now)?;
    // A contact made just now has no registrations to find.
    let existing = if new_contact {
        None
    } else {
        queries::find_for(c, event_id, &contact.id)?
    };
    if let Some(existing) = &existing {
        // An anonymous caller never re-activates (or takes over) a registration: its
        // owner's link keeps working.
        if public || existing.status() != RegistrationStatus::Cancelled {
            return Err(already_registered(&contact.name, existing));
        }
    }
    let Some(place) = events::take_place(c, event_id, now)? else {
        // Not open: say why (404 for no event, 409 naming the state or the closing time).
        rules::check_open(&events::get(c, event_id)?, now)?;
        return Err(Error::conflict("registration is not open right now; try again"));
    };
    let (row, waitlist_position) = new_row(event_id, &contact.id, input.role, input.notes, place, source, now);
    let row = RegistrationRow {
        manage_token_hash,
        stated_company,
        stated_name,
        ..row
    };
    let row = match existing {
        // Someone who cancelled registers again: the same registration comes back.
        Some(old) => {
            let old_version = old.version;
            let row = RegistrationRow {
                manage_token_hash: row.manage_token_hash.clone().or(old.manage_token_hash),
                id: old.id,
                created_at: old.created_at,
                version: old.version + 1,
                ..row
            };
            queries::save(c, &row, old_version)?;
            row
        }
        None => {
            queries::insert(c, &row)?;
            row
        }
    };
    plan::registered(
        c,
        EventTime {
            id: event_id,
            starts_at: event.starts_at,
            tz: event.timezone.parse().unwrap_or(chrono_tz::Tz::UTC),
        },
        Recipient {
            registration_id: &row.id,
            contact_id: &contact.id,
            consents: contact.consent_reminders,
        },
        waitlist_position,
        manage_token.as_deref(),
        now,
    )?;
    Ok(view(row, event, contact, company_name, waitlist_position))
}

/// 409 for someone already registered at the event (`existing_id` names it).
pub(super) fn already_registered(name: &str, existing: &RegistrationRow) -> Error {
    Error::duplicate(
        format!(
            "{name} is already registered for this event (registration {}, {})",
            existing.id, existing.status
        ),
        &existing.id,
    )
}

/// A registration's status, waitlist ticket and waitlist position from its place.
fn standing(place: Place) -> (RegistrationStatus, Option<i32>, Option<i64>) {
    match place {
        Place::Seat => (RegistrationStatus::Registered, None, None),
        Place::Waitlist { ticket, position } => (RegistrationStatus::Waitlisted, Some(ticket), Some(position)),
    }
}

/// A new registration of a contact at an event in the place it took (no manage link,
/// no stated name or company), and its waitlist position.
pub(super) fn new_row(
    event_id: &str,
    contact_id: &str,
    role: AttendeeRole,
    notes: Option<String>,
    place: Place,
    source: Source,
    now: NaiveDateTime,
) -> (RegistrationRow, Option<i64>) {
    let (status, waitlist_seq, waitlist_position) = standing(place);
    let row = RegistrationRow {
        id: crate::ids::new_id(),
        event_id: event_id.to_string(),
        contact_id: contact_id.to_string(),
        role: role.as_str().into(),
        notes,
        status: status.as_str().into(),
        waitlist_seq,
        source: source.as_str().into(),
        manage_token_hash: None,
        checked_in_at: None,
        cancelled_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
        stated_company: None,
        stated_name: None,
    };
    (row, waitlist_position)
}

/// What an answer shows of a registration made just now.
pub(super) fn view(
    row: RegistrationRow,
    event: EventBriefRow,
    contact: ContactRow,
    company_name: Option<String>,
    waitlist_position: Option<i64>,
) -> RegistrationView {
    RegistrationView {
        row,
        event,
        contact: ContactBriefRow {
            id: contact.id,
            name: contact.name,
            email: contact.email,
            phone: contact.phone,
            title: contact.title,
            company_id: contact.company_id,
            language: contact.language,
        },
        company_name,
        waitlist_position,
    }
}

/// The contact a registration is for (an existing one, or found/created by email), the
/// name of their company, the company name an anonymous caller typed, and whether the
/// contact is new. An anonymous (`public`) caller changes no existing contact and makes
/// no company: the name they typed is kept on the registration instead.
fn resolve(
    c: &mut Db,
    person: Person,
    public: bool,
    now: NaiveDateTime,
) -> Result<(ContactRow, Option<String>, Option<String>, bool), Error> {
    if let (true, Person::Inline(mut fields, stated)) = (public, person.clone()) {
        fields.company_id = None;
        let (contact, new) = contacts::find_or_add(c, &fields, now)?;
        return Ok((contact, None, stated, new));
    }
    let ((contact, new), named) = match person {
        Person::Existing(id) => {
            let contact = contacts::find(c, &id)?
                .ok_or_else(|| Error::invalid("contact_id", format!("no contact with id {id}")))?;
            if contact.erased_at.is_some() {
                return Err(Error::invalid("contact_id", "this contact was erased"));
            }
            ((contact, false), None)
        }
        Person::Inline(mut fields, company_name) => {
            let company = match company_name {
                Some(name) => Some(companies::find_or_create(c, &name, now)?),
                None => None,
            };
            if let Some(company) = &company {
                fields.company_id.get_or_insert(company.id.clone());
            }
            (contacts::find_or_create(c, &fields, now)?, company)
        }
    };
    let company_name = match (&contact.company_id, named) {
        (None, _) => None,
        (Some(id), Some(company)) if *id == company.id => Some(company.name),
        (Some(id), _) => companies::find(c, id)?.map(|company| company.name),
    };
    Ok((contact, company_name, None, new))
}

/// Cancels a registration if `expected` holds; a freed seat goes to the longest-waiting
/// person. Cancelling twice changes nothing.
pub fn cancel(c: &mut Db, id: &str, expected: &Precondition, now: NaiveDateTime) -> Result<RegistrationRow, Error> {
    let current = lock(c, id)?;
    expected.check(current.version)?;
    let was = current.status();
    if was == RegistrationStatus::Cancelled {
        return Ok(current);
    }
    rules::check_can_cancel(&current)?;
    let event_id = current.event_id.clone();
    let row = RegistrationRow {
        status: RegistrationStatus::Cancelled.as_str().into(),
        cancelled_at: Some(now),
        ..bumped(&current, now)
    };
    queries::save(c, &row, current.version)?;
    plan::registration_cancelled(c, id, now)?;
    match was {
        RegistrationStatus::Registered => {
            events::add_counts(c, &event_id, -1, 0, 0)?;
            fill_seats(c, &event_id, now)?;
        }
        _ => events::add_counts(c, &event_id, 0, -1, 0)?,
    }
    Ok(row)
}

/// Brings a cancelled registration back for the holder of its manage link (who proved
/// they read that address's email): a seat while any remain, else the waitlist, and the
/// usual confirmation and reminders carrying `manage_token`. A registration that is not
/// cancelled is left as it is. Refused like any registration when the event does not
/// take registrations now (`open` says why).
pub fn reactivate(
    c: &mut Db,
    id: &str,
    manage_token: &str,
    open: impl FnOnce(&EventRow) -> Result<(), Error>,
    now: NaiveDateTime,
) -> Result<RegistrationRow, Error> {
    let current = lock(c, id)?;
    if current.status() != RegistrationStatus::Cancelled {
        return Ok(current);
    }
    let event = events::get(c, &current.event_id)?;
    open(&event)?;
    let Some(place) = events::take_place(c, &event.id, now)? else {
        rules::check_open(&event, now)?;
        return Err(Error::conflict("registration is not open right now; try again"));
    };
    let (status, waitlist_seq, waitlist_position) = standing(place);
    let row = RegistrationRow {
        status: status.as_str().into(),
        waitlist_seq,
        cancelled_at: None,
        ..bumped(&current, now)
    };
    queries::save(c, &row, current.version)?;
    let contact = contacts::get(c, &row.contact_id)?;
    plan::registered(
        c,
        EventTime {
            id: &event.id,
            starts_at: event.starts_at,
            tz: event.tz(),
        },
        Recipient {
            registration_id: &row.id,
            contact_id: &contact.id,
            consents: contact.consent_reminders,
        },
        waitlist_position,
        Some(manage_token),
        now,
    )?;
    Ok(row)
}

/// Locks the registration's event (seats and counters change together) and reads the
/// registration afresh under that lock.
fn lock(c: &mut Db, id: &str) -> Result<RegistrationRow, Error> {
    let event_id = queries::get(c, id)?.event_id;
    events::lock(c, &event_id)?;
    queries::get(c, id)
}

/// The next version of a registration, changed at `now`.
fn bumped(current: &RegistrationRow, now: NaiveDateTime) -> RegistrationRow {
    RegistrationRow {
        updated_at: now,
        version: current.version + 1,
        ..current.clone()
    }
}

/// Gives free seats to waitlisted registrations in the order they joined the waitlist
/// (call with the event locked: after a cancellation or a capacity change).
pub fn fill_seats(c: &mut Db, event_id: &str, now: NaiveDateTime) -> Result<(), Error> {
    let (event, counts) = events::get_full(c, event_id)?;
    let n = rules::seats_to_fill(event.capacity, &counts);
    if n == 0 {
        return Ok(());
    }
    let promoted = queries::waitlist_head(c, event_id, n as i64)?;
    let when = EventTime {
        id: event_id,
        starts_at: event.starts_at,
        tz: event.tz(),
    };
    for reg in &promoted {
        let row = RegistrationRow {
            status: RegistrationStatus::Registered.as_str().into(),
            ..bumped(reg, now)
        };
        queries::save(c, &row, reg.version)?;
        let contact = contacts::get(c, &reg.contact_id)?;
        let who = Recipient {
            registration_id: &reg.id,
            contact_id: &contact.id,
            consents: contact.consent_reminders && contact.erased_at.is_none(),
        };
        if contact.erased_at.is_none() {
            plan::promoted(c, when, who, now)?;
        }
    }
    let k = promoted.len() as i32;
    events::add_counts(c, event_id, k, -k, 0)
}

/// Records a check-in if `expected` holds; a second check-in keeps the first time.
pub fn check_in(c: &mut Db, id: &str, expected: &Precondition, now: NaiveDateTime) -> Result<RegistrationRow, Error> {
    let current = lock(c, id)?;
    expected.check(current.version)?;
    if current.checked_in_at.is_some() {
        return Ok(current);
    }
    rules::check_can_check_in(&current)?;
    let row = RegistrationRow {
        checked_in_at: Some(now),
        ..bumped(&current, now)
    };
    queries::save(c, &row, current.version)?;
    events::add_counts(c, &current.event_id, 0, 0, 1)?;
    Ok(row)
}

/// Undoes a check-in if `expected` holds; undoing when not checked in changes nothing.
pub fn undo_check_in(
    c: &mut Db,
    id: &str,
    expected: &Precondition,
    now: NaiveDateTime,
) -> Result<RegistrationRow, Error> {
    let current = lock(c, id)?;
    expected.check(current.version)?;
    if current.checked_in_at.is_none() {
        return Ok(current);
    }
    let row = RegistrationRow {
        checked_in_at: None,
        ..bumped(&current, now)
    };
    queries::save(c, &row, current.version)?;
    events::add_counts(c, &current.event_id, 0, 0, -1)?;
    Ok(row)
}

/// Changes a registration's role or notes if `expected` holds.
pub fn update(
    c: &mut Db,
    id: &str,
    patch: RegistrationPatch,
    expected: &Precondition,
    now: NaiveDateTime,
) -> Result<RegistrationRow, Error> {
    // Under the event's lock, like every other change, so an edit waits for a concurrent
    // cancel or promotion instead of failing (the versioned save stays the safety net).
    let current = lock(c, id)?;
    let row = rules::apply_patch(&current, patch.role, patch.notes, now)?;
    // The body is judged first: invalid data is a 422 whatever the version.
    expected.check(current.version)?;
    queries::save(c, &row, current.version)?;
    Ok(row)
}

/// What registering answers: a new registration, or the response stored under the
/// request's idempotency key (new or replayed).
pub enum Registered {
    Fresh(Box<Registration>),
    Stored(Stored),
}

/// Registers someone (organiser or import), honouring an idempotency key: the first
/// response to a key is stored, with the headers `headers` gives it, in the same
/// transaction as the registration.
pub async fn create(
    ctx: &AppState,
    event_id: String,
    input: RegisterInput,
    claim: Option<Claim>,
    headers: fn(&Registration) -> Vec<(String, String)>,
) -> Result<Registered, Error> {
    let now = ctx.clock.now();
    let replay = claim.clone();
    let result = ctx
        .db
        .write(move |c| {
            if let Some(stored) = claim.as_ref().map(|k| k.replay(c)).transpose()?.flatten() {
                return Ok(Answer::Stored(stored));
            }
            // Read in the same trip to the database: a second hop to the blocking pool
            // costs more than this cached query.
            let event = queries::event_brief(c, &event_id)?;
            let view = register(c, event, input, Source::Organiser, None, now)?;
            match &claim {
                Some(claim) => {
                    let registration = Registration::from(view);
                    let stored = Stored {
                        status: 201,
                        body: to_json(&registration)?,
                        headers: headers(&registration),
                    };
                    claim.store(c, &stored, now)?;
                    Ok(Answer::Stored(stored))
                }
                // Without a key the answer is rendered after the commit, off the writer.
                None => Ok(Answer::Fresh(Box::new(view))),
            }
        })
        .await;
    match (result, replay) {
        (Ok(Answer::Fresh(view)), _) => Ok(Registered::Fresh(Box::new(Registration::from(*view)))),
        (Ok(Answer::Stored(stored)), _) => Ok(Registered::Stored(stored)),
        // A retry that raced its original loses (duplicate, or the key's row): once the
        // original has committed, answer with its response.
        (Err(e), Some(claim)) => match ctx.db.read(move |c| claim.replay(c)).await? {
            Some(stored) => Ok(Registered::Stored(stored)),
            None => Err(e),
        },
        (Err(e), None) => Err(e),
    }
}

/// What the registration transaction hands back.
enum Answer {
    Stored(Stored),
    Fresh(Box<RegistrationView>),
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))
}

/// One page of an event's registrations.
pub async fn list(ctx: &AppState, event_id: String, q: RegistrationQuery) -> Result<Page<Registration>, Error> {
    let (filter, after, limit) = rules::list_filter(event_id, q)?;
    ctx.db
        .read(move |c| {
            events::get(c, filter.event_id.as_deref().unwrap_or_default())?;
            queries::page(c, &filter, after.as_ref(), limit)
        })
        .await
}

/// The event's registrations as a spreadsheet.
pub async fn export(ctx: &AppState, event_id: String) -> Result<String, Error> {
    ctx.db
        .read(move |c| {
            let event = events::get(c, &event_id)?;
            let filter = Filter {
                event_id: Some(event_id),
                ..Default::default()
            };
            let rows = queries::views(c, &filter, None, i32::MAX as i64)?;
            sheet::export(&rows, event.tz())
        })
        .await
}

/// One registration as the API shows it.
pub async fn get(ctx: &AppState, id: String) -> Result<Registration, Error> {
    ctx.db
        .read(move |c| Ok(Registration::from(queries::view(c, &id)?)))
        .await
}

/// A change to one registration, run in a transaction with the clock's "now".
pub type Change = fn(&mut Db, &str, &Precondition, NaiveDateTime) -> Result<RegistrationRow, Error>;

/// Runs `change` on a registration and answers with the result as the API shows it.
pub async fn change(ctx: &AppState, id: String, expected: Precondition, change: Change) -> Result<Registration, Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            change(c, &id, &expected, now)?;
            Ok(Registration::from(queries::view(c, &id)?))
        })
        .await
}

/// Changes a registration's role or notes if `expected` holds.
pub async fn patch(
    ctx: &AppState,
    id: String,
    patch: RegistrationPatch,
    expected: Precondition,
) -> Result<Registration, Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            update(c, &id, patch, &expected, now)?;
            Ok(Registration::from(queries::view(c, &id)?))
        })
        .await
}
