//! Storage of intentions, their history and activities, and the pipeline's figures.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use serde::{Deserialize, Serialize};

use super::model::{ActivityRow, HistoryRow, IntentionRow, NewHistoryRow, Stage};
use super::rules::{self, Change};
use crate::db::schema::{
    companies, contacts, events, intention_activities, intention_history, intentions, pipeline_summary, registrations,
    teams,
};
use crate::db::search::{contains_pattern, lower};
use crate::db::{Db, MultiBackend};
use crate::error::Error;
use crate::teams::model::TeamRow;

/// A condition on intentions, composable into any query over the table.
type Pred = Box<dyn BoxableExpression<intentions::table, MultiBackend, SqlType = Nullable<Bool>>>;

/// Validated filters shared by the list, the CSV and the statistics.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub stages: Vec<Stage>,
    pub owner_team_id: Option<String>,
    pub company_id: Option<String>,
    pub contact_id: Option<String>,
    pub event_id: Option<String>,
    pub roadshow_id: Option<String>,
    pub industry_chain: Option<String>,
    /// Only this currency.
    pub currency: Option<String>,
    /// At least this many minor units (of `currency`).
    pub min_cents: Option<i64>,
    /// Only overdue (true) or only not overdue (false).
    pub overdue: Option<bool>,
    pub due_before: Option<NaiveDate>,
    /// Folded search text.
    pub q: Option<String>,
    /// Created at or after (UTC).
    pub created_from: Option<NaiveDateTime>,
    /// Created before (UTC).
    pub created_before: Option<NaiveDateTime>,
}

/// Today in each team's zone, grouped: the dates and the teams for which each is today.
pub type Todays = Vec<(NaiveDate, Vec<String>)>;

/// The position after which a page starts, for either sort order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Key {
    /// `updated_at` of the last row (default order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u: Option<NaiveDateTime>,
    /// `next_follow_up_on` of the last row (follow-up order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<NaiveDate>,
    pub id: String,
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sort {
    /// Newest change first.
    Updated,
    /// Soonest follow-up first, those without a date last.
    FollowUp,
}

/// Always true, without touching a column (so index-only scans stay possible).
fn all() -> Pred {
    Box::new(sql::<Bool>("1 = 1").nullable())
}

fn and(p: Pred, q: Pred) -> Pred {
    Box::new(p.and(q))
}

/// The overdue condition: a follow-up date before today in the owner team's zone, and
/// neither landed nor dropped.
fn overdue(todays: &[(NaiveDate, Vec<String>)]) -> Pred {
    let mut any: Option<Pred> = None;
    for (today, teams) in todays {
        let due: Pred = Box::new(
            intentions::owner_team_id
                .eq_any(teams.clone())
                .and(intentions::next_follow_up_on.lt(*today))
                .nullable(),
        );
        any = Some(match any {
            Some(before) => Box::new(before.or(due)),
            None => due,
        });
    }
    // No teams: nothing can be overdue.
    let any = any.unwrap_or_else(|| Box::new(sql::<Bool>("1 = 0").nullable()));
    let open = intentions::stage
        .ne_all(vec![Stage::Landed.as_str(), Stage::Dropped.as_str()])
        .and(intentions::next_follow_up_on.is_not_null());
    Box::new(open.nullable().and(any))
}

/// The filter as one condition.
fn predicate(f: &Filter, todays: &Todays) -> Pred {
    let mut p = all();
    if !f.stages.is_empty() {
        let stages: Vec<&'static str> = f.stages.iter().map(|s| s.as_str()).collect();
        p = and(p, Box::new(intentions::stage.eq_any(stages).nullable()));
    }
    if let Some(v) = &f.owner_team_id {
        p = and(p, Box::new(intentions::owner_team_id.eq(v.clone()).nullable()));
    }
    if let Some(v) = &f.company_id {
        p = and(p, Box::new(intentions::company_id.eq(v.clone()).nullable()));
    }
    if let Some(v) = &f.contact_id {
        p = and(p, Box::new(intentions::contact_id.eq(v.clone())));
    }
    if let Some(v) = &f.event_id {
        p = and(p, Box::new(intentions::event_id.eq(v.clone())));
    }
    if let Some(v) = &f.roadshow_id {
        let events = events::table
            .filter(events::roadshow_id.eq(v.clone()))
            .select(events::id.nullable());
        p = and(p, Box::new(intentions::event_id.eq_any(events).nullable()));
    }
    if let Some(v) = &f.industry_chain {
        p = and(p, Box::new(intentions::industry_chain.eq(v.clone())));
    }
    if let Some(v) = &f.currency {
        p = and(p, Box::new(intentions::investment_currency.eq(v.clone()).nullable()));
    }
    if let Some(v) = f.min_cents {
        p = and(p, Box::new(intentions::amount_cents.ge(v)));
    }
    if let Some(v) = f.due_before {
        p = and(p, Box::new(intentions::next_follow_up_on.lt(v)));
    }
    if let Some(v) = f.created_from {
        p = and(p, Box::new(intentions::created_at.ge(v).nullable()));
    }
    if let Some(v) = f.created_before {
        p = and(p, Box::new(intentions::created_at.lt(v).nullable()));
    }
    if let Some(q) = &f.q {
        let pattern = contains_pattern(q);
        let named = companies::table
            .filter(
                companies::name_key
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(companies::name_en.assume_not_null())
                        .like(pattern.clone())
                        .escape('\\')),
            )
            .select(companies::id);
        p = and(
            p,
            Box::new(
                lower(intentions::project_name)
                    .like(pattern)
                    .escape('\\')
                    .or(intentions::company_id.eq_any(named))
                    .nullable(),
            ),
        );
    }
    match f.overdue {
        Some(true) => and(p, Box::new(overdue(todays))),
        Some(false) => and(
            p,
            Box::new(diesel::dsl::not(overdue(todays).assume_not_null()).nullable()),
        ),
        None => p,
    }
}

/// Stores a new intention.
pub fn insert(conn: &mut Db, row: &IntentionRow) -> Result<(), Error> {
    diesel::insert_into(intentions::table).values(row).execute(conn)?;
    Ok(())
}

/// The intention with this id, if any.
pub fn find(conn: &mut Db, id: &str) -> Result<Option<IntentionRow>, Error> {
    Ok(intentions::table
        .find(id)
        .select(IntentionRow::as_select())
        .first(conn)
        .optional()?)
}

/// The intention with this id, or 404.
pub fn get(conn: &mut Db, id: &str) -> Result<IntentionRow, Error> {
    find(conn, id)?.ok_or_else(|| Error::NotFound(format!("no intention with id {id}")))
}

/// The intention with this id and its owner team (one query), or 404.
pub fn get_with_owner(conn: &mut Db, id: &str) -> Result<(IntentionRow, TeamRow), Error> {
    intentions::table
        .inner_join(teams::table)
        .filter(intentions::id.eq(id))
        .select((IntentionRow::as_select(), TeamRow::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no intention with id {id}")))
}

/// The columns that differ between two versions of a row: SQLite then rewrites only the
/// index entries of those columns (a full-row SET rewrote all seven).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = intentions)]
struct Changes {
    company_id: Option<String>,
    contact_id: Option<Option<String>>,
    event_id: Option<Option<String>>,
    project_name: Option<String>,
    summary: Option<Option<String>>,
    industry_chain: Option<Option<String>>,
    platform: Option<Option<String>>,
    stage: Option<String>,
    interest_level: Option<Option<String>>,
    investment_amount: Option<Option<String>>,
    amount_cents: Option<Option<i64>>,
    investment_currency: Option<String>,
    owner_team_id: Option<String>,
    next_follow_up_on: Option<Option<NaiveDate>>,
    signed_on: Option<Option<NaiveDate>>,
    landed_on: Option<Option<NaiveDate>>,
    dropped_reason: Option<Option<String>>,
    updated_at: Option<NaiveDateTime>,
    version: Option<i32>,
}

fn diff<T: PartialEq + Clone>(old: &T, new: &T) -> Option<T> {
    (old != new).then(|| new.clone())
}

impl Changes {
    fn between(a: &IntentionRow, b: &IntentionRow) -> Self {
        Changes {
            company_id: diff(&a.company_id, &b.company_id),
            contact_id: diff(&a.contact_id, &b.contact_id),
            event_id: diff(&a.event_id, &b.event_id),
            project_name: diff(&a.project_name, &b.project_name),
            summary: diff(&a.summary, &b.summary),
            industry_chain: diff(&a.industry_chain, &b.industry_chain),
            platform: diff(&a.platform, &b.platform),
            stage: diff(&a.stage, &b.stage),
            interest_level: diff(&a.interest_level, &b.interest_level),
            investment_amount: diff(&a.investment_amount, &b.investment_amount),
            amount_cents: diff(&a.amount_cents, &b.amount_cents),
            investment_currency: diff(&a.investment_currency, &b.investment_currency),
            owner_team_id: diff(&a.owner_team_id, &b.owner_team_id),
            next_follow_up_on: diff(&a.next_follow_up_on, &b.next_follow_up_on),
            signed_on: diff(&a.signed_on, &b.signed_on),
            landed_on: diff(&a.landed_on, &b.landed_on),
            dropped_reason: diff(&a.dropped_reason, &b.dropped_reason),
            // Always set: a write always moves these.
            updated_at: Some(b.updated_at),
            version: Some(b.version),
        }
    }
}

/// Writes the columns of `row` that differ from `current`, if the stored version is
/// still `current`'s.
pub fn update(conn: &mut Db, current: &IntentionRow, row: &IntentionRow) -> Result<(), Error> {
    if !update_if_current(conn, current, row)? {
        return Err(Error::conflict(
            "the intention was changed at the same time; fetch it again and retry",
        ));
    }
    Ok(())
}

/// Like [`update`], but false (nothing written) when the stored version is no longer `current`'s.
pub fn update_if_current(conn: &mut Db, current: &IntentionRow, row: &IntentionRow) -> Result<bool, Error> {
    let n = diesel::update(
        intentions::table
            .find(&row.id)
            .filter(intentions::version.eq(current.version)),
    )
    .set(Changes::between(current, row))
    .execute(conn)?;
    Ok(n > 0)
}

/// Appends one history entry per change.
pub fn record(
    conn: &mut Db,
    intention_id: &str,
    changes: Vec<Change>,
    by: &str,
    note: Option<&str>,
    at: NaiveDateTime,
) -> Result<(), Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewHistoryRow> = changes
        .into_iter()
        .map(|c| NewHistoryRow {
            intention_id: intention_id.to_string(),
            at,
            by_name: by.to_string(),
            field: c.field.to_string(),
            old_value: c.old,
            new_value: c.new,
            note: note.map(String::from),
        })
        .collect();
    // One statement per row: the multi-backend connection has no batch insert.
    for r in &rows {
        diesel::insert_into(intention_history::table).values(r).execute(conn)?;
    }
    Ok(())
}

/// One page of an intention's history, oldest first (`limit + 1` rows).
pub fn history(conn: &mut Db, intention_id: &str, after: Option<i64>, limit: i64) -> Result<Vec<HistoryRow>, Error> {
    let mut q = intention_history::table
        .filter(intention_history::intention_id.eq(intention_id))
        .select(HistoryRow::as_select())
        .into_boxed();
    if let Some(id) = after {
        q = q.filter(intention_history::id.gt(id));
    }
    Ok(q.order(intention_history::id).limit(limit + 1).load(conn)?)
}

/// Stores an activity.
pub fn insert_activity(conn: &mut Db, row: &ActivityRow) -> Result<(), Error> {
    diesel::insert_into(intention_activities::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The position of an activity page: (happened, id).
pub type ActivityKey = (NaiveDateTime, String);

/// One page of an intention's activities, most recent first (`limit + 1` rows).
pub fn activities(
    conn: &mut Db,
    intention_id: &str,
    after: Option<&ActivityKey>,
    limit: i64,
) -> Result<Vec<ActivityRow>, Error> {
    let mut q = intention_activities::table
        .filter(intention_activities::intention_id.eq(intention_id))
        .select(ActivityRow::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            intention_activities::happened_at
                .lt(*at)
                .or(intention_activities::happened_at
                    .eq(*at)
                    .and(intention_activities::id.lt(id.clone()))),
        );
    }
    Ok(q.order((
        intention_activities::happened_at.desc(),
        intention_activities::id.desc(),
    ))
    .limit(limit + 1)
    .load(conn)?)
}

/// One page of intentions (`limit + 1` rows; `limit` none: all of them).
pub fn list(
    conn: &mut Db,
    filter: &Filter,
    todays: &Todays,
    sort: Sort,
    after: Option<&Key>,
    limit: Option<i64>,
) -> Result<Vec<IntentionRow>, Error> {
    let mut q = intentions::table
        .select(IntentionRow::as_select())
        .filter(predicate(filter, todays))
        .into_boxed();
    match sort {
        Sort::Updated => {
            if let Some(Key { u: Some(u), id, .. }) = after {
                q = q.filter(
                    intentions::updated_at
                        .lt(*u)
                        .or(intentions::updated_at.eq(*u).and(intentions::id.lt(id.clone()))),
                );
            }
            q = q.order((intentions::updated_at.desc(), intentions::id.desc()));
        }
        Sort::FollowUp => {
            match after {
                Some(Key { d: Some(d), id, .. }) => {
                    q = q.filter(
                        intentions::next_follow_up_on
                            .gt(*d)
                            .or(intentions::next_follow_up_on
                                .eq(*d)
                                .and(intentions::id.gt(id.clone()))
                                .nullable())
                            .or(intentions::next_follow_up_on.is_null().nullable()),
                    )
                }
                Some(Key { d: None, id, .. }) => {
                    q = q.filter(
                        intentions::next_follow_up_on
                            .is_null()
                            .and(intentions::id.gt(id.clone())),
                    )
                }
                None => {}
            }
            q = q.order((
                intentions::next_follow_up_on.is_null(),
                intentions::next_follow_up_on.asc(),
                intentions::id.asc(),
            ));
        }
    }
    if let Some(limit) = limit {
        q = q.limit(limit + 1);
    }
    Ok(q.load(conn)?)
}

/// Per stage and currency: (stage, currency, count, sum of minor units as exact text).
pub type StageSum = (String, String, i64, Option<String>);

/// Count and amount in minor units (as exact text) per stage and currency.
pub fn by_stage(conn: &mut Db, filter: &Filter, todays: &Todays) -> Result<Vec<StageSum>, Error> {
    Ok(intentions::table
        .filter(predicate(filter, todays))
        .group_by((intentions::stage, intentions::investment_currency))
        .select((
            intentions::stage,
            intentions::investment_currency,
            count_star(),
            // Summed by the database as integers and read back as text: exact on both
            // backends (PostgreSQL's SUM of BIGINT is NUMERIC, which diesel reads only as a decimal type).
            sql::<Nullable<Text>>("CAST(SUM(amount_cents) AS TEXT)"),
        ))
        .load(conn)?)
}

/// Can the summary table answer the statistics for this filter: none, or only the owner team.
pub fn summarised(f: &Filter) -> bool {
    // Every field named: a filter added later cannot take the summary path unnoticed.
    let Filter {
        stages,
        owner_team_id: _,
        company_id,
        contact_id,
        event_id,
        roadshow_id,
        industry_chain,
        currency,
        min_cents,
        overdue,
        due_before,
        q,
        created_from,
        created_before,
    } = f;
    stages.is_empty()
        && company_id.is_none()
        && contact_id.is_none()
        && event_id.is_none()
        && roadshow_id.is_none()
        && industry_chain.is_none()
        && currency.is_none()
        && min_cents.is_none()
        && overdue.is_none()
        && due_before.is_none()
        && q.is_none()
        && created_from.is_none()
        && created_before.is_none()
}

/// One row of the summary: stage, currency, major, count, with an amount, amount as i128.
struct Bucket {
    stage: String,
    currency: String,
    major: bool,
    n: i64,
    amounted: i64,
    cents: i128,
}

/// Minor units per 1 in `cents_high` (see migration 0011).
const HIGH_UNIT: i128 = 1_000_000_000;

/// The summary's non-empty buckets (of one owner team, if given).
fn buckets(conn: &mut Db, team: Option<&str>) -> Result<Vec<Bucket>, Error> {
    let mut q = pipeline_summary::table
        .filter(pipeline_summary::n.gt(0))
        .select((
            pipeline_summary::stage,
            pipeline_summary::investment_currency,
            pipeline_summary::major,
            pipeline_summary::n,
            pipeline_summary::amounted,
            pipeline_summary::cents_high,
            pipeline_summary::cents_low,
        ))
        .into_boxed();
    if let Some(team) = team {
        q = q.filter(pipeline_summary::owner_team_id.eq(team.to_string()));
    }
    let rows: Vec<(String, String, bool, i64, i64, i64, i64)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(stage, currency, major, n, amounted, high, low)| Bucket {
            stage,
            currency,
            major,
            n,
            amounted,
            cents: i128::from(high) * HIGH_UNIT + i128::from(low),
        })
        .collect())
}

/// [`by_stage`] and [`majors`] from the summary table, for a [`summarised`] filter: the same
/// answers without reading the intentions.
pub fn summary(conn: &mut Db, f: &Filter) -> Result<(Vec<StageSum>, Vec<MajorSum>), Error> {
    let rows = buckets(conn, f.owner_team_id.as_deref())?;
    let mut stages: BTreeMap<(String, String), (i64, i64, i128)> = BTreeMap::new();
    let mut majors: BTreeMap<String, (i64, i128)> = BTreeMap::new();
    for b in rows {
        let major = b.major
            && b.currency == rules::DEFAULT_CURRENCY
            && (b.stage == Stage::Signed.as_str() || b.stage == Stage::Landed.as_str());
        if major {
            let m = majors.entry(b.stage.clone()).or_default();
            m.0 += b.n;
            m.1 += b.cents;
        }
        let s = stages.entry((b.stage, b.currency)).or_default();
        s.0 += b.n;
        s.1 += b.amounted;
        s.2 += b.cents;
    }
    let stages = stages
        .into_iter()
        // SUM over no amounts is NULL, as in the query.
        .map(|((stage, currency), (n, amounted, cents))| {
            (stage, currency, n, (amounted > 0).then(|| cents.to_string()))
        })
        .collect();
    let majors = majors
        .into_iter()
        .map(|(stage, (n, cents))| (stage, n, Some(cents.to_string())))
        .collect();
    Ok((stages, majors))
}

/// Per major stage: (stage, count, sum of minor units as exact text).
pub type MajorSum = (String, i64, Option<String>);

/// Major projects (≥ 1,000,000,000 CNY) per stage, among signed and landed.
pub fn majors(conn: &mut Db, filter: &Filter, todays: &Todays) -> Result<Vec<MajorSum>, Error> {
    Ok(intentions::table
        .filter(predicate(filter, todays))
        .filter(intentions::investment_currency.eq(rules::DEFAULT_CURRENCY))
        .filter(intentions::amount_cents.ge(rules::MAJOR_CENTS))
        .filter(intentions::stage.eq_any([Stage::Signed.as_str(), Stage::Landed.as_str()]))
        .group_by(intentions::stage)
        .select((
            intentions::stage,
            count_star(),
            sql::<Nullable<Text>>("CAST(SUM(amount_cents) AS TEXT)"),
        ))
        .load(conn)?)
}

/// Overdue follow-ups per owner team.
pub fn overdue_by_team(conn: &mut Db, filter: &Filter, todays: &Todays) -> Result<HashMap<String, i64>, Error> {
    let mut counts: HashMap<String, i64> = HashMap::new();
    // One query per distinct "today": each is a range on (owner_team_id, next_follow_up_on);
    // one query OR-ing the days scanned the whole index (SQLite: 15 ms -> 2 ms at 100k).
    // Every team is in exactly one group, so the counts add up.
    for day in todays {
        let rows: Vec<(String, i64)> = intentions::table
            .filter(predicate(filter, todays))
            .filter(overdue(std::slice::from_ref(day)))
            .group_by(intentions::owner_team_id)
            .select((intentions::owner_team_id, count_star()))
            .load(conn)?;
        for (team, n) in rows {
            *counts.entry(team).or_default() += n;
        }
    }
    Ok(counts)
}

/// Target companies: how many, how many assessed, how many with a matching intention.
pub fn targets(conn: &mut Db, filter: &Filter, todays: &Todays) -> Result<(i64, i64, i64), Error> {
    let targets = companies::table.filter(companies::is_target.eq(true));
    let total: i64 = targets.count().get_result(conn)?;
    let assessed: i64 = targets
        .filter(companies::assessment_score.is_not_null())
        .count()
        .get_result(conn)?;
    let with: i64 = if summarised(filter) {
        // Per target company, does one of its intentions exist: an index probe each, where
        // counting distinct companies over the intentions reads all of them.
        let exists = "EXISTS (SELECT 1 FROM intentions i WHERE i.company_id = companies.id";
        match &filter.owner_team_id {
            None => targets.filter(sql::<Bool>(exists).sql(")")).count().get_result(conn)?,
            Some(team) => targets
                .filter(
                    sql::<Bool>(exists)
                        .sql(" AND i.owner_team_id = ")
                        .bind::<Text, _>(team.clone())
                        .sql(")"),
                )
                .count()
                .get_result(conn)?,
        }
    } else {
        intentions::table
            .filter(predicate(filter, todays))
            .filter(intentions::company_id.eq_any(targets.select(companies::id)))
            .select(sql::<BigInt>("COUNT(DISTINCT intentions.company_id)"))
            .get_result(conn)?
    };
    Ok((total, assessed, with))
}

/// Every stage an intention had, from the history: (intention id, current stage, stage values).
pub fn stage_trails(
    conn: &mut Db,
    filter: &Filter,
    todays: &Todays,
) -> Result<Vec<(String, String, Vec<String>)>, Error> {
    let current: Vec<(String, String)> = intentions::table
        .filter(predicate(filter, todays))
        .select((intentions::id, intentions::stage))
        .load(conn)?;
    let ids: Vec<String> = current.iter().map(|(id, _)| id.clone()).collect();
    let mut trail: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, Option<String>)> = intention_history::table
            .filter(intention_history::intention_id.eq_any(chunk))
            .filter(intention_history::field.eq("stage"))
            .select((intention_history::intention_id, intention_history::new_value))
            .load(conn)?;
        for (id, stage) in rows {
            trail.entry(id).or_default().extend(stage);
        }
    }
    Ok(current
        .into_iter()
        .map(|(id, stage)| {
            let t = trail.remove(&id).unwrap_or_default();
            (id, stage, t)
        })
        .collect())
}

/// Attendance at these events: (registered, checked in, distinct companies of registered attendees).
pub fn attendance(conn: &mut Db, event_ids: &[String]) -> Result<(i64, i64, i64), Error> {
    let counts: Vec<(i32, i32)> = events::table
        .filter(events::id.eq_any(event_ids))
        .select((events::registered_count, events::checked_in_count))
        .load(conn)?;
    let registered = counts.iter().map(|c| i64::from(c.0)).sum();
    let checked_in = counts.iter().map(|c| i64::from(c.1)).sum();
    let companies: i64 = registrations::table
        .inner_join(contacts::table)
        .filter(registrations::event_id.eq_any(event_ids))
        .filter(registrations::status.eq("registered"))
        .filter(contacts::company_id.is_not_null())
        .select(sql::<BigInt>("COUNT(DISTINCT contacts.company_id)"))
        .get_result(conn)?;
    Ok((registered, checked_in, companies))
}

/// The ids of a roadshow's events.
pub fn roadshow_events(conn: &mut Db, roadshow_id: &str) -> Result<Vec<String>, Error> {
    Ok(events::table
        .filter(events::roadshow_id.eq(roadshow_id))
        .select(events::id)
        .load(conn)?)
}

/// Names by id for the CSV: companies, contacts and events.
pub fn names(conn: &mut Db, rows: &[IntentionRow]) -> Result<Names, Error> {
    let mut n = Names::default();
    let ids = |f: &dyn Fn(&IntentionRow) -> Option<&String>| -> Vec<String> {
        let mut v: Vec<String> = rows.iter().filter_map(f).cloned().collect();
        v.sort();
        v.dedup();
        v
    };
    for chunk in ids(&|r| Some(&r.company_id)).chunks(500) {
        let found: Vec<(String, String)> = companies::table
            .filter(companies::id.eq_any(chunk))
            .select((companies::id, companies::name))
            .load(conn)?;
        n.companies.extend(found);
    }
    for chunk in ids(&|r| r.contact_id.as_ref()).chunks(500) {
        let found: Vec<(String, String)> = contacts::table
            .filter(contacts::id.eq_any(chunk))
            .select((contacts::id, contacts::name))
            .load(conn)?;
        n.contacts.extend(found);
    }
    for chunk in ids(&|r| r.event_id.as_ref()).chunks(500) {
        let found: Vec<(String, String)> = events::table
            .filter(events::id.eq_any(chunk))
            .select((events::id, events::title))
            .load(conn)?;
        n.events.extend(found);
    }
    Ok(n)
}

/// Display names by id.
#[derive(Debug, Default)]
pub struct Names {
    pub companies: HashMap<String, String>,
    pub contacts: HashMap<String, String>,
    pub events: HashMap<String, String>,
}
