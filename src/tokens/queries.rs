//! Storage of API tokens.

use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;

use super::{hash, NewToken, Role, TokenInfo};
use crate::db::schema::api_tokens;
use crate::db::{is_unique_violation, Db};
use crate::error::Error;

#[derive(Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
struct TokenRow {
    id: String,
    name: String,
    role: String,
    created_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
    team_id: Option<String>,
}

impl TokenRow {
    fn info(self) -> TokenInfo {
        TokenInfo {
            id: self.id,
            name: self.name,
            role: Role::parse(&self.role).unwrap_or(Role::Viewer),
            created_at: Utc.from_utc_datetime(&self.created_at),
            revoked_at: self.revoked_at.map(|t| Utc.from_utc_datetime(&t)),
            team_id: self.team_id,
        }
    }
}

/// Stores a new token under a unique name and returns its secret once.
pub fn create(conn: &mut Db, name: &str, role: Role, now: NaiveDateTime) -> Result<NewToken, Error> {
    create_for_team(conn, name, role, None, now)
}

/// Stores a new token acting for `team_id` (if any); 422 when there is no such team.
pub fn create_for_team(
    conn: &mut Db,
    name: &str,
    role: Role,
    team_id: Option<&str>,
    now: NaiveDateTime,
) -> Result<NewToken, Error> {
    if let Some(team) = team_id {
        if crate::teams::queries::find(conn, team)?.is_none() {
            return Err(Error::invalid("team_id", format!("no team with id {team}")));
        }
    }
    let token = super::generate();
    let id = crate::ids::new_id();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(&id),
            api_tokens::name.eq(name),
            api_tokens::role.eq(role.as_str()),
            api_tokens::token_hash.eq(hash(&token)),
            api_tokens::created_at.eq(now),
            api_tokens::team_id.eq(team_id),
        ))
        .execute(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::conflict(format!("a token named {name:?} already exists"))
            } else {
                e.into()
            }
        })?;
    let info = TokenRow {
        id,
        name: name.to_string(),
        role: role.as_str().into(),
        created_at: now,
        revoked_at: None,
        team_id: team_id.map(String::from),
    }
    .info();
    Ok(NewToken { info, token })
}

/// The live token with this hash, if any.
pub fn find_active(conn: &mut Db, token_hash: &str) -> Result<Option<TokenInfo>, Error> {
    let row = api_tokens::table
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(TokenRow::info))
}

/// All tokens, oldest first.
pub fn list(conn: &mut Db) -> Result<Vec<TokenInfo>, Error> {
    let rows = api_tokens::table
        .order((api_tokens::created_at, api_tokens::id))
        .select(TokenRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(TokenRow::info).collect())
}

/// Revokes a token; revoking twice keeps the first time.
pub fn revoke(conn: &mut Db, id: &str, now: NaiveDateTime) -> Result<(), Error> {
    if !crate::validation::is_uuid(id) {
        return Err(Error::NotFound(format!("no token with id {id}")));
    }
    let found: i64 = api_tokens::table
        .filter(api_tokens::id.eq(id))
        .count()
        .get_result(conn)?;
    if found == 0 {
        return Err(Error::NotFound(format!("no token with id {id}")));
    }
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// True when no token was ever made (a fresh database).
pub fn none_exist(conn: &mut Db) -> Result<bool, Error> {
    let n: i64 = api_tokens::table.count().get_result(conn)?;
    Ok(n == 0)
}
