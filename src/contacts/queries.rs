//! Storage of contacts.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::model::{self, ContactFields, ContactRow};
use crate::db::schema::{contacts, registrations};
use crate::db::search::{self, contains_pattern, lower, Kind};
use crate::db::Db;
use crate::error::Error;
use crate::validation::is_uuid;

/// The position after which a page starts: (created, id).
pub type Key = (NaiveDateTime, String);

/// Validated list filters.
#[derive(Debug, Default)]
pub struct Filter {
    /// Lower-cased search text.
    pub q: Option<String>,
    pub company_id: Option<String>,
}

fn duplicate(existing: &ContactRow) -> Error {
    let mut extra = Map::new();
    extra.insert("existing_id".into(), Value::String(existing.id.clone()));
    Error::Conflict {
        detail: format!(
            "a contact with email {} already exists (id {})",
            existing.email, existing.id
        ),
        extra,
    }
}

/// The contact with this id, if any.
pub fn find(conn: &mut Db, id: &str) -> Result<Option<ContactRow>, Error> {
    if !is_uuid(id) {
        return Ok(None);
    }
    Ok(contacts::table
        .find(id)
        .select(ContactRow::as_select())
        .first(conn)
        .optional()?)
}

/// The contact with this id, or 404.
pub fn get(conn: &mut Db, id: &str) -> Result<ContactRow, Error> {
    find(conn, id)?.ok_or_else(|| Error::NotFound(format!("no contact with id {id}")))
}

/// The contact with this email (any case), if any.
pub fn find_by_email(conn: &mut Db, email: &str) -> Result<Option<ContactRow>, Error> {
    Ok(contacts::table
        .filter(contacts::email_key.eq(model::email_key(email)))
        .select(ContactRow::as_select())
        .first(conn)
        .optional()?)
}

/// 422 on `company_id` unless the company exists.
pub fn check_company(conn: &mut Db, company_id: Option<&str>) -> Result<(), Error> {
    match company_id {
        Some(id) if crate::companies::queries::find(conn, id)?.is_none() => {
            Err(Error::invalid("company_id", format!("no company with id {id}")))
        }
        _ => Ok(()),
    }
}

/// Stores a new contact; 409 with `existing_id` when the email is taken.
pub fn insert(conn: &mut Db, row: &ContactRow) -> Result<(), Error> {
    if let Some(existing) = find_by_email(conn, &row.email)? {
        return Err(duplicate(&existing));
    }
    insert_checked(conn, row)
}

/// Stores a contact whose email was just looked up (the unique index still guards it).
fn insert_checked(conn: &mut Db, row: &ContactRow) -> Result<(), Error> {
    if !insert_new(conn, row)? {
        return Err(Error::conflict("a contact with this email already exists"));
    }
    Ok(())
}

/// Stores a new contact and its search document; false, with nothing written, when
/// another writer stored the same email first. The clash is not raised as an error: on
/// PostgreSQL that would abort the whole transaction, and a caller that then finds the
/// other writer's contact would need a savepoint (two more round trips per row).
fn insert_new(conn: &mut Db, row: &ContactRow) -> Result<bool, Error> {
    check_company(conn, row.company_id.as_deref())?;
    // The unsubscribe secret every email shows is made with the row: made later, it
    // cost an UPDATE of the new contact in the same transaction (on PostgreSQL a new
    // row version and an entry in each of its indexes).
    let values = (row, contacts::unsubscribe_token.eq(crate::tokens::generate()));
    let n = crate::insert_or_skip!(conn, contacts::table, values)?;
    if n == 0 {
        return Ok(false);
    }
    search::add(conn, Kind::Contact, &row.id, &fields(row))?;
    Ok(true)
}

/// The contacts with any of these email keys ([`model::email_key`]).
pub fn find_by_email_keys(conn: &mut Db, keys: &[String]) -> Result<Vec<ContactRow>, Error> {
    Ok(contacts::table
        .filter(contacts::email_key.eq_any(keys))
        .select(ContactRow::as_select())
        .load(conn)?)
}

/// Stores new contacts (each with its unsubscribe secret) and their search documents at
/// once; false when another writer stored one of the emails first (the caller rolls
/// back what was written). Their companies must exist.
pub fn insert_new_many(conn: &mut Db, rows: &[ContactRow]) -> Result<bool, Error> {
    let values: Vec<_> = rows
        .iter()
        .map(|row| (row.clone(), contacts::unsubscribe_token.eq(crate::tokens::generate())))
        .collect();
    if crate::insert_many_or_skip!(&mut *conn, contacts::table, &values)? != rows.len() {
        return Ok(false);
    }
    let docs: Vec<_> = rows.iter().map(|row| (row.id.as_str(), fields(row).to_vec())).collect();
    search::add_many(conn, Kind::Contact, &docs)?;
    Ok(true)
}

/// Keeps a contact's search entry in step with its row (same transaction).
fn index(conn: &mut Db, row: &ContactRow) -> Result<(), Error> {
    search::index(conn, Kind::Contact, &row.id, &fields(row))
}

/// A contact's searched fields.
fn fields(row: &ContactRow) -> [Option<&str>; 2] {
    [Some(&row.name), Some(&row.email_key)]
}

/// Writes `row` if the stored version is still `expected`.
pub fn update(conn: &mut Db, row: &ContactRow, expected: i32) -> Result<(), Error> {
    if let Some(other) = find_by_email(conn, &row.email)? {
        if other.id != row.id {
            return Err(duplicate(&other));
        }
    }
    check_company(conn, row.company_id.as_deref())?;
    let n = diesel::update(contacts::table.find(&row.id).filter(contacts::version.eq(expected)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        return Err(Error::conflict(
            "the contact was changed at the same time; fetch it again and retry",
        ));
    }
    index(conn, row)
}

/// The contact with this email, its empty fields filled from `fields`, or a new contact;
/// true when the contact is new.
/// Safe against a concurrent writer of the same contact (the second look finds it).
pub fn find_or_create(conn: &mut Db, fields: &ContactFields, now: NaiveDateTime) -> Result<(ContactRow, bool), Error> {
    for _ in 0..2 {
        match find_by_email(conn, &fields.email)? {
            Some(existing) => match model::fill_empty(&existing, fields, now) {
                // A versioned update that finds another version writes nothing: look again.
                Some(merged) => match update(conn, &merged, existing.version) {
                    Ok(()) => return Ok((merged, false)),
                    Err(Error::Conflict { .. }) => continue,
                    Err(e) => return Err(e),
                },
                None => return Ok((existing, false)),
            },
            None => {
                let row = model::new_row(fields.clone(), crate::ids::new_id(), now);
                if insert_new(conn, &row)? {
                    return Ok((row, true));
                }
            }
        }
    }
    Err(Error::conflict("the contact was changed at the same time; try again"))
}

/// The contact with this email exactly as stored (nothing is merged into it), or a new
/// one from `fields`: for anonymous callers, who may not change what someone else entered.
/// Safe against a concurrent writer of the same contact (the second look finds it).
pub fn find_or_add(conn: &mut Db, fields: &ContactFields, now: NaiveDateTime) -> Result<(ContactRow, bool), Error> {
    if let Some(existing) = find_by_email(conn, &fields.email)? {
        return Ok((existing, false));
    }
    let row = model::new_row(fields.clone(), crate::ids::new_id(), now);
    if insert_new(conn, &row)? {
        return Ok((row, true));
    }
    let existing = find_by_email(conn, &fields.email)?;
    existing
        .map(|existing| (existing, false))
        .ok_or_else(|| Error::conflict("the contact was changed at the same time; try again"))
}

/// One page of contacts in creation order (`limit + 1` rows).
pub fn list(conn: &mut Db, filter: &Filter, after: Option<&Key>, limit: i64) -> Result<Vec<ContactRow>, Error> {
    let mut query = contacts::table.select(ContactRow::as_select()).into_boxed();
    if let Some(q) = &filter.q {
        let pattern = contains_pattern(q);
        let matches = search::matching(conn, Kind::Contact, q)?;
        query = crate::search_filter!(
            query,
            matches,
            contacts::id,
            lower(contacts::name)
                .like(pattern.clone())
                .escape('\\')
                .or(contacts::email_key.like(pattern).escape('\\')),
        );
    }
    if let Some(company) = &filter.company_id {
        query = query.filter(contacts::company_id.eq(company.clone()));
    }
    if let Some((created, id)) = after {
        query = query.filter(
            contacts::created_at
                .gt(*created)
                .or(contacts::created_at.eq(*created).and(contacts::id.gt(id.clone()))),
        );
    }
    Ok(query
        .order((contacts::created_at, contacts::id))
        .limit(limit + 1)
        .load(conn)?)
}

/// Erases a contact's personal data, and what their registrations hold of it.
/// Registrations stay (anonymous), so event counts do not change.
pub fn erase(conn: &mut Db, id: &str, now: NaiveDateTime) -> Result<(), Error> {
    let current = get(conn, id)?;
    if current.erased_at.is_some() {
        return Ok(());
    }
    let erased = model::erase(&current, now);
    diesel::update(contacts::table.find(id)).set(&erased).execute(conn)?;
    // The old name and email leave the index with the row.
    index(conn, &erased)?;
    diesel::update(registrations::table.filter(registrations::contact_id.eq(id)))
        .set((
            registrations::notes.eq(None::<String>),
            registrations::manage_token_hash.eq(None::<String>),
            registrations::reissued_token_hash.eq(None::<String>),
            registrations::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
