//! Reminder rules as plain functions: reading ISO 8601 offsets, when each reminder is
//! due, and how long a failed send waits before the next try.

use chrono::{Days, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{Error, FieldError};

/// The most rules one event may have.
pub const MAX_RULES: usize = 10;
/// The furthest ahead a reminder may be: a year.
const MAX_DAYS: u32 = 366;

/// An offset before an event's start: whole calendar days in the event's zone, then an
/// exact number of minutes (`P1DT2H` is 14:00 the day before, minus two hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Offset {
    pub days: u32,
    pub minutes: u32,
}

impl Offset {
    /// The canonical ISO 8601 text: `P7D`, `PT2H`, `P1DT30M`.
    pub fn to_iso(self) -> String {
        let mut s = String::from("P");
        if self.days > 0 {
            s += &format!("{}D", self.days);
        }
        let (h, m) = (self.minutes / 60, self.minutes % 60);
        if h > 0 || m > 0 {
            s.push('T');
            if h > 0 {
                s += &format!("{h}H");
            }
            if m > 0 {
                s += &format!("{m}M");
            }
        }
        s
    }
}

/// Reads an ISO 8601 duration made of weeks, days, hours and minutes (`P1W`, `P1D`,
/// `PT2H`, `PT30M`, `P1DT12H`). Years and months (no fixed length) and seconds are refused.
pub fn parse(text: &str) -> Result<Offset, String> {
    let bad =
        || format!("{text:?} is not an ISO 8601 duration of weeks, days, hours or minutes (e.g. P1D, PT2H, PT30M)");
    let upper = text.trim().to_ascii_uppercase();
    let rest = upper.strip_prefix('P').ok_or_else(bad)?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return Err(bad()),
        None => (rest, None),
    };
    let (mut days, mut minutes) = (0u64, 0u64);
    let mut seen = false;
    for (n, unit) in parts(date).ok_or_else(bad)? {
        seen = true;
        match unit {
            'W' => days += n * 7,
            'D' => days += n,
            _ => return Err(bad()),
        }
    }
    if let Some(time) = time {
        for (n, unit) in parts(time).ok_or_else(bad)? {
            seen = true;
            match unit {
                'H' => minutes += n * 60,
                'M' => minutes += n,
                _ => return Err(bad()),
            }
        }
    }
    if !seen {
        return Err(bad());
    }
    // Whole days of minutes stay exact durations: PT48H is 48 hours, not two days.
    if days == 0 && minutes == 0 {
        return Err(format!("{text:?} is zero; a reminder must come before the start"));
    }
    if days + minutes / (24 * 60) > MAX_DAYS as u64 {
        return Err(format!("{text:?} is more than {MAX_DAYS} days before the start"));
    }
    Ok(Offset {
        days: days as u32,
        minutes: minutes as u32,
    })
}

/// Splits `1D2H` into (1,'D'), (2,'H'); `None` on anything else.
fn parts(s: &str) -> Option<Vec<(u64, char)>> {
    let mut out = Vec::new();
    let mut number = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() {
            number.push(ch);
        } else {
            if number.is_empty() || number.len() > 6 {
                return None;
            }
            out.push((number.parse().ok()?, ch));
            number.clear();
        }
    }
    number.is_empty().then_some(out)
}

/// Checks a rule list: each a valid offset (422 naming `rules[i]` and the text), no more
/// than [`MAX_RULES`]; answers the canonical texts, repeats dropped, furthest first.
pub fn validate(rules: &[String]) -> Result<Vec<String>, Error> {
    let mut errors = Vec::new();
    let mut offsets = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        match parse(rule) {
            Ok(o) => offsets.push(o),
            Err(m) => errors.push(FieldError::new(format!("rules[{i}]"), m)),
        }
    }
    if rules.len() > MAX_RULES {
        errors.push(FieldError::new("rules", format!("at most {MAX_RULES} rules")));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    offsets.sort_by(|a, b| b.cmp(a));
    offsets.dedup();
    Ok(offsets.into_iter().map(Offset::to_iso).collect())
}

/// Reads a stored rule list (written by [`validate`]); unreadable entries are skipped.
pub fn stored(json: &str) -> Vec<(String, Offset)> {
    let list: Vec<String> = serde_json::from_str(json).unwrap_or_default();
    list.into_iter()
        .filter_map(|r| parse(&r).ok().map(|o| (r, o)))
        .collect()
}

/// When a reminder `offset` before an event starting at `starts_at` (UTC) in `tz` is
/// due, in UTC. Days are calendar days in the event's zone (the same wall-clock time
/// that many days earlier, whatever DST does in between); minutes are exact.
pub fn due_at(starts_at: NaiveDateTime, tz: Tz, offset: Offset) -> NaiveDateTime {
    let local = Utc.from_utc_datetime(&starts_at).with_timezone(&tz).naive_local();
    let day = local.checked_sub_days(Days::new(offset.days as u64)).unwrap_or(local);
    let instant = match tz.from_local_datetime(&day) {
        LocalResult::Single(t) => t.naive_utc(),
        // The wall time happens twice (DST ends): the first one, so it is never late.
        LocalResult::Ambiguous(first, _) => first.naive_utc(),
        // The wall time does not exist (DST gap): as many hours before the start as a
        // day would usually be (the clock skipped that hour).
        LocalResult::None => starts_at - Duration::days(offset.days as i64),
    };
    instant - Duration::minutes(offset.minutes as i64)
}

/// The reminders to plan now for an event: each rule with its due time, leaving out
/// those already past at `now` (a late registration never gets a "7 days before").
pub fn plan(
    starts_at: NaiveDateTime,
    tz: Tz,
    rules: &[(String, Offset)],
    now: NaiveDateTime,
) -> Vec<(String, NaiveDateTime)> {
    rules
        .iter()
        .map(|(text, o)| (text.clone(), due_at(starts_at, tz, *o)))
        .filter(|(_, due)| *due > now)
        .collect()
}

/// How long to wait after failed attempt number `attempt` (1-based): 30 s doubling up
/// to an hour, plus up to a quarter of it at random so retries of many emails spread out.
pub fn backoff(attempt: i32, jitter: f64) -> Duration {
    let base = 30i64
        .saturating_mul(1i64 << attempt.clamp(1, 20).saturating_sub(1))
        .min(3600);
    let extra = (base as f64 * 0.25 * jitter.clamp(0.0, 1.0)) as i64;
    Duration::seconds(base + extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn durations_parse_to_days_and_minutes() {
        assert_eq!(parse("P7D").unwrap(), Offset { days: 7, minutes: 0 });
        assert_eq!(parse("P1W").unwrap(), Offset { days: 7, minutes: 0 });
        assert_eq!(parse("PT2H").unwrap(), Offset { days: 0, minutes: 120 });
        assert_eq!(parse("pt30m").unwrap(), Offset { days: 0, minutes: 30 });
        assert_eq!(parse("P1DT12H").unwrap(), Offset { days: 1, minutes: 720 });
        assert_eq!(parse("PT48H").unwrap().to_iso(), "PT48H");
        for bad in [
            "", "P", "PT", "1D", "P1M", "P1Y", "PT1S", "P-1D", "PT0M", "P1.5D", "P400D", "P1D2H", "PDT",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_bad_rule_and_canonicalises() {
        let ok = validate(&["PT2H".into(), "p1d".into(), "P1W".into(), "P7D".into()]).unwrap();
        assert_eq!(ok, vec!["P7D", "P1D", "PT2H"]);
        let Err(Error::Validation(errors)) = validate(&["P1D".into(), "tomorrow".into()]) else {
            panic!("expected 422")
        };
        assert_eq!(errors[0].field, "rules[1]");
        assert!(errors[0].message.contains("tomorrow"), "{}", errors[0].message);
    }

    #[test]
    fn a_day_before_is_the_same_wall_time_in_the_event_zone() {
        // Fuzhou, 4 March 2024 14:00 (+08:00) = 06:00 UTC.
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        let start = at(2024, 3, 4, 6, 0);
        assert_eq!(due_at(start, shanghai, parse("P1D").unwrap()), at(2024, 3, 3, 6, 0));
        assert_eq!(due_at(start, shanghai, parse("PT2H").unwrap()), at(2024, 3, 4, 4, 0));
        assert_eq!(due_at(start, shanghai, parse("P1DT2H").unwrap()), at(2024, 3, 3, 4, 0));
    }

    #[test]
    fn days_cross_a_dst_change_as_calendar_days_and_hours_stay_exact() {
        // Berlin moves to summer time at 02:00 on 31 March 2024. An event at 14:00 CEST
        // on 1 April (12:00 UTC): a week before is 25 March 14:00 CET = 13:00 UTC, where
        // 7 × 24 hours would have said 12:00 UTC (13:00 local).
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let start = at(2024, 4, 1, 12, 0);
        assert_eq!(due_at(start, berlin, parse("P7D").unwrap()), at(2024, 3, 25, 13, 0));
        assert_eq!(due_at(start, berlin, parse("P1D").unwrap()), at(2024, 3, 31, 12, 0));
        // An event on 31 March 14:00 CEST (12:00 UTC): a day before is 30 March 14:00 CET
        // (13:00 UTC), only 23 hours earlier; PT24H is exactly 24 hours.
        let start = at(2024, 3, 31, 12, 0);
        assert_eq!(due_at(start, berlin, parse("P1D").unwrap()), at(2024, 3, 30, 13, 0));
        assert_eq!(due_at(start, berlin, parse("PT24H").unwrap()), at(2024, 3, 30, 12, 0));
        // New York in autumn: 3 November 2024 ends DST; an event at 10:00 EST (15:00 UTC)
        // on 4 November is reminded at 10:00 EDT (14:00 UTC) on 3 November.
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            due_at(at(2024, 11, 4, 15, 0), ny, parse("P1D").unwrap()),
            at(2024, 11, 3, 15, 0)
        );
    }

    #[test]
    fn a_wall_time_lost_to_dst_falls_back_to_whole_days() {
        // Berlin 1 April 2024 02:30 CEST (00:30 UTC): 31 March 02:30 never happened.
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let start = at(2024, 4, 1, 0, 30);
        assert_eq!(due_at(start, berlin, parse("P1D").unwrap()), at(2024, 3, 31, 0, 30));
    }

    #[test]
    fn reminders_already_past_are_not_planned() {
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        let start = at(2024, 3, 4, 6, 0);
        let rules: Vec<(String, Offset)> = ["P7D", "P1D", "PT2H"]
            .iter()
            .map(|r| (r.to_string(), parse(r).unwrap()))
            .collect();
        // Registering 3 days before: no "7 days before".
        let planned = plan(start, shanghai, &rules, at(2024, 3, 1, 6, 0));
        let names: Vec<&str> = planned.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(names, vec!["P1D", "PT2H"]);
        assert!(plan(start, shanghai, &rules, at(2024, 3, 4, 5, 0)).is_empty());
    }

    #[test]
    fn backoff_doubles_to_an_hour_with_bounded_jitter() {
        assert_eq!(backoff(1, 0.0), Duration::seconds(30));
        assert_eq!(backoff(2, 0.0), Duration::seconds(60));
        assert_eq!(backoff(3, 1.0), Duration::seconds(150));
        assert_eq!(backoff(30, 0.0), Duration::seconds(3600));
        assert!(backoff(2, 0.5) > backoff(2, 0.0));
    }
}
