//! Storage of digests: which teams get one, which days are planned, what they list.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::model::Item;
use crate::db::schema::{companies, intentions, team_digests, teams};
use crate::db::Db;
use crate::error::Error;
use crate::intentions::model::Stage;

/// Teams with an email address: (id, zone).
pub fn recipients(c: &mut Db) -> Result<Vec<(String, String)>, Error> {
    Ok(teams::table
        .filter(teams::email.is_not_null())
        .select((teams::id, teams::timezone))
        .load(c)?)
}

/// Which of `days` already have a digest planned, as (team, day).
pub fn planned(c: &mut Db, days: &[NaiveDate]) -> Result<HashSet<(String, NaiveDate)>, Error> {
    let rows: Vec<(String, NaiveDate)> = team_digests::table
        .filter(team_digests::local_date.eq_any(days.to_vec()))
        .select((team_digests::team_id, team_digests::local_date))
        .load(c)?;
    Ok(rows.into_iter().collect())
}

/// Claims the team's day: true when this call recorded it, false when it was already
/// there (another worker or replica planned it). Insert-or-ignore on the primary key,
/// so a lost race is not an error and leaves the transaction usable on PostgreSQL.
pub fn claim_day(c: &mut Db, team_id: &str, day: NaiveDate, items: i64, now: NaiveDateTime) -> Result<bool, Error> {
    let items = i32::try_from(items).unwrap_or(i32::MAX);
    let row = (
        team_digests::team_id.eq(team_id),
        team_digests::local_date.eq(day),
        team_digests::items.eq(items),
        team_digests::created_at.eq(now),
    );
    let n = crate::insert_or_skip!(c, team_digests::table, row)?;
    Ok(n == 1)
}

/// Links a claimed day to its email.
pub fn attach_email(c: &mut Db, team_id: &str, day: NaiveDate, email_id: &str) -> Result<(), Error> {
    diesel::update(team_digests::table.find((team_id, day)))
        .set(team_digests::email_id.eq(email_id))
        .execute(c)?;
    Ok(())
}

/// The team and day a digest email is for.
pub fn of_email(c: &mut Db, email_id: &str) -> Result<(String, NaiveDate), Error> {
    team_digests::table
        .filter(team_digests::email_id.eq(email_id))
        .select((team_digests::team_id, team_digests::local_date))
        .first::<(String, NaiveDate)>(c)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no digest for email {email_id}")))
}

/// Open intentions of the team due on or before `day` (not landed or dropped): how
/// many are overdue (before `day`) and how many due on it.
pub fn counts(c: &mut Db, team_id: &str, day: NaiveDate) -> Result<(i64, i64), Error> {
    let open = || {
        intentions::table
            .filter(intentions::owner_team_id.eq(team_id))
            .filter(intentions::stage.ne_all(CLOSED))
            .select(count_star())
    };
    let overdue: i64 = open().filter(intentions::next_follow_up_on.lt(day)).first(c)?;
    let due_today: i64 = open().filter(intentions::next_follow_up_on.eq(day)).first(c)?;
    Ok((overdue, due_today))
}

/// The first `limit` of them, soonest follow-up first, with their company's name.
pub fn items(c: &mut Db, team_id: &str, day: NaiveDate, limit: i64) -> Result<Vec<Item>, Error> {
    type Row = (String, String, String, String, Option<NaiveDate>);
    let rows: Vec<Row> = intentions::table
        .inner_join(companies::table)
        .filter(intentions::owner_team_id.eq(team_id))
        .filter(intentions::next_follow_up_on.le(day))
        .filter(intentions::stage.ne_all(CLOSED))
        .select((
            intentions::id,
            intentions::project_name,
            companies::name,
            intentions::stage,
            intentions::next_follow_up_on,
        ))
        .order((intentions::next_follow_up_on, intentions::project_name, intentions::id))
        .limit(limit)
        .load(c)?;
    rows.into_iter()
        .filter_map(|(id, project, company, stage, date)| {
            let stage = match Stage::from_stored(&stage) {
                Ok(stage) => stage,
                Err(e) => return Some(Err(e)),
            };
            Some(Ok(Item {
                intention_id: id,
                project_name: project,
                company_name: company,
                stage,
                next_follow_up_on: date?,
            }))
        })
        .collect()
}

/// Stages that need no more follow-up.
const CLOSED: [&str; 2] = ["landed", "dropped"];
