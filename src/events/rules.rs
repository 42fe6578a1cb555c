//! Event rules: validation of new events and patches, status transitions, cancellation.

use chrono::NaiveDateTime;

use super::model::{EventCounts, EventKind, EventPatch, EventQuery, EventRow, EventStatus, NewEvent};
use super::queries::{Filter, Key, Place};
use crate::error::Error;
use crate::pagination;
use crate::time::{local_to_utc, parse_bound, parse_instant, parse_zone, wall_clock};
use crate::validation::{plain, uuid, Checks, Lines};

/// Longest title accepted.
pub const TITLE_MAX: usize = 200;
const SHORT_MAX: usize = 200;
const LONG_MAX: usize = 10_000;
const TAGS_MAX: usize = 20;
const TAG_MAX: usize = 50;

/// Validates a new event and builds its row and tags.
pub fn new_event(input: NewEvent, id: String, now: NaiveDateTime) -> Result<EventRow, Error> {
    let mut c = Checks::default();
    let title = c.required("title", input.title, TITLE_MAX);
    let city = c.required("city", input.city, SHORT_MAX);
    let kind = input
        .kind
        .map_or(Some(EventKind::Other), |k| c.check(EventKind::parse("kind", &k)));
    let tz = match input.timezone {
        Some(name) => c.check(parse_zone("timezone", &name)),
        None => {
            c.fail("timezone", "is required, e.g. \"Asia/Shanghai\"");
            None
        }
    };
    let starts_at = match &input.starts_at {
        Some(s) => tz.and_then(|tz| c.check(parse_instant("starts_at", s, tz))),
        None => {
            c.fail("starts_at", "is required");
            None
        }
    };
    let when = |c: &mut Checks, field: &str, v: Option<String>| -> Option<NaiveDateTime> {
        let tz = tz?;
        c.check(parse_instant(field, &v?, tz)).map(|t| t.naive_utc())
    };
    let ends_at = when(&mut c, "ends_at", input.ends_at);
    let registration_closes_at = when(&mut c, "registration_closes_at", input.registration_closes_at);
    let status = match input.status.as_deref() {
        None => Some(EventStatus::Draft),
        Some(s) => c.check(EventStatus::parse("status", s)).and_then(|s| match s {
            EventStatus::Draft | EventStatus::Scheduled => Some(s),
            _ => {
                c.fail("status", "a new event starts as draft or scheduled");
                None
            }
        }),
    };
    let capacity = capacity(&mut c, input.capacity);
    let roadshow_id = input.roadshow_id.and_then(|r| c.check(uuid("roadshow_id", &r)));
    let tags = tags(&mut c, input.tags.unwrap_or_default());
    let summary = c.long_text("summary", input.summary, LONG_MAX);
    let industry_chain = c.text("industry_chain", input.industry_chain, SHORT_MAX);
    let platform = c.text("platform", input.platform, SHORT_MAX);
    let venue = c.text("venue", input.venue, SHORT_MAX);
    let address = c.text("address", input.address, SHORT_MAX * 2);

    let (Some(title), Some(city), Some(kind), Some(tz), Some(starts_at), Some(status), true) =
        (title, city, kind, tz, starts_at, status, c.is_ok())
    else {
        return Err(c
            .finish()
            .err()
            .unwrap_or_else(|| Error::invalid("body", "invalid event")));
    };
    let row = EventRow {
        id,
        title,
        summary,
        kind: kind.as_str().into(),
        industry_chain,
        platform,
        city,
        venue,
        address,
        timezone: tz.name().into(),
        starts_at: starts_at.naive_utc(),
        starts_local: wall_clock(starts_at.naive_utc(), tz),
        ends_at,
        capacity,
        registration_closes_at,
        status: status.as_str().into(),
        cancel_reason: None,
        roadshow_id,
        sequence: 0,
        created_at: now,
        updated_at: now,
        version: 1,
        public_registration: input.public_registration.unwrap_or(false),
        tags: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
    };
    check_times(&row)?;
    Ok(row)
}

/// Applies a patch to an event.
pub fn apply_patch(current: &EventRow, patch: EventPatch, now: NaiveDateTime) -> Result<EventRow, Error> {
    let mut c = Checks::default();
    let mut row = current.clone();
    let old_tz = current.tz();
    if let Some(title) = patch.title {
        row.title = c.required("title", Some(title), TITLE_MAX).unwrap_or_default();
    }
    if let Some(city) = patch.city {
        row.city = c.required("city", Some(city), SHORT_MAX).unwrap_or_default();
    }
    if let Some(kind) = patch.kind {
        if let Some(k) = c.check(EventKind::parse("kind", &kind)) {
            row.kind = k.as_str().into();
        }
    }
    let set = |c: &mut Checks, slot: &mut Option<String>, field: &str, v: Option<Option<String>>, max| {
        if let Some(v) = v {
            *slot = c.text(field, v, max);
        }
    };
    if let Some(v) = patch.summary {
        row.summary = c.long_text("summary", v, LONG_MAX);
    }
    set(
        &mut c,
        &mut row.industry_chain,
        "industry_chain",
        patch.industry_chain,
        SHORT_MAX,
    );
    set(&mut c, &mut row.platform, "platform", patch.platform, SHORT_MAX);
    set(&mut c, &mut row.venue, "venue", patch.venue, SHORT_MAX);
    set(&mut c, &mut row.address, "address", patch.address, SHORT_MAX * 2);
    if let Some(cap) = patch.capacity {
        row.capacity = capacity(&mut c, cap);
    }
    if let Some(r) = patch.roadshow_id {
        row.roadshow_id = r.and_then(|r| c.check(uuid("roadshow_id", &r)));
    }
    if let Some(t) = patch.tags {
        row.tags = serde_json::to_string(&tags(&mut c, t)).unwrap_or_else(|_| "[]".into());
    }
    if let Some(p) = patch.public_registration {
        row.public_registration = p;
    }

    let tz = match &patch.timezone {
        Some(name) => c.check(parse_zone("timezone", name)).unwrap_or(old_tz),
        None => old_tz,
    };
    row.timezone = tz.name().into();
    // A new time is read in the (new) zone; an unchanged one keeps its wall-clock time.
    let retime = |c: &mut Checks, field: &str, old: NaiveDateTime| -> NaiveDateTime {
        if tz == old_tz {
            return old;
        }
        c.check(local_to_utc(field, wall_clock(old, old_tz), tz))
            .map_or(old, |t| t.naive_utc())
    };
    row.starts_at = match &patch.starts_at {
        Some(s) => c
            .check(parse_instant("starts_at", s, tz))
            .map_or(row.starts_at, |t| t.naive_utc()),
        None => retime(&mut c, "starts_at", row.starts_at),
    };
    row.ends_at = match patch.ends_at {
        Some(Some(s)) => c.check(parse_instant("ends_at", &s, tz)).map(|t| t.naive_utc()),
        Some(None) => None,
        None => row.ends_at.map(|t| retime(&mut c, "ends_at", t)),
    };
    row.registration_closes_at = match patch.registration_closes_at {
        Some(Some(s)) => c
            .check(parse_instant("registration_closes_at", &s, tz))
            .map(|t| t.naive_utc()),
        Some(None) => None,
        None => row
            .registration_closes_at
            .map(|t| retime(&mut c, "registration_closes_at", t)),
    };
    row.starts_local = wall_clock(row.starts_at, tz);
    let status = patch.status.and_then(|s| c.check(EventStatus::parse("status", &s)));
    c.finish()?;
    if let Some(to) = status {
        if to != current.status() {
            check_transition(current.status(), to)?;
            row.status = to.as_str().into();
        }
    }
    check_times(&row)?;
    touch(current, &mut row, now);
    Ok(row)
}

/// Cancels an event (draft or scheduled) with an optional reason.
pub fn cancel(current: &EventRow, reason: Option<String>, now: NaiveDateTime) -> Result<EventRow, Error> {
    check_transition(current.status(), EventStatus::Cancelled)?;
    let mut c = Checks::default();
    let reason = c.long_text("reason", reason, LONG_MAX);
    c.finish()?;
    let mut row = current.clone();
    row.status = EventStatus::Cancelled.as_str().into();
    row.cancel_reason = reason;
    touch(current, &mut row, now);
    Ok(row)
}

/// 409 unless `from → to` is one of draft → scheduled → completed, draft|scheduled → cancelled.
pub fn check_transition(from: EventStatus, to: EventStatus) -> Result<(), Error> {
    use EventStatus::*;
    if matches!(
        (from, to),
        (Draft, Scheduled) | (Scheduled, Completed) | (Draft | Scheduled, Cancelled)
    ) {
        return Ok(());
    }
    Err(Error::conflict(format!(
        "an event cannot go from {from} to {to}; allowed: draft → scheduled → completed, \
         and draft or scheduled → cancelled"
    )))
}

/// 409 when a new capacity is below the seats already taken.
pub fn check_capacity(capacity: Option<i32>, counts: &EventCounts) -> Result<(), Error> {
    match capacity {
        Some(cap) if cap < counts.registered_count => Err(Error::conflict(format!(
            "capacity {cap} is below the {} attendees already registered; cancel registrations first",
            counts.registered_count
        ))),
        _ => Ok(()),
    }
}

/// 409 unless the event may be deleted (drafts only).
pub fn check_deletable(row: &EventRow) -> Result<(), Error> {
    match row.status() {
        EventStatus::Draft => Ok(()),
        other => Err(Error::conflict(format!(
            "only draft events can be deleted; this event is {other} (cancel it instead)"
        ))),
    }
}

/// Bumps version and timestamps; SEQUENCE rises when attendees' calendars must update.
fn touch(current: &EventRow, row: &mut EventRow, now: NaiveDateTime) {
    let calendar_changed = row.starts_at != current.starts_at
        || row.ends_at != current.ends_at
        || row.timezone != current.timezone
        || row.city != current.city
        || row.venue != current.venue
        || row.address != current.address
        || row.status != current.status;
    if calendar_changed {
        row.sequence = current.sequence + 1;
    }
    row.version = current.version + 1;
    row.updated_at = now;
}

fn check_times(row: &EventRow) -> Result<(), Error> {
    let mut c = Checks::default();
    if let Some(end) = row.ends_at {
        if end <= row.starts_at {
            c.fail("ends_at", "must be after starts_at");
        }
        if row.registration_closes_at.is_some_and(|close| close > end) {
            c.fail("registration_closes_at", "must not be after ends_at");
        }
    }
    c.finish()
}

fn capacity(c: &mut Checks, value: Option<i64>) -> Option<i32> {
    let n = value?;
    match i32::try_from(n) {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            c.fail("capacity", "must be at least 1 (or null for unlimited)");
            None
        }
    }
}

/// Trims tags, drops repeats (keeping the first) and checks their number and length.
fn tags(c: &mut Checks, input: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, tag) in input.into_iter().enumerate() {
        let tag = tag.trim().to_string();
        if tag.is_empty() || tag.chars().count() > TAG_MAX {
            c.fail(&format!("tags[{i}]"), format!("must be 1 to {TAG_MAX} characters"));
        } else if c.check(plain(&format!("tags[{i}]"), &tag, Lines::One)).is_none() {
            // Refused and recorded.
        } else if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > TAGS_MAX {
        c.fail("tags", format!("at most {TAGS_MAX} tags"));
    }
    out
}

/// Validates list query parameters into a filter, a page position and a limit.
pub fn list_filter(q: EventQuery) -> Result<(Filter, Option<Key>, i64), Error> {
    let (after, limit) = pagination::window::<Key>(q.limit, q.cursor.as_deref())?;
    let mut c = Checks::default();
    let filter = Filter {
        from: q.from.and_then(|v| c.check(parse_bound("from", &v))),
        to: q.to.and_then(|v| c.check(parse_bound("to", &v))),
        status: q
            .status
            .and_then(|v| c.check(EventStatus::parse("status", &v)))
            .map(|s| s.as_str().into()),
        kind: q
            .kind
            .and_then(|v| c.check(EventKind::parse("kind", &v)))
            .map(|k| k.as_str().into()),
        city: c.text("city", q.city, SHORT_MAX),
        industry_chain: c.text("industry_chain", q.industry_chain, SHORT_MAX),
        roadshow_id: q.roadshow_id.and_then(|v| c.check(uuid("roadshow_id", &v))),
        tag: c.text("tag", q.tag, TAG_MAX),
        q: c.text("q", q.q, SHORT_MAX).map(|s| s.to_lowercase()),
    };
    c.finish()?;
    Ok((filter, after, limit))
}

/// The places newcomers take together, and the event's counters after them.
#[derive(Debug, PartialEq)]
pub struct Taken {
    pub places: Vec<Place>,
    pub registered: i32,
    pub waitlisted: i32,
    pub seq: i32,
}

/// The places `n` newcomers take in order, from the event's capacity and counters:
/// a seat while `registered < capacity` (or there is no capacity), else the next
/// waitlist ticket, last in line; as `take_place` gives them one at a time.
pub fn places(capacity: Option<i32>, registered: i32, waitlisted: i32, seq: i32, n: usize) -> Taken {
    let mut t = Taken {
        places: Vec::with_capacity(n),
        registered,
        waitlisted,
        seq,
    };
    for _ in 0..n {
        if capacity.is_none_or(|cap| t.registered < cap) {
            t.registered += 1;
            t.places.push(Place::Seat);
        } else {
            t.waitlisted += 1;
            t.seq += 1;
            t.places.push(Place::Waitlist {
                ticket: t.seq,
                position: t.waitlisted as i64,
            });
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::in_zone;

    fn now() -> NaiveDateTime {
        crate::clock::Clock::system().now()
    }

    #[test]
    fn newcomers_take_the_last_seats_then_queue_behind_those_waiting() {
        let t = places(Some(3), 2, 1, 7, 3);
        let wait = |ticket, position| Place::Waitlist { ticket, position };
        assert_eq!(t.places, vec![Place::Seat, wait(8, 2), wait(9, 3)]);
        assert_eq!((t.registered, t.waitlisted, t.seq), (3, 3, 9));
        let open = places(None, 500, 0, 0, 2);
        assert_eq!(open.places, vec![Place::Seat, Place::Seat]);
        assert_eq!(open.registered, 502);
        assert_eq!(places(Some(1), 1, 0, 0, 0).places, vec![]);
    }

    fn input(tz: &str, starts: &str) -> NewEvent {
        NewEvent {
            title: Some("高端聚酰胺产业机遇座谈会".into()),
            city: Some("福州".into()),
            timezone: Some(tz.into()),
            starts_at: Some(starts.into()),
            ..Default::default()
        }
    }

    fn make(tz: &str, starts: &str) -> EventRow {
        new_event(input(tz, starts), "e1".into(), now()).unwrap()
    }

    fn fields(e: Error) -> Vec<String> {
        match e {
            Error::Validation(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn new_events_default_to_draft_and_other() {
        let row = make("Asia/Shanghai", "2024-03-04T14:00:00");
        assert_eq!((row.status.as_str(), row.kind.as_str()), ("draft", "other"));
        assert_eq!(
            in_zone(row.starts_at, row.tz()).to_rfc3339(),
            "2024-03-04T14:00:00+08:00"
        );
    }

    #[test]
    fn missing_and_bad_fields_are_all_listed() {
        let e = new_event(
            NewEvent {
                capacity: Some(0),
                kind: Some("party".into()),
                ..Default::default()
            },
            "x".into(),
            now(),
        )
        .unwrap_err();
        assert_eq!(
            fields(e),
            ["title", "city", "kind", "timezone", "starts_at", "capacity"]
        );
        let mut long = input("Asia/Shanghai", "2024-03-04T14:00:00");
        long.title = Some("长".repeat(201));
        assert_eq!(fields(new_event(long, "x".into(), now()).unwrap_err()), ["title"]);
    }

    #[test]
    fn end_must_follow_start() {
        let mut i = input("Asia/Tokyo", "2024-03-04T14:00:00");
        i.ends_at = Some("2024-03-04T13:00:00".into());
        assert_eq!(fields(new_event(i, "x".into(), now()).unwrap_err()), ["ends_at"]);
    }

    #[test]
    fn transitions_follow_the_life_cycle() {
        use EventStatus::*;
        for (from, to) in [
            (Draft, Scheduled),
            (Scheduled, Completed),
            (Draft, Cancelled),
            (Scheduled, Cancelled),
        ] {
            assert!(check_transition(from, to).is_ok(), "{from} → {to}");
        }
        for (from, to) in [
            (Scheduled, Draft),
            (Draft, Completed),
            (Completed, Cancelled),
            (Cancelled, Scheduled),
            (Completed, Scheduled),
            (Cancelled, Draft),
        ] {
            let e = check_transition(from, to).unwrap_err();
            assert!(e.to_string().contains(from.as_str()) && e.to_string().contains(to.as_str()));
        }
    }

    #[test]
    fn changing_zone_keeps_wall_clock_time() {
        let row = make("Asia/Shanghai", "2024-03-04T14:00:00");
        let patch = EventPatch {
            timezone: Some("Asia/Tokyo".into()),
            ..Default::default()
        };
        let new = apply_patch(&row, patch, now()).unwrap();
        assert_eq!(
            in_zone(new.starts_at, new.tz()).to_rfc3339(),
            "2024-03-04T14:00:00+09:00"
        );
        assert_eq!(new.version, 2);
        assert_eq!(new.sequence, 1);
    }

    #[test]
    fn zone_change_into_a_dst_gap_is_refused() {
        let row = make("Asia/Shanghai", "2025-03-30T02:30:00");
        let patch = EventPatch {
            timezone: Some("Europe/Berlin".into()),
            ..Default::default()
        };
        assert_eq!(fields(apply_patch(&row, patch, now()).unwrap_err()), ["starts_at"]);
    }

    #[test]
    fn sequence_only_rises_for_calendar_changes() {
        let row = make("Asia/Shanghai", "2024-03-04T14:00:00");
        let new = apply_patch(
            &row,
            EventPatch {
                title: Some("新标题".into()),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
        assert_eq!(new.sequence, 0);
        let new = apply_patch(
            &row,
            EventPatch {
                venue: Some(Some("香格里拉".into())),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
        assert_eq!(new.sequence, 1);
    }

    #[test]
    fn cancel_keeps_reason_and_refuses_twice() {
        let row = make("Asia/Shanghai", "2024-03-04T14:00:00");
        let cancelled = cancel(&row, Some("台风".into()), now()).unwrap();
        assert_eq!(cancelled.cancel_reason.as_deref(), Some("台风"));
        assert!(matches!(cancel(&cancelled, None, now()), Err(Error::Conflict { .. })));
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let mut i = input("Asia/Shanghai", "2024-03-04T14:00:00");
        i.tags = Some(vec![" 新材料 ".into(), "新材料".into(), "PA66".into()]);
        assert_eq!(new_event(i, "x".into(), now()).unwrap().tag_list(), ["新材料", "PA66"]);
    }
}
