//! Storage of roadshows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::RoadshowRow;
use crate::db::schema::{events, roadshows};
use crate::db::Db;
use crate::error::Error;
use crate::validation::is_uuid;

/// The position after which a page starts: (created, id).
pub type Key = (NaiveDateTime, String);

/// Stores a new roadshow.
pub fn insert(conn: &mut Db, row: &RoadshowRow) -> Result<(), Error> {
    diesel::insert_into(roadshows::table).values(row).execute(conn)?;
    Ok(())
}

/// The roadshow with this id, if any.
pub fn find(conn: &mut Db, id: &str) -> Result<Option<RoadshowRow>, Error> {
    if !is_uuid(id) {
        return Ok(None);
    }
    Ok(roadshows::table
        .find(id)
        .select(RoadshowRow::as_select())
        .first(conn)
        .optional()?)
}

/// The roadshow with this id, or 404.
pub fn get(conn: &mut Db, id: &str) -> Result<RoadshowRow, Error> {
    find(conn, id)?.ok_or_else(|| Error::NotFound(format!("no roadshow with id {id}")))
}

/// 422 on `roadshow_id` unless the roadshow exists (for events joining one).
pub fn ensure_exists(conn: &mut Db, id: &str) -> Result<(), Error> {
    match find(conn, id)? {
        Some(_) => Ok(()),
        None => Err(Error::invalid("roadshow_id", format!("no roadshow with id {id}"))),
    }
}

/// One page of roadshows in creation order (`limit + 1` rows).
pub fn list(conn: &mut Db, after: Option<&Key>, limit: i64) -> Result<Vec<RoadshowRow>, Error> {
    let mut query = roadshows::table.select(RoadshowRow::as_select()).into_boxed();
    if let Some((created, id)) = after {
        query = query.filter(
            roadshows::created_at
                .gt(*created)
                .or(roadshows::created_at.eq(*created).and(roadshows::id.gt(id.clone()))),
        );
    }
    Ok(query
        .order((roadshows::created_at, roadshows::id))
        .limit(limit + 1)
        .load(conn)?)
}

/// Writes `row` if the stored version is still `expected`.
pub fn update(conn: &mut Db, row: &RoadshowRow, expected: i32) -> Result<(), Error> {
    let n = diesel::update(roadshows::table.find(&row.id).filter(roadshows::version.eq(expected)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        return Err(Error::conflict(
            "the roadshow was changed at the same time; fetch it again and retry",
        ));
    }
    Ok(())
}

/// Deletes a roadshow that has no events (409 otherwise).
pub fn delete(conn: &mut Db, id: &str) -> Result<(), Error> {
    get(conn, id)?;
    let n: i64 = events::table
        .filter(events::roadshow_id.eq(id))
        .count()
        .get_result(conn)?;
    if n > 0 {
        return Err(Error::conflict(format!(
            "the roadshow still has {n} event(s); move them to another roadshow or delete them first"
        )));
    }
    diesel::delete(roadshows::table.find(id)).execute(conn)?;
    Ok(())
}
