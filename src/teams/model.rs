//! Team types: as stored, as shown, and the request bodies.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::teams;
use crate::db::stored_time::StoredTime;
use crate::nullable::{not_null, nullable, whole};

/// A team as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = teams, treat_none_as_null = true)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub name_key: String,
    pub email: Option<String>,
    pub timezone: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

impl TeamRow {
    /// The team's IANA zone; its "today" decides what is overdue.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }
}

/// A team as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Team {
    #[schema(format = Uuid)]
    pub id: String,
    /// Unique ignoring case and spacing, e.g. 招商四处.
    pub name: String,
    /// Where the team's follow-up digest goes.
    pub email: Option<String>,
    /// IANA time zone; "today" for the team's follow-ups is read in it.
    pub timezone: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<TeamRow> for Team {
    fn from(r: TeamRow) -> Self {
        Team {
            id: r.id,
            name: r.name,
            email: r.email,
            timezone: r.timezone,
            created_at: Utc.from_utc_datetime(&r.created_at),
            updated_at: Utc.from_utc_datetime(&r.updated_at),
            version: r.version,
        }
    }
}

/// The body of `POST /api/v1/teams`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    /// Required; unique after trimming and case-folding.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: Option<String>,
    /// An email address; a blank one is a 422 (leave it out instead).
    #[schema(format = Email)]
    pub email: Option<String>,
    /// IANA zone, default `Asia/Shanghai`.
    #[schema(value_type = Option<crate::schema::TimeZone>)]
    pub timezone: Option<String>,
}

/// The body of `PATCH /api/v1/teams/{id}`: only the fields given change; `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    /// Cannot be cleared: `null` or a blank name is a 422.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    /// An email address, or `null` to clear it; a blank one is a 422.
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Option<Option<String>>,
    /// Cannot be cleared: `null` is a 422.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = crate::schema::TimeZone)]
    pub timezone: Option<String>,
    /// If given, must be the current version (409 otherwise).
    #[serde(default, deserialize_with = "whole")]
    pub version: Option<i32>,
}

/// Paging for `GET /api/v1/teams`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

crate::page_schema!(TeamPage, Team);
