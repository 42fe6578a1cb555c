//! Storage of teams.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::TeamRow;
use crate::db::schema::teams;
use crate::db::{is_unique_violation, Db};
use crate::error::Error;

/// The position after which a page starts: (created, id).
pub type Key = (NaiveDateTime, String);

/// 409 naming the team that already has this name.
fn duplicate(conn: &mut Db, name_key: &str) -> Error {
    match find_by_key(conn, name_key).ok().flatten() {
        Some(e) => Error::duplicate(format!("a team named {:?} already exists (id {})", e.name, e.id), &e.id),
        None => Error::conflict("a team with this name already exists"),
    }
}

/// Stores a new team; 409 with `existing_id` when the name is taken.
pub fn insert(conn: &mut Db, row: &TeamRow) -> Result<(), Error> {
    if find_by_key(conn, &row.name_key)?.is_some() {
        return Err(duplicate(conn, &row.name_key));
    }
    match diesel::insert_into(teams::table).values(row).execute(conn) {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(Error::conflict("a team with this name already exists")),
        Err(e) => Err(e.into()),
    }
}

/// The team with this id, if any.
pub fn find(conn: &mut Db, id: &str) -> Result<Option<TeamRow>, Error> {
    Ok(teams::table
        .find(id)
        .select(TeamRow::as_select())
        .first(conn)
        .optional()?)
}

/// The team with this id, or 404.
pub fn get(conn: &mut Db, id: &str) -> Result<TeamRow, Error> {
    find(conn, id)?.ok_or_else(|| Error::NotFound(format!("no team with id {id}")))
}

/// The team with this folded name, if any.
pub fn find_by_key(conn: &mut Db, key: &str) -> Result<Option<TeamRow>, Error> {
    Ok(teams::table
        .filter(teams::name_key.eq(key))
        .select(TeamRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every team by id (a centre has a handful), for zones and names.
pub fn all(conn: &mut Db) -> Result<HashMap<String, TeamRow>, Error> {
    let rows: Vec<TeamRow> = teams::table.select(TeamRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|t| (t.id.clone(), t)).collect())
}

/// Writes `row` if the stored version is still `expected`.
pub fn update(conn: &mut Db, row: &TeamRow, expected: i32) -> Result<(), Error> {
    if let Some(other) = find_by_key(conn, &row.name_key)? {
        if other.id != row.id {
            return Err(duplicate(conn, &row.name_key));
        }
    }
    let n = diesel::update(teams::table.find(&row.id).filter(teams::version.eq(expected)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        return Err(Error::conflict(
            "the team was changed at the same time; fetch it again and retry",
        ));
    }
    Ok(())
}

/// One page of teams in creation order (`limit + 1` rows).
pub fn list(conn: &mut Db, after: Option<&Key>, limit: i64) -> Result<Vec<TeamRow>, Error> {
    let mut query = teams::table.select(TeamRow::as_select()).into_boxed();
    if let Some((created, id)) = after {
        query = query.filter(
            teams::created_at
                .gt(*created)
                .or(teams::created_at.eq(*created).and(teams::id.gt(id.clone()))),
        );
    }
    Ok(query
        .order((teams::created_at, teams::id))
        .limit(limit + 1)
        .load(conn)?)
}
