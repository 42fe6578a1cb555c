//! Registration changes, each run inside one write transaction with the event's row
//! locked, so seats, waitlist and counters stay consistent under concurrency.

use chrono::NaiveDateTime;
use serde_json::{Map, Value};

use super::model::{ContactBriefRow, EventBriefRow, RegistrationRow, RegistrationStatus, RegistrationView, Source};
use super::queries;
use super::rules::{self, Person, RegisterInput};
use crate::companies::queries as companies;
use crate::contacts::model::ContactRow;
use crate::contacts::queries as contacts;
use crate::db::{retry_race, Db};
use crate::events::queries::{self as events, Place};
use crate::http::error::ApiError;

/// Registers a person for an event: a seat while any remain, else the waitlist.
/// `manage_token_hash` is set for self-service registrations. The answer is built from
/// what the caller and the transaction already hold, without reading anything back;
/// `event` may be read before the transaction (it only labels the answer).
pub fn register(
    c: &mut Db,
    event: EventBriefRow,
    input: RegisterInput,
    source: Source,
    manage_token_hash: Option<String>,
    now: NaiveDateTime,
) -> Result<RegistrationView, ApiError> {
    let event_id = event.id.clone();
    let event_id = event_id.as_str();
    // Any error below rolls the whole transaction back, the new contact included.
    let (contact, company_name, new_contact) = resolve(c, input.person, now)?;
    // A contact made just now has no registrations to find.
    let existing = if new_contact {
        None
    } else {
        queries::find_for(c, event_id, &contact.id)?
    };
    if let Some(existing) = &existing {
        if existing.status() != RegistrationStatus::Cancelled {
            let mut extra = Map::new();
            extra.insert("existing_id".into(), Value::String(existing.id.clone()));
            return Err(ApiError::Conflict {
                detail: format!(
                    "{} is already registered for this event (registration {}, {})",
                    contact.name, existing.id, existing.status
                ),
                extra,
            });
        }
    }
    let Some(place) = events::take_place(c, event_id, now)? else {
        // Not open: say why (404 for no event, 409 naming the state or the closing time).
        rules::check_open(&events::get(c, event_id)?, now)?;
        return Err(ApiError::conflict("registration is not open right now; try again"));
    };
    let (status, waitlist_seq, waitlist_position) = match place {
        Place::Seat => (RegistrationStatus::Registered, None, None),
        Place::Waitlist { ticket, position } => (RegistrationStatus::Waitlisted, Some(ticket), Some(position)),
    };
    let row = RegistrationRow {
        id: uuid::Uuid::new_v4().to_string(),
        event_id: event_id.to_string(),
        contact_id: contact.id.clone(),
        role: input.role.as_str().into(),
        notes: input.notes,
        status: status.as_str().into(),
        waitlist_seq,
        source: source.as_str().into(),
        manage_token_hash,
        checked_in_at: None,
        cancelled_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let row = match existing {
        // Someone who cancelled registers again: the same registration comes back.
        Some(old) => {
            let row = RegistrationRow {
                manage_token_hash: row.manage_token_hash.clone().or(old.manage_token_hash),
                id: old.id,
                created_at: old.created_at,
                version: old.version + 1,
                ..row
            };
            queries::save(c, &row)?;
            row
        }
        None => {
            queries::insert(c, &row)?;
            row
        }
    };
    Ok(RegistrationView {
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
    })
}

/// The contact a registration is for (an existing one, or found/created by email), the
/// name of their company, and whether the contact is new.
fn resolve(c: &mut Db, person: Person, now: NaiveDateTime) -> Result<(ContactRow, Option<String>, bool), ApiError> {
    let ((contact, new), named) = match person {
        Person::Existing(id) => {
            let contact = contacts::find(c, &id)?
                .ok_or_else(|| ApiError::invalid("contact_id", format!("no contact with id {id}")))?;
            if contact.erased_at.is_some() {
                return Err(ApiError::invalid("contact_id", "this contact was erased"));
            }
            ((contact, false), None)
        }
        Person::Inline(mut fields, company_name) => {
            let company = match company_name {
                Some(name) => Some(retry_race(c, |c| companies::find_or_create(c, &name, now))?),
                None => None,
            };
            if let Some(company) = &company {
                fields.company_id.get_or_insert(company.id.clone());
            }
            (retry_race(c, |c| contacts::find_or_create(c, &fields, now))?, company)
        }
    };
    let company_name = match (&contact.company_id, named) {
        (None, _) => None,
        (Some(id), Some(company)) if *id == company.id => Some(company.name),
        (Some(id), _) => companies::find(c, id)?.map(|company| company.name),
    };
    Ok((contact, company_name, new))
}

/// Cancels a registration; a freed seat goes to the longest-waiting person.
/// Cancelling twice changes nothing.
pub fn cancel(c: &mut Db, id: &str, now: NaiveDateTime) -> Result<RegistrationRow, ApiError> {
    let event_id = queries::get(c, id)?.event_id;
    events::lock(c, &event_id)?;
    let current = queries::get(c, id)?;
    let was = current.status();
    if was == RegistrationStatus::Cancelled {
        return Ok(current);
    }
    rules::check_can_cancel(&current)?;
    let row = RegistrationRow {
        status: RegistrationStatus::Cancelled.as_str().into(),
        cancelled_at: Some(now),
        updated_at: now,
        version: current.version + 1,
        ..current
    };
    queries::save(c, &row)?;
    match was {
        RegistrationStatus::Registered => {
            events::add_counts(c, &event_id, -1, 0, 0)?;
            fill_seats(c, &event_id)?;
        }
        _ => events::add_counts(c, &event_id, 0, -1, 0)?,
    }
    Ok(row)
}

/// Gives free seats to waitlisted registrations in the order they joined the waitlist
/// (call with the event locked: after a cancellation or a capacity change).
pub fn fill_seats(c: &mut Db, event_id: &str) -> Result<(), ApiError> {
    let (event, counts) = events::get_full(c, event_id)?;
    let n = rules::seats_to_fill(event.capacity, &counts);
    if n == 0 {
        return Ok(());
    }
    let now = crate::time::now();
    let promoted = queries::waitlist_head(c, event_id, n as i64)?;
    for reg in &promoted {
        let row = RegistrationRow {
            status: RegistrationStatus::Registered.as_str().into(),
            updated_at: now,
            version: reg.version + 1,
            ..reg.clone()
        };
        queries::save(c, &row)?;
    }
    let k = promoted.len() as i32;
    events::add_counts(c, event_id, k, -k, 0)
}

/// Records a check-in; a second check-in keeps the first time.
pub fn check_in(c: &mut Db, id: &str, now: NaiveDateTime) -> Result<RegistrationRow, ApiError> {
    let event_id = queries::get(c, id)?.event_id;
    events::lock(c, &event_id)?;
    let current = queries::get(c, id)?;
    if current.checked_in_at.is_some() {
        return Ok(current);
    }
    rules::check_can_check_in(&current)?;
    let row = RegistrationRow {
        checked_in_at: Some(now),
        updated_at: now,
        version: current.version + 1,
        ..current
    };
    queries::save(c, &row)?;
    events::add_counts(c, &event_id, 0, 0, 1)?;
    Ok(row)
}

/// Undoes a check-in; undoing when not checked in changes nothing.
pub fn undo_check_in(c: &mut Db, id: &str, now: NaiveDateTime) -> Result<RegistrationRow, ApiError> {
    let event_id = queries::get(c, id)?.event_id;
    events::lock(c, &event_id)?;
    let current = queries::get(c, id)?;
    if current.checked_in_at.is_none() {
        return Ok(current);
    }
    let row = RegistrationRow {
        checked_in_at: None,
        updated_at: now,
        version: current.version + 1,
        ..current
    };
    queries::save(c, &row)?;
    events::add_counts(c, &event_id, 0, 0, -1)?;
    Ok(row)
}
