//! When a team's digest is due, and which day it covers.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

/// The most intentions one digest lists; it counts the rest.
pub const MAX_ITEMS: i64 = 100;

/// Reads `digest.local_time`: `HH:MM` on a 24-hour clock.
pub fn parse_local_time(s: &str) -> Result<NaiveTime, String> {
    let s = s.trim();
    let ok = s.len() == 5 && s.as_bytes()[2] == b':';
    NaiveTime::parse_from_str(s, "%H:%M")
        .ok()
        .filter(|_| ok)
        .ok_or_else(|| format!("{s:?} is not a time of day like 08:30 (HH:MM, 24-hour)"))
}

/// The team's local day whose digest is due at `now`: today, once the wall clock in
/// `tz` has reached `at` (wall time, so a DST change moves nothing); before that none.
pub fn due_day(now: DateTime<Utc>, tz: Tz, at: NaiveTime) -> Option<NaiveDate> {
    let local = now.with_timezone(&tz).naive_local();
    (local.time() >= at).then(|| local.date())
}

/// Whether a digest for `day` may still go out at `now`: not once the team's day is
/// over (the next day's digest lists the same intentions, and more).
pub fn still_current(day: NaiveDate, now: DateTime<Utc>, tz: Tz) -> bool {
    now.with_timezone(&tz).date_naive() <= day
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::{America::Los_Angeles, Asia::Shanghai};

    fn at(s: &str) -> NaiveTime {
        parse_local_time(s).unwrap()
    }

    #[test]
    fn local_time_is_hh_mm() {
        assert_eq!(at("08:30"), NaiveTime::from_hms_opt(8, 30, 0).unwrap());
        assert_eq!(at(" 23:59 "), NaiveTime::from_hms_opt(23, 59, 0).unwrap());
        for bad in ["8:30", "24:00", "08:60", "0830", "08:30:00", "", "noon"] {
            assert!(parse_local_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_day_comes_due_at_the_local_time_in_each_zone() {
        // 00:29 UTC on 4 March: 08:29 in Shanghai, 16:29 the day before in Los Angeles.
        let now = Utc.with_ymd_and_hms(2024, 3, 4, 0, 29, 0).unwrap();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(due_day(now, Shanghai, at("08:30")), None);
        assert_eq!(due_day(now, Los_Angeles, at("08:30")), Some(day(2024, 3, 3)));
        let later = now + chrono::Duration::minutes(1);
        assert_eq!(due_day(later, Shanghai, at("08:30")), Some(day(2024, 3, 4)));
        // 16:31 UTC: 08:31 in Los Angeles (PST, UTC-8) on 4 March.
        let la_morning = Utc.with_ymd_and_hms(2024, 3, 4, 16, 31, 0).unwrap();
        assert_eq!(due_day(la_morning, Los_Angeles, at("08:30")), Some(day(2024, 3, 4)));
        // After the switch to PDT (10 March 2024) 08:30 is 15:30 UTC.
        let pdt = Utc.with_ymd_and_hms(2024, 3, 11, 15, 30, 0).unwrap();
        assert_eq!(due_day(pdt, Los_Angeles, at("08:30")), Some(day(2024, 3, 11)));
    }

    #[test]
    fn a_digest_goes_stale_when_its_day_ends() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 4).unwrap();
        let late = Utc.with_ymd_and_hms(2024, 3, 4, 15, 59, 0).unwrap(); // 23:59 Shanghai
        assert!(still_current(day, late, Shanghai));
        assert!(!still_current(day, late + chrono::Duration::minutes(1), Shanghai));
    }
}
