//! Team use cases: each write is one transaction, with "now" from the context's clock.

use super::model::{NewTeam, Team, TeamPatch, TeamQuery, TeamRow};
use super::queries::{self, Key};
use super::rules;
use crate::context::AppState;
use crate::error::Error;
use crate::pagination::{self, Page};
use crate::precondition::Precondition;

/// Creates a team; a name already taken (ignoring case and spacing) is a conflict.
pub async fn create(ctx: &AppState, input: NewTeam) -> Result<TeamRow, Error> {
    let row = rules::new_team(input, crate::ids::new_id(), ctx.clock.now())?;
    ctx.db
        .write(move |c| {
            queries::insert(c, &row)?;
            Ok(row)
        })
        .await
}

/// One page of teams, oldest first.
pub async fn list(ctx: &AppState, q: TeamQuery) -> Result<Page<Team>, Error> {
    let (after, limit) = pagination::window::<Key>(q.limit, q.cursor.as_deref())?;
    ctx.db
        .read(move |c| {
            let rows = queries::list(c, after.as_ref(), limit)?;
            Ok(pagination::page(
                rows,
                limit,
                |r| (r.created_at, r.id.clone()),
                Team::from,
            ))
        })
        .await
}

/// One team.
pub async fn get(ctx: &AppState, id: String) -> Result<TeamRow, Error> {
    ctx.db.read(move |c| queries::get(c, &id)).await
}

/// Changes some fields of a team if `expected` holds.
pub async fn update(ctx: &AppState, id: String, patch: TeamPatch, expected: Precondition) -> Result<TeamRow, Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            let current = queries::get(c, &id)?;
            let row = rules::apply_patch(&current, patch, now)?;
            // The body is judged first: invalid data is a 422 whatever the version.
            expected.check(current.version)?;
            queries::update(c, &row, current.version)?;
            Ok(row)
        })
        .await
}

/// The id of the team with this name (ignoring case and spacing), for the CLI's `--team`.
pub fn id_by_name(c: &mut crate::db::Db, name: &str) -> Result<String, Error> {
    queries::find_by_key(c, &crate::companies::model::name_key(name))?
        .map(|t| t.id)
        .ok_or_else(|| {
            Error::invalid(
                "team",
                format!("no team named {name:?}; create it with POST /api/v1/teams"),
            )
        })
}
