//! Storage of companies.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::model::CompanyRow;
use crate::db::schema::companies;
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
    pub is_target: Option<bool>,
    pub industry_chain: Option<String>,
    pub country: Option<String>,
}

/// 409 naming the company that already has this name.
pub fn duplicate(conn: &mut Db, name_key: &str) -> Error {
    let existing = find_by_key(conn, name_key).ok().flatten();
    let mut extra = Map::new();
    if let Some(e) = &existing {
        extra.insert("existing_id".into(), Value::String(e.id.clone()));
    }
    Error::Conflict {
        detail: match existing {
            Some(e) => format!("a company named {:?} already exists (id {})", e.name, e.id),
            None => "a company with this name already exists".into(),
        },
        extra,
    }
}

/// Stores a new company; 409 with `existing_id` when the name is taken.
pub fn insert(conn: &mut Db, row: &CompanyRow) -> Result<(), Error> {
    if find_by_key(conn, &row.name_key)?.is_some() {
        return Err(duplicate(conn, &row.name_key));
    }
    if !insert_new(conn, row)? {
        return Err(Error::conflict("a company with this name already exists"));
    }
    Ok(())
}

/// Stores a new company and its search document; false, with nothing written, when
/// another writer stored the same name first (not raised as an error: on PostgreSQL
/// that would abort the whole transaction).
fn insert_new(conn: &mut Db, row: &CompanyRow) -> Result<bool, Error> {
    let n = crate::insert_or_skip!(conn, companies::table, row)?;
    if n == 0 {
        return Ok(false);
    }
    search::add(conn, Kind::Company, &row.id, &fields(row))?;
    Ok(true)
}

/// Keeps a company's search entry in step with its row (same transaction).
fn index(conn: &mut Db, row: &CompanyRow) -> Result<(), Error> {
    search::index(conn, Kind::Company, &row.id, &fields(row))
}

/// A company's searched fields.
fn fields(row: &CompanyRow) -> [Option<&str>; 2] {
    [Some(&row.name_key), row.name_en.as_deref()]
}

/// The company with this id, if any.
pub fn find(conn: &mut Db, id: &str) -> Result<Option<CompanyRow>, Error> {
    if !is_uuid(id) {
        return Ok(None);
    }
    Ok(companies::table
        .find(id)
        .select(CompanyRow::as_select())
        .first(conn)
        .optional()?)
}

/// The company with this id, or 404.
pub fn get(conn: &mut Db, id: &str) -> Result<CompanyRow, Error> {
    find(conn, id)?.ok_or_else(|| Error::NotFound(format!("no company with id {id}")))
}

/// The company with this folded name, if any.
pub fn find_by_key(conn: &mut Db, key: &str) -> Result<Option<CompanyRow>, Error> {
    Ok(companies::table
        .filter(companies::name_key.eq(key))
        .select(CompanyRow::as_select())
        .first(conn)
        .optional()?)
}

/// The companies with any of these folded names.
pub fn find_by_keys(conn: &mut Db, keys: &[String]) -> Result<Vec<CompanyRow>, Error> {
    Ok(companies::table
        .filter(companies::name_key.eq_any(keys))
        .select(CompanyRow::as_select())
        .load(conn)?)
}

/// The companies with any of these ids.
pub fn find_many(conn: &mut Db, ids: &[String]) -> Result<Vec<CompanyRow>, Error> {
    Ok(companies::table
        .filter(companies::id.eq_any(ids))
        .select(CompanyRow::as_select())
        .load(conn)?)
}

/// Stores new companies and their search documents at once; false when another
/// writer stored one of the names first (the caller rolls back what was written).
pub fn insert_new_many(conn: &mut Db, rows: &[CompanyRow]) -> Result<bool, Error> {
    if crate::insert_many_or_skip!(&mut *conn, companies::table, rows)? != rows.len() {
        return Ok(false);
    }
    let docs: Vec<_> = rows.iter().map(|row| (row.id.as_str(), fields(row).to_vec())).collect();
    search::add_many(conn, Kind::Company, &docs)?;
    Ok(true)
}

/// Writes `row` if the stored version is still `expected`.
pub fn update(conn: &mut Db, row: &CompanyRow, expected: i32) -> Result<(), Error> {
    if let Some(other) = find_by_key(conn, &row.name_key)? {
        if other.id != row.id {
            return Err(duplicate(conn, &row.name_key));
        }
    }
    let n = diesel::update(companies::table.find(&row.id).filter(companies::version.eq(expected)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        return Err(Error::conflict(
            "the company was changed at the same time; fetch it again and retry",
        ));
    }
    index(conn, row)
}

/// One page of companies in creation order (`limit + 1` rows).
pub fn list(conn: &mut Db, filter: &Filter, after: Option<&Key>, limit: i64) -> Result<Vec<CompanyRow>, Error> {
    let mut query = companies::table.select(CompanyRow::as_select()).into_boxed();
    if let Some(q) = &filter.q {
        let pattern = contains_pattern(q);
        let matches = search::matching(conn, Kind::Company, q)?;
        query = crate::search_filter!(
            query,
            matches,
            companies::id,
            companies::name_key
                .like(pattern.clone())
                .escape('\\')
                .or(lower(companies::name_en.assume_not_null()).like(pattern).escape('\\')),
        );
    }
    if let Some(t) = filter.is_target {
        query = query.filter(companies::is_target.eq(t));
    }
    if let Some(chain) = &filter.industry_chain {
        query = query.filter(companies::industry_chain.eq(chain.clone()));
    }
    if let Some(country) = &filter.country {
        query = query.filter(companies::country.eq(country.clone()));
    }
    if let Some((created, id)) = after {
        query = query.filter(
            companies::created_at
                .gt(*created)
                .or(companies::created_at.eq(*created).and(companies::id.gt(id.clone()))),
        );
    }
    Ok(query
        .order((companies::created_at, companies::id))
        .limit(limit + 1)
        .load(conn)?)
}

/// Finds a company by name or creates it (for registrations that name one); safe
/// against a concurrent writer of the same name.
pub fn find_or_create(conn: &mut Db, name: &str, now: NaiveDateTime) -> Result<CompanyRow, Error> {
    let key = super::model::name_key(name);
    if let Some(existing) = find_by_key(conn, &key)? {
        return Ok(existing);
    }
    let input = super::model::NewCompany {
        name: Some(name.to_string()),
        ..Default::default()
    };
    let row = super::model::new_company(input, crate::ids::new_id(), now)?;
    if insert_new(conn, &row)? {
        return Ok(row);
    }
    // Another writer stored the same name just now.
    find_by_key(conn, &key)?.ok_or_else(|| Error::conflict("the company was changed at the same time; try again"))
}
