//! Intention types: stages, rows as stored, views as shown, request bodies, reports.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;

use crate::db::stored_enum::Known;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{intention_activities, intention_history, intentions};
use crate::db::stored_time::StoredTime;
use crate::nullable::{not_null, nullable, whole};
use crate::string_enum;

string_enum! {
    /// Where a follow-up stands in the pipeline (挖掘、评判、对接、洽谈、签约、落地), or dropped.
    pub enum Stage {
        Lead => "lead",
        Assessing => "assessing",
        Engaged => "engaged",
        Negotiating => "negotiating",
        Signed => "signed",
        Landed => "landed",
        Dropped => "dropped",
    }
}

string_enum! {
    /// How keen the company is.
    pub enum InterestLevel {
        High => "high",
        Medium => "medium",
        Low => "low",
    }
}

string_enum! {
    /// The order of an intention list.
    pub enum IntentionSort {
        UpdatedAt => "updated_at",
        NextFollowUpOn => "next_follow_up_on",
    }
}

string_enum! {
    /// The language of the CSV's column headers.
    pub enum CsvHeaders {
        En => "en",
        Zh => "zh",
    }
}

string_enum! {
    /// What kind of follow-up happened.
    pub enum ActivityKind {
        Call => "call",
        Meeting => "meeting",
        SiteVisit => "site_visit",
        Email => "email",
        Other => "other",
    }
}

/// An intention as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = intentions)]
pub struct IntentionRow {
    pub id: String,
    pub company_id: String,
    pub contact_id: Option<String>,
    pub event_id: Option<String>,
    pub project_name: String,
    pub summary: Option<String>,
    pub industry_chain: Option<String>,
    pub platform: Option<String>,
    #[diesel(deserialize_as = Known<Stage>)]
    pub stage: String,
    pub interest_level: Option<String>,
    pub investment_amount: Option<String>,
    pub amount_cents: Option<i64>,
    pub investment_currency: String,
    pub owner_team_id: String,
    pub next_follow_up_on: Option<NaiveDate>,
    pub signed_on: Option<NaiveDate>,
    pub landed_on: Option<NaiveDate>,
    pub dropped_reason: Option<String>,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

/// An intention as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Intention {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub company_id: String,
    #[schema(format = Uuid)]
    pub contact_id: Option<String>,
    /// The event where it arose.
    #[schema(format = Uuid)]
    pub event_id: Option<String>,
    pub project_name: String,
    pub summary: Option<String>,
    pub industry_chain: Option<String>,
    pub platform: Option<String>,
    pub stage: Stage,
    pub interest_level: Option<InterestLevel>,
    /// Exact decimal in the currency's major unit, e.g. `"250000000.50"`.
    #[schema(example = "1000000000")]
    pub investment_amount: Option<String>,
    /// ISO 4217, e.g. `CNY`.
    pub investment_currency: String,
    #[schema(format = Uuid)]
    pub owner_team_id: String,
    pub next_follow_up_on: Option<NaiveDate>,
    pub signed_on: Option<NaiveDate>,
    pub landed_on: Option<NaiveDate>,
    pub dropped_reason: Option<String>,
    /// The follow-up date is before today in the owner team's zone and the project has
    /// neither landed nor been dropped.
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Intention {
    /// The view of a row, with `overdue` as decided by the caller.
    pub fn from_row(r: IntentionRow, overdue: bool) -> Self {
        Intention {
            id: r.id,
            company_id: r.company_id,
            contact_id: r.contact_id,
            event_id: r.event_id,
            project_name: r.project_name,
            summary: r.summary,
            industry_chain: r.industry_chain,
            platform: r.platform,
            stage: Stage::from_checked(&r.stage),
            interest_level: r.interest_level.as_deref().map(InterestLevel::from_checked),
            investment_amount: r.investment_amount,
            investment_currency: r.investment_currency,
            owner_team_id: r.owner_team_id,
            next_follow_up_on: r.next_follow_up_on,
            signed_on: r.signed_on,
            landed_on: r.landed_on,
            dropped_reason: r.dropped_reason,
            overdue,
            created_at: Utc.from_utc_datetime(&r.created_at),
            updated_at: Utc.from_utc_datetime(&r.updated_at),
            version: r.version,
        }
    }
}

/// The body of `POST /api/v1/intentions`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIntention {
    /// Required.
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
    #[schema(format = Uuid)]
    pub contact_id: Option<String>,
    #[schema(format = Uuid)]
    pub event_id: Option<String>,
    /// Required, at most 200 characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub project_name: Option<String>,
    pub summary: Option<String>,
    pub industry_chain: Option<String>,
    pub platform: Option<String>,
    /// Default `lead`.
    pub stage: Option<Stage>,
    pub interest_level: Option<InterestLevel>,
    /// A decimal string ≥ 0 with at most 2 decimals (never a JSON number).
    #[schema(example = "250000000.50", pattern = "^ *(0*[0-9]{1,13}(\\.[0-9]{1,2})?)? *$")]
    pub investment_amount: Option<String>,
    /// ISO 4217, default `CNY`.
    #[schema(pattern = "^ *[A-Za-z]{3} *$")]
    pub investment_currency: Option<String>,
    /// Required unless the token acts for a team.
    #[schema(format = Uuid)]
    pub owner_team_id: Option<String>,
    pub next_follow_up_on: Option<NaiveDate>,
    pub signed_on: Option<NaiveDate>,
    pub landed_on: Option<NaiveDate>,
    /// Required when `stage` is `dropped`.
    pub dropped_reason: Option<String>,
}

/// The body of `PATCH /api/v1/intentions/{id}`: only the fields given change; `null` clears.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentionPatch {
    /// Cannot be cleared: `null` is a 422.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, format = Uuid)]
    pub company_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub contact_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub event_id: Option<Option<String>>,
    /// Cannot be cleared: `null` or a blank name is a 422.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub project_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub summary: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub industry_chain: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub platform: Option<Option<String>>,
    /// Forward moves may skip stages; moving back, and leaving `dropped`, need a `note`;
    /// `dropped` needs a `dropped_reason`.
    pub stage: Option<Stage>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<InterestLevel>)]
    pub interest_level: Option<Option<InterestLevel>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "1000000000", pattern = "^ *(0*[0-9]{1,13}(\\.[0-9]{1,2})?)? *$")]
    pub investment_amount: Option<Option<String>>,
    /// Cannot be cleared: `null` is a 422.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, pattern = "^ *[A-Za-z]{3} *$")]
    pub investment_currency: Option<String>,
    /// Cannot be cleared: `null` is a 422.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, format = Uuid)]
    pub owner_team_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub next_follow_up_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub signed_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub landed_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub dropped_reason: Option<Option<String>>,
    /// Why: kept on every history entry this change makes.
    pub note: Option<String>,
    /// If given, must be the current version (409 otherwise).
    #[serde(default, deserialize_with = "whole")]
    pub version: Option<i32>,
}

/// Filters for `GET /api/v1/intentions` (and its CSV). `stage` may repeat, so the
/// query string is read by [`super::rules::parse_query`], not by serde.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IntentionQuery {
    /// Any of these stages; repeat the parameter for several.
    #[param(explode = true)]
    pub stage: Option<Vec<Stage>>,
    #[param(format = Uuid)]
    pub owner_team_id: Option<String>,
    #[param(format = Uuid)]
    pub company_id: Option<String>,
    #[param(format = Uuid)]
    pub contact_id: Option<String>,
    #[param(format = Uuid)]
    pub event_id: Option<String>,
    /// Raised at any event of this roadshow.
    #[param(format = Uuid)]
    pub roadshow_id: Option<String>,
    pub industry_chain: Option<String>,
    /// At least this amount (a decimal string) in `currency`.
    #[param(pattern = "^[0-9]{1,13}(\\.[0-9]{1,2})?$")]
    pub min_amount: Option<String>,
    /// ISO 4217 in capitals; with `min_amount` defaults to `CNY`.
    #[param(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// Follow-up date before today in the owner team's zone, not landed or dropped.
    pub overdue: Option<bool>,
    /// Follow-up date before this date.
    pub due_before: Option<NaiveDate>,
    /// Text in the project name or the company's name.
    pub q: Option<String>,
    /// `updated_at` (default, newest first) or `next_follow_up_on` (soonest first, none last).
    #[param(value_type = Option<IntentionSort>, inline)]
    pub sort: Option<String>,
    /// The CSV's only ([`CsvQuery`] documents it); a 400 on the JSON lists.
    #[param(ignore)]
    pub headers: Option<String>,
    /// The JSON lists' only ([`PageQuery`] documents them); a 400 on the CSV.
    #[param(ignore)]
    pub limit: Option<i64>,
    #[param(ignore)]
    pub cursor: Option<String>,
}

/// The CSV's own parameter.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CsvQuery {
    /// `en` (default) or `zh` for Chinese column headers.
    #[param(value_type = Option<CsvHeaders>, inline)]
    pub headers: Option<String>,
}

/// A history entry as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = intention_history)]
pub struct HistoryRow {
    pub id: i64,
    pub intention_id: String,
    #[diesel(deserialize_as = StoredTime)]
    pub at: NaiveDateTime,
    pub by_name: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub note: Option<String>,
}

/// A history entry to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = intention_history)]
pub struct NewHistoryRow {
    pub intention_id: String,
    pub at: NaiveDateTime,
    pub by_name: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub note: Option<String>,
}

/// One change of one tracked field.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// The name of the token that made the change.
    pub by: String,
    /// `stage`, `owner_team_id`, `investment_amount`, `investment_currency` or `next_follow_up_on`.
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub note: Option<String>,
}

impl From<HistoryRow> for HistoryEntry {
    fn from(r: HistoryRow) -> Self {
        HistoryEntry {
            at: Utc.from_utc_datetime(&r.at),
            by: r.by_name,
            field: r.field,
            old: r.old_value,
            new: r.new_value,
            note: r.note,
        }
    }
}

/// An activity as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = intention_activities)]
pub struct ActivityRow {
    pub id: String,
    pub intention_id: String,
    #[diesel(deserialize_as = Known<ActivityKind>)]
    pub kind: String,
    #[diesel(deserialize_as = StoredTime)]
    pub happened_at: NaiveDateTime,
    pub summary: String,
    pub contact_id: Option<String>,
    pub next_follow_up_on: Option<NaiveDate>,
    pub created_by: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
}

/// A follow-up activity as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Activity {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub intention_id: String,
    pub kind: ActivityKind,
    pub happened_at: DateTime<Utc>,
    pub summary: String,
    #[schema(format = Uuid)]
    pub contact_id: Option<String>,
    /// The follow-up date this activity set on the intention, if any.
    pub next_follow_up_on: Option<NaiveDate>,
    /// The name of the token that recorded it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<ActivityRow> for Activity {
    fn from(r: ActivityRow) -> Self {
        Activity {
            id: r.id,
            intention_id: r.intention_id,
            kind: ActivityKind::from_checked(&r.kind),
            happened_at: Utc.from_utc_datetime(&r.happened_at),
            summary: r.summary,
            contact_id: r.contact_id,
            next_follow_up_on: r.next_follow_up_on,
            created_by: r.created_by,
            created_at: Utc.from_utc_datetime(&r.created_at),
        }
    }
}

/// The body of `POST /api/v1/intentions/{id}/activities`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    /// Required.
    #[schema(required = true, value_type = ActivityKind)]
    pub kind: Option<ActivityKind>,
    /// Required, RFC 3339 with an offset.
    #[schema(required = true, value_type = DateTime<chrono::FixedOffset>)]
    pub happened_at: Option<DateTime<chrono::FixedOffset>>,
    /// Required.
    #[schema(required = true, value_type = String, min_length = 1, pattern = "\\S")]
    pub summary: Option<String>,
    #[schema(format = Uuid)]
    pub contact_id: Option<String>,
    /// Also moves the intention's follow-up date (and so appears in its history).
    pub next_follow_up_on: Option<NaiveDate>,
}

/// Paging for history and activities.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// An amount in one currency, as an exact decimal string.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Amount {
    pub currency: String,
    #[schema(example = "1000000000.37")]
    pub amount: String,
}

/// Intentions in one stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageCount {
    pub stage: Stage,
    pub count: i64,
    /// Summed per currency (intentions without an amount count but add nothing).
    pub amounts: Vec<Amount>,
}

/// Major projects (≥ 1,000,000,000 CNY) at one stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct MajorCount {
    pub count: i64,
    /// Their amount summed, in CNY.
    pub amount: String,
}

/// Major projects (10亿元以上项目): at least 1,000,000,000 CNY.
#[derive(Debug, Serialize, ToSchema)]
pub struct MajorProjects {
    /// The threshold, in CNY.
    pub threshold: String,
    /// Those now at `signed`.
    pub signed: MajorCount,
    /// Those now at `landed`.
    pub landed: MajorCount,
}

/// Overdue follow-ups of one team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOverdue {
    #[schema(format = Uuid)]
    pub team_id: String,
    pub team_name: String,
    pub overdue: i64,
}

/// Target companies and how far the centre got with them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Targets {
    /// Companies with `is_target`.
    pub companies: i64,
    /// Of those, how many have an assessment score.
    pub assessed: i64,
    /// Of those, how many have at least one intention matching the filters.
    pub with_intention: i64,
}

/// `GET /api/v1/stats/pipeline`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineStats {
    /// Every stage in pipeline order, then `dropped`.
    pub stages: Vec<StageCount>,
    pub major_projects: MajorProjects,
    /// Every team (or the one filtered on), with its overdue follow-ups.
    pub overdue_by_team: Vec<TeamOverdue>,
    pub targets: Targets,
}

/// Filters for `GET /api/v1/stats/pipeline`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Intentions created on or after this day (Asia/Shanghai).
    pub from: Option<NaiveDate>,
    /// Intentions created on or before this day (Asia/Shanghai).
    pub to: Option<NaiveDate>,
    #[param(format = Uuid)]
    pub owner_team_id: Option<String>,
    pub industry_chain: Option<String>,
    #[param(format = Uuid)]
    pub roadshow_id: Option<String>,
    #[param(format = Uuid)]
    pub event_id: Option<String>,
}

/// How many intentions reached a stage (at any time, even if later moved back or dropped).
#[derive(Debug, Serialize, ToSchema)]
pub struct Reached {
    pub stage: Stage,
    pub count: i64,
}

/// The intentions raised at an event or roadshow.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntentionFunnel {
    pub total: i64,
    /// Where they stand now, with amounts per currency.
    pub stages: Vec<StageCount>,
    /// How many ever reached each pipeline stage: the funnel.
    pub reached: Vec<Reached>,
}

/// `GET /api/v1/events/{id}/outcomes` and `GET /api/v1/roadshows/{id}/outcomes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Outcomes {
    /// Seats taken (registered, including those checked in).
    pub registered: i64,
    pub checked_in: i64,
    /// Distinct companies of the registered attendees.
    pub companies_represented: i64,
    pub intentions: IntentionFunnel,
}

crate::page_schema!(IntentionPage, Intention);
crate::page_schema!(HistoryEntryPage, HistoryEntry);
crate::page_schema!(ActivityPage, Activity);
