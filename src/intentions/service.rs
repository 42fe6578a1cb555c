//! Intention use cases: each write is one transaction that also appends its history;
//! "today" is always read from the context's clock in the owner team's zone.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::model::{
    Activity, ActivityKind, ActivityRow, Amount, HistoryEntry, Intention, IntentionFunnel, IntentionPatch,
    IntentionQuery, IntentionRow, MajorCount, MajorProjects, NewActivity, NewIntention, Outcomes, PageQuery,
    PipelineStats, Reached, Stage, StageCount, StatsQuery, Targets, TeamOverdue,
};
use super::queries::{self, ActivityKey, Filter, Key, Names, Sort, Todays};
use super::rules::{self, changes, format_amount};
use crate::context::AppState;
use crate::db::Db;
use crate::error::{Error, FieldError};
use crate::pagination::{self, Page};
use crate::precondition::Precondition;
use crate::teams::model::TeamRow;
use crate::teams::queries as teams;
use crate::validation::{uuid, Checks};
use crate::{companies, contacts, events, roadshows};

/// Who is acting: the token's name (kept in the history) and its team, if any.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub team_id: Option<String>,
}

/// The most rows one CSV export holds.
pub const EXPORT_MAX: i64 = 100_000;

/// Today in every team's zone, grouped by date.
fn todays(all: &HashMap<String, TeamRow>, now: DateTime<Utc>) -> Todays {
    let mut by_day: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for t in all.values() {
        by_day
            .entry(rules::today_in(t.tz(), now))
            .or_default()
            .push(t.id.clone());
    }
    by_day.into_iter().collect()
}

/// The API view of a row, `overdue` read in its owner's zone.
fn view(row: IntentionRow, all: &HashMap<String, TeamRow>, now: DateTime<Utc>) -> Intention {
    let today = all
        .get(&row.owner_team_id)
        .map(|t| rules::today_in(t.tz(), now))
        .unwrap_or_else(|| now.date_naive());
    let overdue = rules::is_overdue(Stage::from_checked(&row.stage), row.next_follow_up_on, today);
    Intention::from_row(row, overdue)
}

fn owner_team(c: &mut Db, id: &str) -> Result<TeamRow, Error> {
    teams::find(c, id)?.ok_or_else(|| Error::invalid("owner_team_id", format!("no team with id {id}")))
}

/// 422 for references to records that do not exist.
fn check_references(c: &mut Db, row: &IntentionRow, old: Option<&IntentionRow>) -> Result<(), Error> {
    let mut checks = Checks::default();
    let changed = |new: Option<&String>, was: Option<&String>| new.is_some() && (old.is_none() || new != was);
    if changed(Some(&row.company_id), old.map(|o| &o.company_id))
        && companies::queries::find(c, &row.company_id)?.is_none()
    {
        checks.fail("company_id", format!("no company with id {}", row.company_id));
    }
    if let Some(id) = row
        .contact_id
        .as_ref()
        .filter(|id| changed(Some(id), old.and_then(|o| o.contact_id.as_ref())))
    {
        if contacts::queries::find(c, id)?.is_none() {
            checks.fail("contact_id", format!("no contact with id {id}"));
        }
    }
    if let Some(id) = row
        .event_id
        .as_ref()
        .filter(|id| changed(Some(id), old.and_then(|o| o.event_id.as_ref())))
    {
        if events::queries::find(c, id)?.is_none() {
            checks.fail("event_id", format!("no event with id {id}"));
        }
    }
    checks.finish()
}

/// Creates an intention and its first history entries; the owner defaults to the actor's team.
pub async fn create(ctx: &AppState, actor: Actor, input: NewIntention) -> Result<Intention, Error> {
    let owner = match (input.owner_team_id.as_deref(), &actor.team_id) {
        (Some(v), _) => uuid("owner_team_id", v)?,
        (None, Some(team)) => team.clone(),
        (None, None) => {
            return Err(Error::invalid(
                "owner_team_id",
                "is required (the token acts for no team)",
            ))
        }
    };
    let now_utc = ctx.clock.now_utc();
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            let team = owner_team(c, &owner)?;
            let row = rules::new_intention(
                input,
                crate::ids::new_id(),
                owner,
                rules::today_in(team.tz(), now_utc),
                now,
            )?;
            check_references(c, &row, None)?;
            queries::insert(c, &row)?;
            queries::record(c, &row.id, changes(None, &row), &actor.name, None, now)?;
            let all = HashMap::from([(team.id.clone(), team)]);
            Ok(view(row, &all, now_utc))
        })
        .await
}

/// One intention.
pub async fn get(ctx: &AppState, id: String) -> Result<Intention, Error> {
    let now = ctx.clock.now_utc();
    ctx.db
        .read(move |c| {
            let row = queries::get(c, &id)?;
            let all = teams::all(c)?;
            Ok(view(row, &all, now))
        })
        .await
}

/// A change judged against the stored row: what to write, and the owner team it is read in.
struct Plan {
    current: IntentionRow,
    row: IntentionRow,
    team: TeamRow,
    note: Option<String>,
}

impl Plan {
    /// Does the change point at other records (which must then exist when it is written)?
    fn moves_references(&self) -> bool {
        self.row.company_id != self.current.company_id
            || self.row.contact_id != self.current.contact_id
            || self.row.event_id != self.current.event_id
    }
}

/// Judges `patch` against the stored row: the rules, then the precondition, then the references.
fn plan(
    c: &mut Db,
    id: &str,
    patch: IntentionPatch,
    expected: &Precondition,
    now_utc: DateTime<Utc>,
    now: NaiveDateTime,
) -> Result<Plan, Error> {
    let (current, current_team) = queries::get_with_owner(c, id)?;
    let team = match patch.owner_team_id.as_deref() {
        Some(v) => match uuid("owner_team_id", v)? {
            same if same == current_team.id => current_team,
            other => owner_team(c, &other)?,
        },
        None => current_team,
    };
    let note = patch
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from);
    let row = rules::apply_patch(&current, patch, rules::today_in(team.tz(), now_utc), now)?;
    // The body is judged first: invalid data is a 422 whatever the version.
    expected.check(current.version)?;
    if row != current {
        check_references(c, &row, Some(&current))?;
    }
    Ok(Plan {
        current,
        row,
        team,
        note,
    })
}

/// Writes a planned change and its history, if the stored version is still the one it was
/// judged on; false (nothing written) otherwise.
fn write_plan(c: &mut Db, plan: &Plan, by: &str, now: NaiveDateTime) -> Result<bool, Error> {
    if plan.row == plan.current {
        return Ok(true);
    }
    if !queries::update_if_current(c, &plan.current, &plan.row)? {
        return Ok(false);
    }
    queries::record(
        c,
        &plan.row.id,
        changes(Some(&plan.current), &plan.row),
        by,
        plan.note.as_deref(),
        now,
    )?;
    Ok(true)
}

/// Changes an intention if `expected` holds, appending one history entry per tracked
/// field that changed; a refused change writes nothing.
pub async fn update(
    ctx: &AppState,
    actor: Actor,
    id: String,
    patch: IntentionPatch,
    expected: Precondition,
) -> Result<Intention, Error> {
    let now_utc = ctx.clock.now_utc();
    let now = ctx.clock.now();
    // The change is judged on a read connection, so that SQLite's one writer thread (the
    // bottleneck of stage moves) only writes. The write applies it only if the version is
    // still the one judged (and no reference moved, whose target must exist at the write);
    // otherwise the change is judged again inside the write transaction, as it always was.
    let judged = {
        let (id, patch, expected) = (id.clone(), patch.clone(), expected.clone());
        ctx.db
            .read(move |c| plan(c, &id, patch, &expected, now_utc, now))
            .await?
    };
    if judged.row == judged.current {
        let all = HashMap::from([(judged.team.id.clone(), judged.team)]);
        return Ok(view(judged.row, &all, now_utc));
    }
    ctx.db
        .write(move |c| {
            let done = if !judged.moves_references() && write_plan(c, &judged, &actor.name, now)? {
                judged
            } else {
                let again = plan(c, &id, patch, &expected, now_utc, now)?;
                if !write_plan(c, &again, &actor.name, now)? {
                    return Err(Error::conflict(
                        "the intention was changed at the same time; fetch it again and retry",
                    ));
                }
                again
            };
            let all = HashMap::from([(done.team.id.clone(), done.team)]);
            Ok(view(done.row, &all, now_utc))
        })
        .await
}

/// Checks the list's filters.
pub fn filter(q: &IntentionQuery) -> Result<(Filter, Sort), Error> {
    let mut c = Checks::default();
    let mut id = |field: &str, v: &Option<String>| v.as_deref().and_then(|v| c.check(uuid(field, v)));
    let mut f = Filter {
        stages: q.stage.clone().unwrap_or_default(),
        owner_team_id: id("owner_team_id", &q.owner_team_id),
        company_id: id("company_id", &q.company_id),
        contact_id: id("contact_id", &q.contact_id),
        event_id: id("event_id", &q.event_id),
        roadshow_id: id("roadshow_id", &q.roadshow_id),
        overdue: q.overdue,
        due_before: q.due_before,
        ..Default::default()
    };
    f.industry_chain = c.text("industry_chain", q.industry_chain.clone(), 200);
    f.q = c.text("q", q.q.clone(), 200).map(|s| companies::model::name_key(&s));
    // Filters take the documented shapes exactly (capitals, no padding), unlike bodies.
    f.currency = q
        .currency
        .as_deref()
        .and_then(|v| c.check(rules::currency("currency", v).and_then(|code| exact("currency", v, code))));
    if let Some(min) = &q.min_amount {
        let digits = min.split('.').next().unwrap_or_default().len();
        f.min_cents = c.check(rules::parse_amount("min_amount", min).and_then(|cents| {
            if min.trim() != min || digits > rules::AMOUNT_DIGITS {
                Err(FieldError::new(
                    "min_amount",
                    format!(
                        "{min:?} is not an amount: at most {} digits before the point, no spaces",
                        rules::AMOUNT_DIGITS
                    ),
                ))
            } else {
                Ok(cents)
            }
        }));
        f.currency.get_or_insert_with(|| rules::DEFAULT_CURRENCY.into());
    }
    let sort = match q.sort.as_deref() {
        None | Some("updated_at") => Sort::Updated,
        Some("next_follow_up_on") => Sort::FollowUp,
        Some(other) => {
            c.fail(
                "sort",
                format!("{other:?} is not one of: updated_at, next_follow_up_on"),
            );
            Sort::Updated
        }
    };
    c.finish()?;
    Ok((f, sort))
}

/// A currency filter as sent, not only as read: `cny` or ` CNY` is refused.
fn exact(field: &str, sent: &str, code: String) -> Result<String, FieldError> {
    if sent == code {
        Ok(code)
    } else {
        Err(FieldError::new(
            field,
            format!("{sent:?} is not an ISO 4217 code in capitals such as CNY"),
        ))
    }
}

/// What a list is scoped to by its path.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Company(String),
    Contact(String),
}

/// One page of intentions matching the query (within a company's or contact's, if scoped).
pub async fn list(ctx: &AppState, q: IntentionQuery, scope: Scope) -> Result<Page<Intention>, Error> {
    let (mut f, sort) = filter(&q)?;
    let (after, limit) = pagination::window::<Key>(q.limit, q.cursor.as_deref())?;
    let now = ctx.clock.now_utc();
    ctx.db
        .read(move |c| {
            match &scope {
                Scope::All => {}
                Scope::Company(id) => {
                    companies::queries::get(c, id)?;
                    f.company_id = Some(id.clone());
                }
                Scope::Contact(id) => {
                    contacts::queries::get(c, id)?;
                    f.contact_id = Some(id.clone());
                }
            }
            let all = teams::all(c)?;
            let rows = queries::list(c, &f, &todays(&all, now), sort, after.as_ref(), Some(limit))?;
            let key = |r: &IntentionRow| match sort {
                Sort::Updated => Key {
                    u: Some(r.updated_at),
                    d: None,
                    id: r.id.clone(),
                },
                Sort::FollowUp => Key {
                    u: None,
                    d: r.next_follow_up_on,
                    id: r.id.clone(),
                },
            };
            Ok(pagination::page(rows, limit, key, |r| view(r, &all, now)))
        })
        .await
}

/// Everything an export needs: the matching rows (in list order), the views and names.
pub struct Export {
    pub items: Vec<Intention>,
    pub names: Names,
    pub teams: HashMap<String, TeamRow>,
}

/// Every intention matching the query (at most [`EXPORT_MAX`]), for the CSV.
pub async fn export(ctx: &AppState, q: IntentionQuery) -> Result<Export, Error> {
    let (f, sort) = filter(&q)?;
    let now = ctx.clock.now_utc();
    ctx.db
        .read(move |c| {
            let all = teams::all(c)?;
            let mut rows = queries::list(c, &f, &todays(&all, now), sort, None, Some(EXPORT_MAX))?;
            if rows.len() as i64 > EXPORT_MAX {
                return Err(Error::invalid(
                    "limit",
                    format!("more than {EXPORT_MAX} intentions match; narrow the filters"),
                ));
            }
            rows.truncate(EXPORT_MAX as usize);
            let names = queries::names(c, &rows)?;
            let items = rows.into_iter().map(|r| view(r, &all, now)).collect();
            Ok(Export {
                items,
                names,
                teams: all,
            })
        })
        .await
}

/// One page of an intention's history, oldest first.
pub async fn history(ctx: &AppState, id: String, q: PageQuery) -> Result<Page<HistoryEntry>, Error> {
    let (after, limit) = pagination::window::<i64>(q.limit, q.cursor.as_deref())?;
    ctx.db
        .read(move |c| {
            queries::get(c, &id)?;
            let rows = queries::history(c, &id, after, limit)?;
            Ok(pagination::page(rows, limit, |r| r.id, HistoryEntry::from))
        })
        .await
}

/// Records an activity; a `next_follow_up_on` also moves the intention's date (with its
/// history entry) in the same transaction.
pub async fn add_activity(ctx: &AppState, actor: Actor, id: String, input: NewActivity) -> Result<Activity, Error> {
    let mut c = Checks::default();
    if input.kind.is_none() {
        c.fail("kind", "is required: one of call, meeting, site_visit, email, other");
    }
    if input.happened_at.is_none() {
        c.fail("happened_at", "is required (RFC 3339 with an offset)");
    }
    let summary = c.required("summary", input.summary, 10_000);
    let contact_id = input.contact_id.as_deref().and_then(|v| c.check(uuid("contact_id", v)));
    c.finish()?;
    let now = ctx.clock.now();
    let row = ActivityRow {
        id: crate::ids::new_id(),
        intention_id: id,
        kind: input.kind.unwrap_or(ActivityKind::Other).as_str().into(),
        happened_at: input
            .happened_at
            .map(|t| crate::time::truncate(t.with_timezone(&Utc)).naive_utc())
            .unwrap_or(now),
        summary: summary.unwrap_or_default(),
        contact_id,
        next_follow_up_on: input.next_follow_up_on,
        created_by: actor.name.clone(),
        created_at: now,
    };
    ctx.db
        .write(move |c| {
            let current = queries::get(c, &row.intention_id)?;
            if let Some(contact) = &row.contact_id {
                if contacts::queries::find(c, contact)?.is_none() {
                    return Err(Error::invalid("contact_id", format!("no contact with id {contact}")));
                }
            }
            queries::insert_activity(c, &row)?;
            if let Some(next) = row.next_follow_up_on.filter(|d| current.next_follow_up_on != Some(*d)) {
                let moved = IntentionRow {
                    next_follow_up_on: Some(next),
                    updated_at: now,
                    version: current.version + 1,
                    ..current.clone()
                };
                queries::update(c, &current, &moved)?;
                let note = format!("{} activity: {}", row.kind, row.summary);
                queries::record(
                    c,
                    &moved.id,
                    changes(Some(&current), &moved),
                    &actor.name,
                    Some(&note),
                    now,
                )?;
            }
            Ok(Activity::from(row))
        })
        .await
}

/// One page of an intention's activities, most recent first.
pub async fn activities(ctx: &AppState, id: String, q: PageQuery) -> Result<Page<Activity>, Error> {
    let (after, limit) = pagination::window::<ActivityKey>(q.limit, q.cursor.as_deref())?;
    ctx.db
        .read(move |c| {
            queries::get(c, &id)?;
            let rows = queries::activities(c, &id, after.as_ref(), limit)?;
            Ok(pagination::page(
                rows,
                limit,
                |r| (r.happened_at, r.id.clone()),
                Activity::from,
            ))
        })
        .await
}

/// Amounts summed exactly: minor units as text per currency, added as 128-bit integers.
fn amounts(sums: impl IntoIterator<Item = (String, Option<String>)>) -> Result<Vec<Amount>, Error> {
    let mut per: BTreeMap<String, i128> = BTreeMap::new();
    for (currency, sum) in sums {
        let Some(sum) = sum else { continue };
        let cents: i128 = sum
            .trim()
            .parse()
            .map_err(|_| Error::Internal(format!("the database summed amounts to {sum:?}")))?;
        *per.entry(currency).or_default() += cents;
    }
    Ok(per
        .into_iter()
        .map(|(currency, cents)| Amount {
            currency,
            amount: format_amount(cents),
        })
        .collect())
}

/// Counts and amounts per stage, every stage listed in pipeline order then `dropped`.
fn stage_counts(rows: Vec<queries::StageSum>) -> Result<Vec<StageCount>, Error> {
    Stage::ALL
        .iter()
        .map(|stage| {
            let mine: Vec<_> = rows.iter().filter(|r| r.0 == stage.as_str()).collect();
            Ok(StageCount {
                stage: *stage,
                count: mine.iter().map(|r| r.2).sum(),
                amounts: amounts(mine.iter().map(|r| (r.1.clone(), r.3.clone())))?,
            })
        })
        .collect()
}

/// The centre's day boundaries for `from`/`to` (Asia/Shanghai), as UTC.
fn day_start(d: NaiveDate) -> NaiveDateTime {
    let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    crate::time::local_to_utc("from", local, chrono_tz::Asia::Shanghai)
        .map(|t| t.naive_utc())
        .unwrap_or(local)
}

/// The pipeline in one call: stages with amounts, major projects, overdue per team, targets.
pub async fn stats(ctx: &AppState, q: StatsQuery) -> Result<PipelineStats, Error> {
    let mut c = Checks::default();
    let mut id = |field: &str, v: &Option<String>| v.as_deref().and_then(|v| c.check(uuid(field, v)));
    let mut f = Filter {
        owner_team_id: id("owner_team_id", &q.owner_team_id),
        roadshow_id: id("roadshow_id", &q.roadshow_id),
        event_id: id("event_id", &q.event_id),
        created_from: q.from.map(day_start),
        created_before: q.to.and_then(|d| d.succ_opt()).map(day_start),
        ..Default::default()
    };
    f.industry_chain = c.text("industry_chain", q.industry_chain, 200);
    c.finish()?;
    let now = ctx.clock.now_utc();
    ctx.db
        .read(move |c| {
            let all = teams::all(c)?;
            let today = todays(&all, now);
            // Unfiltered (or per team), the totals kept by the write triggers answer at once.
            let (by_stage, majors) = if queries::summarised(&f) {
                queries::summary(c, &f)?
            } else {
                (queries::by_stage(c, &f, &today)?, queries::majors(c, &f, &today)?)
            };
            let stages = stage_counts(by_stage)?;
            let major = |stage: Stage| -> Result<MajorCount, Error> {
                let found: Vec<_> = majors.iter().filter(|m| m.0 == stage.as_str()).collect();
                let amount = amounts(found.iter().map(|m| (rules::DEFAULT_CURRENCY.to_string(), m.2.clone())))?;
                Ok(MajorCount {
                    count: found.iter().map(|m| m.1).sum(),
                    amount: amount
                        .into_iter()
                        .next()
                        .map(|a| a.amount)
                        .unwrap_or_else(|| "0".into()),
                })
            };
            let major_projects = MajorProjects {
                threshold: format_amount(rules::MAJOR_CENTS.into()),
                signed: major(Stage::Signed)?,
                landed: major(Stage::Landed)?,
            };
            let overdue = queries::overdue_by_team(c, &f, &today)?;
            let mut overdue_by_team: Vec<TeamOverdue> = all
                .values()
                .filter(|t| f.owner_team_id.as_ref().is_none_or(|o| *o == t.id))
                .map(|t| TeamOverdue {
                    team_id: t.id.clone(),
                    team_name: t.name.clone(),
                    overdue: overdue.get(&t.id).copied().unwrap_or(0),
                })
                .collect();
            overdue_by_team.sort_by(|a, b| a.team_name.cmp(&b.team_name));
            let (companies, assessed, with_intention) = queries::targets(c, &f, &today)?;
            Ok(PipelineStats {
                stages,
                major_projects,
                overdue_by_team,
                targets: Targets {
                    companies,
                    assessed,
                    with_intention,
                },
            })
        })
        .await
}

/// Attendance and the funnel of intentions raised at these events.
fn outcomes(c: &mut Db, event_ids: &[String], f: Filter, now: DateTime<Utc>) -> Result<Outcomes, Error> {
    let (registered, checked_in, companies_represented) = queries::attendance(c, event_ids)?;
    let all = teams::all(c)?;
    let today = todays(&all, now);
    let stages = stage_counts(queries::by_stage(c, &f, &today)?)?;
    let trails = queries::stage_trails(c, &f, &today)?;
    let highest: Vec<Option<usize>> = trails
        .iter()
        .map(|(_, stage, trail)| rules::highest_rank(Stage::from_checked(stage), trail.iter().map(String::as_str)))
        .collect();
    let reached = rules::PIPELINE
        .iter()
        .enumerate()
        .map(|(i, stage)| Reached {
            stage: *stage,
            count: highest.iter().filter(|h| h.is_some_and(|h| h >= i)).count() as i64,
        })
        .collect();
    Ok(Outcomes {
        registered,
        checked_in,
        companies_represented,
        intentions: IntentionFunnel {
            total: trails.len() as i64,
            stages,
            reached,
        },
    })
}

/// What an event produced: attendance and the intentions raised there.
pub async fn event_outcomes(ctx: &AppState, id: String) -> Result<Outcomes, Error> {
    let now = ctx.clock.now_utc();
    ctx.db
        .read(move |c| {
            events::queries::get(c, &id)?;
            let f = Filter {
                event_id: Some(id.clone()),
                ..Default::default()
            };
            outcomes(c, &[id], f, now)
        })
        .await
}

/// What a roadshow produced across its events.
pub async fn roadshow_outcomes(ctx: &AppState, id: String) -> Result<Outcomes, Error> {
    let now = ctx.clock.now_utc();
    ctx.db
        .read(move |c| {
            roadshows::queries::get(c, &id)?;
            let events = queries::roadshow_events(c, &id)?;
            let f = Filter {
                roadshow_id: Some(id),
                ..Default::default()
            };
            outcomes(c, &events, f, now)
        })
        .await
}
