//! Spreadsheet import: rows registered in chunks of one transaction each. A chunk of
//! new people goes in with a few statements for all its rows (a round trip per
//! statement per row made PostgreSQL eight times slower than SQLite); a chunk that
//! needs more (a contact to update, a registration to bring back, a race with another
//! writer) goes row by row, each row in its own savepoint so that it fails alone.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;

use super::csv::{self as sheet, ImportOutcome, ImportReport, ImportRowReport};
use super::model::{EventBriefRow, RegistrationRow, RegistrationStatus, RegistrationView, Source};
use super::queries;
use super::rules::{self, Person, RegisterInput};
use super::service::{already_registered, new_row, register, view};
use crate::companies::model::{name_key, new_company, CompanyRow, NewCompany};
use crate::companies::queries as companies;
use crate::contacts::model::{self as contact_model, ContactRow};
use crate::contacts::queries as contacts;
use crate::context::AppState;
use crate::db::Db;
use crate::error::Error;
use crate::events::queries as events;
use crate::reminders::plan::{self, EventTime, Recipient};

/// Rows imported in one transaction: enough to amortise the commit (one per row made
/// a 5,000-row import on PostgreSQL twenty times slower than on SQLite), few enough
/// that other writers do not wait long for SQLite's single writer.
const IMPORT_CHUNK: usize = 100;

/// A row's place in the file (row, line) and what became of it.
type Outcome = ((u64, u64), Result<RegistrationView, Error>);

/// Imports spreadsheet rows into an event, each on its own: the report says what
/// became of each row (created, duplicate or invalid).
pub async fn import(ctx: &AppState, event_id: String, rows: Vec<sheet::ImportRow>) -> Result<ImportReport, Error> {
    let now = ctx.clock.now();
    let event = ctx
        .db
        .read(move |c| {
            let event = events::get(c, &event_id)?;
            rules::check_open(&event, now)?;
            Ok::<_, Error>(EventBriefRow::from(&event))
        })
        .await?;
    let mut report = ImportReport::default();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<((u64, u64), Result<RegisterInput, Error>)> = rows
            .by_ref()
            .take(IMPORT_CHUNK)
            .map(|row| {
                (
                    (row.row, row.line),
                    row.request.map_err(Error::BadRequest).and_then(rules::validate),
                )
            })
            .collect();
        let (event, clock) = (event.clone(), ctx.clock.clone());
        let results = ctx
            .db
            .write(move |c| import_chunk(c, &event, chunk, clock.now()))
            .await?;
        for (n, result) in results {
            report.push(import_outcome(n, result));
        }
    }
    Ok(report)
}

/// One chunk, in one transaction: all at once when [`register_new`] can, else row by
/// row. Outcomes in the rows' order.
fn import_chunk(
    c: &mut Db,
    event: &EventBriefRow,
    chunk: Vec<((u64, u64), Result<RegisterInput, Error>)>,
    now: NaiveDateTime,
) -> Result<Vec<Outcome>, Error> {
    let valid: Vec<&RegisterInput> = chunk.iter().filter_map(|(_, input)| input.as_ref().ok()).collect();
    // Anything the batch cannot take (or a failure in it) is undone: row by row then.
    let mut batch = match in_savepoint(c, |c| register_new(c, event, &valid, now))? {
        Ok(Some(results)) => Some(results.into_iter()),
        Ok(None) | Err(_) => None,
    };
    let mut outcomes = Vec::with_capacity(chunk.len());
    for (n, input) in chunk {
        let result = match (input, batch.as_mut()) {
            (Err(e), _) => Err(e),
            (Ok(_), Some(done)) => done
                .next()
                .ok_or_else(|| Error::Internal("the import batch lost a row".into()))?,
            (Ok(input), None) => in_savepoint(c, |c| register(c, event.clone(), input, Source::Import, None, now))?,
        };
        // The database is gone: stop, rather than report every row invalid.
        if let Err(e @ (Error::Internal(_) | Error::Unavailable)) = result {
            return Err(e);
        }
        outcomes.push((n, result));
    }
    Ok(outcomes)
}

/// Registers new people at once, with the outcome of each in order: a few statements
/// for the whole chunk. Rows that are plain (an inline person with an email no other
/// row of the chunk has, no company id given) and whose contact is new or needs no
/// change go this way; someone already registered gets the same 409 as one by one,
/// and nothing is written for them. `None`, with nothing written, when any row needs
/// more: the caller goes row by row. An error (another writer took a name or an email
/// meanwhile) leaves writes behind for the caller to roll back.
fn register_new(
    c: &mut Db,
    event: &EventBriefRow,
    inputs: &[&RegisterInput],
    now: NaiveDateTime,
) -> Result<Option<Vec<Result<RegistrationView, Error>>>, Error> {
    let mut people = Vec::with_capacity(inputs.len());
    let mut keys = HashSet::new();
    for input in inputs {
        match &input.person {
            Person::Inline(fields, company) if fields.company_id.is_none() => {
                if !keys.insert(contact_model::email_key(&fields.email)) {
                    return Ok(None);
                }
                people.push((*input, fields, company.as_deref()));
            }
            _ => return Ok(None),
        }
    }
    if people.is_empty() {
        return Ok(Some(Vec::new()));
    }

    // Reads first: the contacts there are, their registrations here, the companies.
    let keys: Vec<String> = keys.into_iter().collect();
    let mut known: HashMap<String, ContactRow> = contacts::find_by_email_keys(c, &keys)?
        .into_iter()
        .map(|row| (row.email_key.clone(), row))
        .collect();
    let known_ids: Vec<String> = known.values().map(|row| row.id.clone()).collect();
    let registered: HashMap<String, RegistrationRow> = match known_ids.is_empty() {
        true => HashMap::new(),
        false => queries::find_for_many(c, &event.id, &known_ids)?
            .into_iter()
            .map(|row| (row.contact_id.clone(), row))
            .collect(),
    };
    let mut arriving = Vec::with_capacity(people.len());
    let mut results: Vec<Option<Result<RegistrationView, Error>>> = Vec::with_capacity(people.len());
    for (input, fields, company) in people {
        let contact = known.remove(&contact_model::email_key(&fields.email));
        match contact
            .as_ref()
            .and_then(|contact| registered.get(&contact.id).map(|reg| (contact, reg)))
        {
            // Someone who cancelled comes back one by one (the same registration).
            Some((_, old)) if old.status() == RegistrationStatus::Cancelled => return Ok(None),
            Some((contact, old)) => results.push(Some(Err(already_registered(&contact.name, old)))),
            None => {
                results.push(None);
                arriving.push((input, fields, company, contact));
            }
        }
    }
    let company_keys: Vec<String> = arriving
        .iter()
        .filter_map(|(_, _, company, _)| company.map(name_key))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut company_by_key: HashMap<String, CompanyRow> = match company_keys.is_empty() {
        true => HashMap::new(),
        false => companies::find_by_keys(c, &company_keys)?
            .into_iter()
            .map(|row| (row.name_key.clone(), row))
            .collect(),
    };

    // What to write: new companies (each name once), then each row's contact.
    let mut new_companies = Vec::new();
    for (_, _, company, _) in &arriving {
        let Some(name) = company else { continue };
        let key = name_key(name);
        if company_by_key.contains_key(&key) {
            continue;
        }
        let input = NewCompany {
            name: Some(name.to_string()),
            ..Default::default()
        };
        let Ok(row) = new_company(input, crate::ids::new_id(), now) else {
            return Ok(None);
        };
        new_companies.push(row.clone());
        company_by_key.insert(key, row);
    }
    let mut new_contacts = Vec::new();
    let mut chosen = Vec::with_capacity(arriving.len());
    for (input, fields, company, contact) in arriving {
        let named = company.map(|name| &company_by_key[&name_key(name)]);
        let mut fields = fields.clone();
        fields.company_id = named.map(|company| company.id.clone());
        let contact = match contact {
            // A known contact the row would change (fill an empty field) goes one by one.
            Some(known) if contact_model::fill_empty(&known, &fields, now).is_some() => return Ok(None),
            Some(known) => known,
            None => {
                let row = contact_model::new_row(fields, crate::ids::new_id(), now);
                new_contacts.push(row.clone());
                row
            }
        };
        let company_name = named
            .filter(|company| contact.company_id.as_deref() == Some(&company.id))
            .map(|company| company.name.clone());
        chosen.push((input, contact, company_name));
    }
    // Company names of known contacts whose company the row did not name.
    let unnamed: Vec<String> = chosen
        .iter()
        .filter(|(_, _, name)| name.is_none())
        .filter_map(|(_, contact, _)| contact.company_id.clone())
        .collect();
    let names: HashMap<String, String> = match unnamed.is_empty() {
        true => HashMap::new(),
        false => companies::find_many(c, &unnamed)?
            .into_iter()
            .map(|row| (row.id, row.name))
            .collect(),
    };

    // Writes: companies, contacts, places, registrations, emails.
    if !new_companies.is_empty() && !companies::insert_new_many(c, &new_companies)? {
        return Err(Error::conflict("a company was added at the same time"));
    }
    if !new_contacts.is_empty() && !contacts::insert_new_many(c, &new_contacts)? {
        return Err(Error::conflict("a contact was added at the same time"));
    }
    let places = match chosen.is_empty() {
        true => Vec::new(),
        false => events::take_places(c, &event.id, chosen.len(), now)?
            .ok_or_else(|| Error::conflict("registration is not open right now"))?,
    };
    let mut rows = Vec::with_capacity(chosen.len());
    let mut arrivals = Vec::with_capacity(chosen.len());
    let mut views = Vec::with_capacity(chosen.len());
    for ((input, contact, company_name), place) in chosen.into_iter().zip(places) {
        let (row, waitlist_position) = new_row(
            &event.id,
            &contact.id,
            input.role,
            input.notes.clone(),
            place,
            Source::Import,
            now,
        );
        rows.push(row.clone());
        arrivals.push((contact.consent_reminders, waitlist_position));
        let company_name = company_name.or_else(|| contact.company_id.as_ref().and_then(|id| names.get(id).cloned()));
        views.push(view(row, event.clone(), contact, company_name, waitlist_position));
    }
    queries::insert_all(c, &rows)?;
    let arrivals: Vec<(Recipient, Option<i64>)> = rows
        .iter()
        .zip(arrivals)
        .map(|(row, (consents, waitlist_position))| {
            let who = Recipient {
                registration_id: &row.id,
                contact_id: &row.contact_id,
                consents,
            };
            (who, waitlist_position)
        })
        .collect();
    let when = EventTime {
        id: &event.id,
        starts_at: event.starts_at,
        tz: event.tz(),
    };
    plan::registered_many(c, when, &arrivals, now)?;
    // Each row's outcome in order: the duplicates' 409s and the new registrations.
    let mut views = views.into_iter();
    results
        .into_iter()
        .map(|result| match result {
            Some(duplicate) => Ok(duplicate),
            None => views
                .next()
                .map(Ok)
                .ok_or_else(|| Error::Internal("the import batch lost a row".into())),
        })
        .collect::<Result<Vec<_>, Error>>()
        .map(Some)
}

/// Runs `f` in a savepoint of the current transaction, rolled back if `f` fails: the
/// outer result is the database's own failure, the inner one the row's.
fn in_savepoint<T>(c: &mut Db, f: impl FnOnce(&mut Db) -> Result<T, Error>) -> Result<Result<T, Error>, Error> {
    use diesel::connection::SimpleConnection;
    c.batch_execute("SAVEPOINT import_row")?;
    let result = f(c);
    match result {
        Ok(_) => c.batch_execute("RELEASE SAVEPOINT import_row")?,
        Err(_) => c.batch_execute("ROLLBACK TO SAVEPOINT import_row; RELEASE SAVEPOINT import_row")?,
    }
    Ok(result)
}
/// What the report says of one row.
fn import_outcome((row, line): (u64, u64), result: Result<RegistrationView, Error>) -> ImportRowReport {
    match result {
        Ok(view) => ImportRowReport {
            row,
            line,
            outcome: ImportOutcome::Created,
            status: Some(view.row.status()),
            registration_id: Some(view.row.id),
            reason: None,
        },
        Err(Error::Conflict { detail, extra }) if extra.contains_key("existing_id") => ImportRowReport {
            row,
            line,
            outcome: ImportOutcome::Duplicate,
            registration_id: extra["existing_id"].as_str().map(String::from),
            status: None,
            reason: Some(detail),
        },
        Err(e) => ImportRowReport {
            row,
            line,
            outcome: ImportOutcome::Invalid,
            registration_id: None,
            status: None,
            reason: Some(e.to_string()),
        },
    }
}
