//! The pipeline's rules as plain functions: money, currencies, stage moves, which
//! changes go into the history, what is overdue, and reading list filters.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use super::model::{IntentionPatch, IntentionQuery, IntentionRow, NewIntention, Stage};
use crate::error::{Error, FieldError};
use crate::validation::{uuid, Checks};

const NAME_MAX: usize = 200;
const LONG_MAX: usize = 10_000;
const NOTE_MAX: usize = 2_000;
/// The most digits before the decimal point: sums of 100,000 such amounts stay in 64 bits.
/// The most digits an amount has before the point.
pub const AMOUNT_DIGITS: usize = 13;
/// A major project (10亿元以上项目): 1,000,000,000 CNY, in minor units.
pub const MAJOR_CENTS: i64 = 100_000_000_000;
/// The currency used when none is given, and the one major projects are counted in.
pub const DEFAULT_CURRENCY: &str = "CNY";

/// The pipeline stages in order (without `dropped`).
pub const PIPELINE: [Stage; 6] = [
    Stage::Lead,
    Stage::Assessing,
    Stage::Engaged,
    Stage::Negotiating,
    Stage::Signed,
    Stage::Landed,
];

/// A stage's place in the pipeline; `None` for `dropped`.
pub fn rank(stage: Stage) -> Option<usize> {
    PIPELINE.iter().position(|s| *s == stage)
}

/// Reads a decimal amount (`"1000000000"`, `"250000000.50"`) into minor units, exactly.
pub fn parse_amount(field: &str, value: &str) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            format!(
                "{value:?} is not an amount: use a decimal string ≥ 0 with at most 2 decimals and at most \
                 {AMOUNT_DIGITS} digits before the point, e.g. \"250000000.50\""
            ),
        )
    };
    let v = value.trim();
    let (whole, fraction) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > 2
        || (v.contains('.') && fraction.is_empty())
    {
        return Err(bad());
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > AMOUNT_DIGITS {
        return Err(bad());
    }
    let major: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let minor: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    Ok(major * 100 + minor)
}

/// Shows minor units as a decimal: whole amounts without decimals, others with two.
pub fn format_amount(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    if c.is_multiple_of(100) {
        format!("{sign}{}", c / 100)
    } else {
        format!("{sign}{}.{:02}", c / 100, c % 100)
    }
}

/// Checks an ISO 4217 code (three letters), returning it upper-cased.
pub fn currency(field: &str, value: &str) -> Result<String, FieldError> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(FieldError::new(
            field,
            format!("{value:?} is not an ISO 4217 currency code such as CNY, USD or JPY"),
        ))
    }
}

/// Today's date in a team's zone.
pub fn today_in(tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// Overdue: a follow-up date before today (in the owner's zone), not landed or dropped.
pub fn is_overdue(stage: Stage, next_follow_up_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    !matches!(stage, Stage::Landed | Stage::Dropped) && next_follow_up_on.is_some_and(|d| d < today)
}

fn refused(from: Stage, to: Stage, why: &str) -> Error {
    let mut extra = Map::new();
    extra.insert("from".into(), Value::String(from.as_str().into()));
    extra.insert("to".into(), Value::String(to.as_str().into()));
    Error::Conflict {
        detail: format!("cannot move from {from} to {to}: {why}"),
        extra,
    }
}

/// Whether a stage move is allowed: forward moves may skip stages; moving back needs a
/// note; `dropped` needs a reason; leaving `dropped` needs a note. 409 names both stages.
pub fn check_move(from: Stage, to: Stage, has_note: bool, has_reason: bool) -> Result<(), Error> {
    if from == to {
        return Ok(());
    }
    match (rank(from), rank(to)) {
        (_, None) if !has_reason => Err(refused(from, to, "say why in `dropped_reason`")),
        (None, _) if !has_note => Err(refused(from, to, "reopening a dropped intention needs a `note`")),
        (Some(a), Some(b)) if b < a && !has_note => Err(refused(from, to, "moving back needs a `note` saying why")),
        _ => Ok(()),
    }
}

/// One change of a tracked field, as the history keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The tracked fields of a row: stage, owner, amount, currency, follow-up date.
fn tracked(r: &IntentionRow) -> [(&'static str, Option<String>); 5] {
    [
        ("stage", Some(r.stage.clone())),
        ("owner_team_id", Some(r.owner_team_id.clone())),
        ("investment_amount", r.investment_amount.clone()),
        ("investment_currency", Some(r.investment_currency.clone())),
        ("next_follow_up_on", r.next_follow_up_on.map(|d| d.to_string())),
    ]
}

/// The tracked fields that differ between two versions of a row, one change per field.
pub fn changes(old: Option<&IntentionRow>, new: &IntentionRow) -> Vec<Change> {
    let before = old.map(tracked);
    tracked(new)
        .into_iter()
        .enumerate()
        .filter_map(|(i, (field, value))| {
            let was = before.as_ref().and_then(|b| b[i].1.clone());
            (was != value && (old.is_some() || value.is_some())).then_some(Change {
                field,
                old: was,
                new: value,
            })
        })
        .collect()
}

fn id_field(c: &mut Checks, field: &str, value: Option<String>) -> Option<String> {
    let v = c.text(field, value, 100)?;
    c.check(uuid(field, &v))
}

fn amount(c: &mut Checks, value: Option<String>) -> (Option<String>, Option<i64>) {
    let Some(v) = c.text("investment_amount", value, 40) else {
        return (None, None);
    };
    match c.check(parse_amount("investment_amount", &v)) {
        Some(cents) => (Some(format_amount(cents.into())), Some(cents)),
        None => (None, None),
    }
}

/// Validates a new intention owned by `owner` (already resolved), where it is `today`
/// in the owner team's zone.
pub fn new_intention(
    input: NewIntention,
    id: String,
    owner: String,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<IntentionRow, Error> {
    let mut c = Checks::default();
    let company_id = id_field(&mut c, "company_id", input.company_id);
    if company_id.is_none() && c.is_ok() {
        c.fail("company_id", "is required");
    }
    let contact_id = id_field(&mut c, "contact_id", input.contact_id);
    let event_id = id_field(&mut c, "event_id", input.event_id);
    let project_name = c.required("project_name", input.project_name, NAME_MAX);
    let summary = c.text("summary", input.summary, LONG_MAX);
    let industry_chain = c.text("industry_chain", input.industry_chain, NAME_MAX);
    let platform = c.text("platform", input.platform, NAME_MAX);
    let (investment_amount, amount_cents) = amount(&mut c, input.investment_amount);
    let investment_currency = match input.investment_currency {
        Some(v) => c.check(currency("investment_currency", &v)),
        None => Some(DEFAULT_CURRENCY.into()),
    };
    let stage = input.stage.unwrap_or(Stage::Lead);
    let dropped_reason = c.text("dropped_reason", input.dropped_reason, NOTE_MAX);
    match (stage, &dropped_reason) {
        (Stage::Dropped, None) => c.fail("dropped_reason", "is required when the stage is dropped"),
        (s, Some(_)) if s != Stage::Dropped => c.fail("dropped_reason", "only a dropped intention has one"),
        _ => {}
    }
    let reached = |s: Stage| rank(stage).is_some_and(|r| Some(r) >= rank(s));
    let signed_on = input.signed_on.or((stage == Stage::Signed).then_some(today));
    let landed_on = input.landed_on.or((stage == Stage::Landed).then_some(today));
    if input.landed_on.is_some() && !reached(Stage::Landed) && stage != Stage::Dropped {
        c.fail("landed_on", "only a landed intention has a landing date");
    }
    if input.signed_on.is_some() && !reached(Stage::Signed) && stage != Stage::Dropped {
        c.fail("signed_on", "only a signed or landed intention has a signing date");
    }
    c.finish()?;
    Ok(IntentionRow {
        id,
        company_id: company_id.unwrap_or_default(),
        contact_id,
        event_id,
        project_name: project_name.unwrap_or_default(),
        summary,
        industry_chain,
        platform,
        stage: stage.as_str().into(),
        interest_level: input.interest_level.map(|l| l.as_str().into()),
        investment_amount,
        amount_cents,
        investment_currency: investment_currency.unwrap_or_default(),
        owner_team_id: owner,
        next_follow_up_on: input.next_follow_up_on,
        signed_on,
        landed_on,
        dropped_reason,
        created_at: now,
        updated_at: now,
        version: 1,
    })
}

/// Applies a patch: checks the stage move, sets or clears the stage dates (today is in
/// the owner team's zone, after any change of owner), and bumps the version.
pub fn apply_patch(
    current: &IntentionRow,
    p: IntentionPatch,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<IntentionRow, Error> {
    let mut c = Checks::default();
    let mut row = current.clone();
    let note = c.text("note", p.note, NOTE_MAX);
    if let Some(v) = p.company_id {
        let id = id_field(&mut c, "company_id", Some(v));
        if id.is_none() && c.is_ok() {
            c.fail("company_id", "cannot be removed");
        }
        row.company_id = id.unwrap_or_default();
    }
    if let Some(v) = p.contact_id {
        row.contact_id = id_field(&mut c, "contact_id", v);
    }
    if let Some(v) = p.event_id {
        row.event_id = id_field(&mut c, "event_id", v);
    }
    if let Some(v) = p.project_name {
        row.project_name = c.required("project_name", Some(v), NAME_MAX).unwrap_or_default();
    }
    if let Some(v) = p.summary {
        row.summary = c.text("summary", v, LONG_MAX);
    }
    if let Some(v) = p.industry_chain {
        row.industry_chain = c.text("industry_chain", v, NAME_MAX);
    }
    if let Some(v) = p.platform {
        row.platform = c.text("platform", v, NAME_MAX);
    }
    if let Some(v) = p.interest_level {
        row.interest_level = v.map(|l| l.as_str().into());
    }
    if let Some(v) = p.investment_amount {
        (row.investment_amount, row.amount_cents) = amount(&mut c, v);
    }
    if let Some(v) = p.investment_currency {
        if let Some(code) = c.check(currency("investment_currency", &v)) {
            row.investment_currency = code;
        }
    }
    if let Some(v) = p.owner_team_id {
        if let Some(id) = id_field(&mut c, "owner_team_id", Some(v)) {
            row.owner_team_id = id;
        } else if c.is_ok() {
            c.fail("owner_team_id", "cannot be removed");
        }
    }
    if let Some(v) = p.next_follow_up_on {
        row.next_follow_up_on = v;
    }
    let from = Stage::from_checked(&current.stage);
    let to = p.stage.unwrap_or(from);
    let reason = match p.dropped_reason {
        Some(v) => c.text("dropped_reason", v, NOTE_MAX),
        None if to == Stage::Dropped && from == Stage::Dropped => current.dropped_reason.clone(),
        None => None,
    };
    if to != Stage::Dropped && reason.is_some() {
        c.fail("dropped_reason", "only a dropped intention has one; move it to dropped");
    }
    if to == Stage::Dropped && from == Stage::Dropped && reason.is_none() {
        c.fail("dropped_reason", "a dropped intention keeps a reason");
    }
    c.finish()?;
    check_move(from, to, note.is_some(), reason.is_some())?;
    row.stage = to.as_str().into();
    row.dropped_reason = reason;
    if from != to {
        // Dates follow the stage: set on arrival, cleared when the project moves back
        // before them (a dropped project keeps what it reached).
        match to {
            Stage::Signed => {
                row.signed_on = row.signed_on.filter(|_| rank(from) > rank(to)).or(Some(today));
                row.landed_on = None;
            }
            Stage::Landed => row.landed_on = Some(today),
            Stage::Dropped => {}
            _ => {
                row.signed_on = None;
                row.landed_on = None;
            }
        }
    }
    let stage_reached = |s: Stage| rank(to).is_some_and(|r| Some(r) >= rank(s)) || to == Stage::Dropped;
    let mut c = Checks::default();
    if let Some(v) = p.signed_on {
        if v.is_some() && !stage_reached(Stage::Signed) {
            c.fail("signed_on", "only a signed or landed intention has a signing date");
        }
        row.signed_on = v;
    }
    if let Some(v) = p.landed_on {
        if v.is_some() && !stage_reached(Stage::Landed) {
            c.fail("landed_on", "only a landed intention has a landing date");
        }
        row.landed_on = v;
    }
    c.finish()?;
    if row != *current {
        row.version = current.version + 1;
        row.updated_at = now;
    }
    Ok(row)
}

/// The stages an intention ever reached, from its current stage and its history of stage
/// values: the highest pipeline rank it had.
pub fn highest_rank<'a>(current: Stage, history: impl IntoIterator<Item = &'a str>) -> Option<usize> {
    history
        .into_iter()
        .filter_map(|s| Stage::parse("", s).ok().and_then(rank))
        .chain(rank(current))
        .max()
}

/// Reads the list's query string, where `stage` may repeat. Malformed values are a 400
/// (like every other query string); a stage that does not exist is a 422.
pub fn parse_query(query: &str, csv: bool) -> Result<IntentionQuery, Error> {
    let mut q = IntentionQuery::default();
    let mut c = Checks::default();
    let bad = |key: &str, value: &str, what: &str| {
        Error::BadRequest(format!("invalid query string: {key}={value:?} is not {what}"))
    };
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let v = value.to_string();
        let date = |v: &str| NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| bad(&key, v, "a date (YYYY-MM-DD)"));
        match key.as_ref() {
            "stage" => {
                for part in v.split(',').filter(|s| !s.trim().is_empty()) {
                    if let Some(s) = c.check(Stage::parse("stage", part.trim())) {
                        q.stage.get_or_insert_with(Vec::new).push(s);
                    }
                }
            }
            "owner_team_id" => q.owner_team_id = Some(v),
            "company_id" => q.company_id = Some(v),
            "contact_id" => q.contact_id = Some(v),
            "event_id" => q.event_id = Some(v),
            "roadshow_id" => q.roadshow_id = Some(v),
            "industry_chain" => q.industry_chain = Some(v),
            "min_amount" => q.min_amount = Some(v),
            "currency" => q.currency = Some(v),
            "overdue" => q.overdue = Some(v.parse().map_err(|_| bad(&key, &v, "true or false"))?),
            "due_before" => q.due_before = Some(date(&v)?),
            "q" => q.q = Some(v),
            "sort" => q.sort = Some(v),
            // `headers` is the CSV's; `limit` and `cursor` page the JSON lists only.
            "headers" if csv => q.headers = Some(v),
            "limit" if !csv => q.limit = Some(v.parse().map_err(|_| bad(&key, &v, "a whole number"))?),
            "cursor" if !csv => q.cursor = Some(v),
            other => {
                return Err(Error::BadRequest(format!(
                    "invalid query string: unknown parameter `{other}`"
                )))
            }
        }
    }
    c.finish()?;
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Stage::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn row(stage: Stage) -> IntentionRow {
        let now = NaiveDateTime::default();
        let mut r = new_intention(
            NewIntention {
                company_id: Some("2024d3e0-0000-4000-8000-00000000000a".into()),
                project_name: Some("高端聚酰胺".into()),
                ..Default::default()
            },
            "id".into(),
            "team".into(),
            day("2024-03-04"),
            now,
        )
        .unwrap();
        r.stage = stage.as_str().into();
        if stage == Dropped {
            r.dropped_reason = Some("budget".into());
        }
        r
    }

    fn patch(stage: Stage, note: Option<&str>, reason: Option<&str>) -> IntentionPatch {
        IntentionPatch {
            stage: Some(stage),
            note: note.map(String::from),
            dropped_reason: reason.map(|r| Some(r.to_string())),
            ..Default::default()
        }
    }

    #[test]
    fn amounts_are_exact_minor_units() {
        assert_eq!(parse_amount("a", "1000000000").unwrap(), 100_000_000_000);
        assert_eq!(parse_amount("a", "250000000.50").unwrap(), 25_000_000_050);
        assert_eq!(parse_amount("a", "0.1").unwrap(), 10);
        assert_eq!(parse_amount("a", "007.07").unwrap(), 707);
        for bad in [
            "",
            "-1",
            "1.234",
            "1e9",
            "1.",
            ".5",
            "1,000",
            " ",
            "12345678901234",
            "NaN",
        ] {
            assert!(parse_amount("a", bad).is_err(), "{bad}");
        }
        assert_eq!(format_amount(100_000_000_037), "1000000000.37");
        assert_eq!(format_amount(100_000_000_000), "1000000000");
        assert_eq!(format_amount(5), "0.05");
        assert_eq!(format_amount(10 + 20 + 100_000_000_007), "1000000000.37");
    }

    #[test]
    fn currencies_are_iso_codes() {
        assert_eq!(currency("c", "usd").unwrap(), "USD");
        for bad in ["", "RMB1", "¥", "US", "C N"] {
            assert!(currency("c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_move_between_pipeline_stages() {
        for (i, from) in PIPELINE.iter().enumerate() {
            for (j, to) in PIPELINE.iter().enumerate() {
                let bare = check_move(*from, *to, false, false);
                assert_eq!(bare.is_ok(), j >= i, "{from} -> {to} without a note");
                assert!(
                    check_move(*from, *to, true, false).is_ok(),
                    "{from} -> {to} with a note"
                );
                match bare {
                    Err(Error::Conflict { detail, extra }) => {
                        assert!(
                            detail.contains(from.as_str()) && detail.contains(to.as_str()),
                            "{detail}"
                        );
                        assert_eq!(extra["from"], from.as_str());
                    }
                    Err(other) => panic!("{other:?}"),
                    Ok(()) => {}
                }
            }
            assert!(check_move(*from, Dropped, true, false).is_err());
            assert!(check_move(*from, Dropped, false, true).is_ok());
            assert!(check_move(Dropped, *from, false, false).is_err());
            assert!(check_move(Dropped, *from, true, false).is_ok());
        }
    }

    #[test]
    fn signing_and_landing_date_themselves_and_moving_back_clears() {
        let today = day("2024-06-01");
        let now = NaiveDateTime::default();
        let signed = apply_patch(&row(Negotiating), patch(Signed, None, None), today, now).unwrap();
        assert_eq!((signed.signed_on, signed.version), (Some(today), 2));
        let given = IntentionPatch {
            landed_on: Some(Some(day("2024-05-30"))),
            ..patch(Landed, None, None)
        };
        let landed = apply_patch(&signed, given, today, now).unwrap();
        assert_eq!(
            (landed.signed_on, landed.landed_on),
            (Some(today), Some(day("2024-05-30")))
        );
        let back = apply_patch(&landed, patch(Negotiating, Some("contract reopened"), None), today, now).unwrap();
        assert_eq!((back.signed_on, back.landed_on), (None, None));
        assert!(apply_patch(&landed, patch(Engaged, None, None), today, now).is_err());
    }

    #[test]
    fn dropping_needs_a_reason_and_reopening_a_note_that_clears_it() {
        let (today, now) = (day("2024-06-01"), NaiveDateTime::default());
        assert!(matches!(
            apply_patch(&row(Engaged), patch(Dropped, Some("x"), None), today, now),
            Err(Error::Conflict { .. })
        ));
        let dropped = apply_patch(&row(Engaged), patch(Dropped, None, Some("moved abroad")), today, now).unwrap();
        assert_eq!(dropped.dropped_reason.as_deref(), Some("moved abroad"));
        assert!(apply_patch(&dropped, patch(Engaged, None, None), today, now).is_err());
        let reopened = apply_patch(&dropped, patch(Engaged, Some("back in talks"), None), today, now).unwrap();
        assert_eq!(
            (reopened.stage.as_str(), reopened.dropped_reason.as_ref()),
            ("engaged", None)
        );
        assert!(matches!(
            apply_patch(&row(Engaged), patch(Engaged, None, Some("why")), today, now),
            Err(Error::Validation(_))
        ));
    }

    #[test]
    fn history_has_one_change_per_tracked_field() {
        let (today, now) = (day("2024-06-01"), NaiveDateTime::default());
        let old = row(Lead);
        let new = apply_patch(
            &old,
            IntentionPatch {
                stage: Some(Engaged),
                investment_amount: Some(Some("12.5".into())),
                investment_currency: Some("usd".into()),
                project_name: Some("renamed".into()),
                ..Default::default()
            },
            today,
            now,
        )
        .unwrap();
        let fields: Vec<_> = changes(Some(&old), &new).iter().map(|c| c.field).collect();
        assert_eq!(fields, ["stage", "investment_amount", "investment_currency"]);
        let created: Vec<_> = changes(None, &old).iter().map(|c| c.field).collect();
        assert_eq!(created, ["stage", "owner_team_id", "investment_currency"]);
        let same = apply_patch(&new, IntentionPatch::default(), today, now).unwrap();
        assert_eq!(same.version, new.version);
    }

    #[test]
    fn overdue_is_read_in_the_owner_zone() {
        use chrono::TimeZone;
        // 2024-03-05 07:30 UTC: already the 5th in Shanghai, still the 4th in Los Angeles.
        let now = Utc.with_ymd_and_hms(2024, 3, 5, 7, 30, 0).unwrap();
        let shanghai = today_in(chrono_tz::Asia::Shanghai, now);
        let la = today_in(chrono_tz::America::Los_Angeles, now);
        assert_eq!((shanghai, la), (day("2024-03-05"), day("2024-03-04")));
        let due = Some(day("2024-03-04"));
        assert!(is_overdue(Signed, due, shanghai));
        assert!(!is_overdue(Signed, due, la));
        assert!(!is_overdue(Landed, due, shanghai) && !is_overdue(Dropped, due, shanghai));
    }

    #[test]
    fn queries_take_repeated_stages() {
        let q = parse_query("stage=lead&stage=signed,landed&overdue=true&q=%E8%81%9A&limit=5", false).unwrap();
        assert_eq!(q.stage.unwrap(), [Lead, Signed, Landed]);
        assert_eq!((q.overdue, q.q.as_deref(), q.limit), (Some(true), Some("聚"), Some(5)));
        assert!(matches!(parse_query("stage=won", false), Err(Error::Validation(_))));
        assert!(matches!(parse_query("overdue=maybe", false), Err(Error::BadRequest(_))));
        assert!(matches!(parse_query("colour=red", false), Err(Error::BadRequest(_))));
    }

    #[test]
    fn the_highest_stage_reached_counts_moves_back() {
        assert_eq!(highest_rank(Engaged, ["lead", "negotiating", "engaged"]), Some(3));
        assert_eq!(highest_rank(Dropped, ["lead", "dropped"]), Some(0));
    }
}
