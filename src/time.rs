//! Reading and writing instants in an event's IANA time zone.

use chrono::{DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::error::FieldError;

/// Wall-clock formats accepted when no offset is given.
const LOCAL_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
];

/// The first year an event may fall in (UTC).
pub const FIRST_YEAR: i32 = 1900;
/// The last year an event may fall in (UTC): past it, calendar work grows without use.
pub const LAST_YEAR: i32 = 2200;

/// Parses an IANA time zone name such as `Asia/Shanghai`.
pub fn parse_zone(field: &str, name: &str) -> Result<Tz, FieldError> {
    name.parse::<Tz>().map_err(|_| {
        FieldError::new(
            field,
            format!("{name:?} is not an IANA time zone name such as \"Asia/Shanghai\" or \"Europe/Berlin\""),
        )
    })
}

/// Reads `input` as RFC 3339 with an offset, or as wall-clock time in `tz`.
pub fn parse_instant(field: &str, input: &str, tz: Tz) -> Result<DateTime<Utc>, FieldError> {
    let input = input.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(input) {
        no_leap_second(field, t.nanosecond())?;
        let t = in_range(field, t.with_timezone(&Utc))?;
        return standard_offset(field, truncate(t), tz);
    }
    let local = LOCAL_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(input, f).ok())
        .ok_or_else(|| {
            FieldError::new(
                field,
                format!(
                    "{input:?} is not a time: use local wall time like 2024-03-04T14:00:00 \
                     or RFC 3339 with an offset like 2024-03-04T14:00:00+08:00"
                ),
            )
        })?;
    no_leap_second(field, local.nanosecond())?;
    local_to_utc(field, local, tz)
}

/// chrono reads `…:60` as a leap second; no event starts in one, and the databases
/// cannot store it.
fn no_leap_second(field: &str, nanosecond: u32) -> Result<(), FieldError> {
    if nanosecond >= 1_000_000_000 {
        return Err(FieldError::new(
            field,
            "is a leap second (:60); use :59 or the next minute",
        ));
    }
    Ok(())
}

/// Refuses instants outside the years [`FIRST_YEAR`]–[`LAST_YEAR`] (UTC).
fn in_range(field: &str, t: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&t.year()) {
        Ok(t)
    } else {
        Err(FieldError::new(
            field,
            format!("must be between the years {FIRST_YEAR} and {LAST_YEAR}"),
        ))
    }
}

/// Refuses instants when `tz` kept local mean time (an offset in seconds, such as
/// Shanghai's +08:05:43 until 1901), which RFC 3339 cannot write.
fn standard_offset(field: &str, t: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, FieldError> {
    let offset = tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc();
    if offset % 60 == 0 {
        return Ok(t);
    }
    Err(FieldError::new(
        field,
        format!(
            "{tz} kept local mean time then (UTC{}{:02}:{:02}:{:02}), an offset RFC 3339 cannot \
             write; pick a later date",
            if offset < 0 { '-' } else { '+' },
            offset.abs() / 3600,
            offset.abs() / 60 % 60,
            offset.abs() % 60
        ),
    ))
}

/// Converts wall-clock time in `tz` to UTC, refusing times a DST change skips or repeats.
pub fn local_to_utc(field: &str, local: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, FieldError> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => {
            let t = in_range(field, t.with_timezone(&Utc))?;
            standard_offset(field, truncate(t), tz)
        }
        LocalResult::None => Err(FieldError::new(
            field,
            format!(
                "{} does not exist in {tz}: the clocks skip it when daylight saving time starts \
                 (DST gap); pick another time",
                local.format("%Y-%m-%dT%H:%M:%S")
            ),
        )),
        LocalResult::Ambiguous(a, b) => Err(FieldError::new(
            field,
            format!(
                "{} is ambiguous in {tz}: it happens twice when daylight saving time ends \
                 (DST overlap); add the offset, {} or {}",
                local.format("%Y-%m-%dT%H:%M:%S"),
                a.fixed_offset().format("%:z"),
                b.fixed_offset().format("%:z")
            ),
        )),
    }
}

/// Shows a stored UTC instant in `tz`, with that zone's offset at the time.
pub fn in_zone(t: NaiveDateTime, tz: Tz) -> DateTime<FixedOffset> {
    Utc.from_utc_datetime(&t).with_timezone(&tz).fixed_offset()
}

/// The wall-clock time of a stored UTC instant in `tz`.
pub fn wall_clock(t: NaiveDateTime, tz: Tz) -> NaiveDateTime {
    Utc.from_utc_datetime(&t).with_timezone(&tz).naive_local()
}

/// A list-filter bound: an RFC 3339 instant, or a calendar date (local to each event).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    Instant(NaiveDateTime),
    Date(NaiveDate),
}

/// Parses a `from`/`to` filter value.
pub fn parse_bound(field: &str, input: &str) -> Result<Bound, FieldError> {
    if let Ok(d) = NaiveDate::parse_from_str(input, "%Y-%m-%d") {
        in_range(field, d.and_time(chrono::NaiveTime::MIN).and_utc())?;
        return Ok(Bound::Date(d));
    }
    let t = DateTime::parse_from_rfc3339(input).map_err(|_| {
        FieldError::new(
            field,
            format!("{input:?} is neither a date (2024-03-04) nor an RFC 3339 time (2024-03-04T14:00:00+08:00)"),
        )
    })?;
    no_leap_second(field, t.nanosecond())?;
    let t = in_range(field, t.with_timezone(&Utc))?;
    Ok(Bound::Instant(t.naive_utc()))
}

/// Cuts `t` to the precision both databases keep (microseconds).
pub fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(micros).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(name: &str) -> Tz {
        name.parse().unwrap()
    }

    #[test]
    fn wall_time_reads_in_the_zone() {
        let t = parse_instant("starts_at", "2024-03-04T14:00:00", tz("Asia/Shanghai")).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-04T06:00:00+00:00");
        assert_eq!(
            in_zone(t.naive_utc(), tz("Asia/Shanghai")).to_rfc3339(),
            "2024-03-04T14:00:00+08:00"
        );
    }

    #[test]
    fn offsets_win_over_the_zone() {
        let t = parse_instant("starts_at", "2024-03-04T14:00:00+09:00", tz("Asia/Shanghai")).unwrap();
        assert_eq!(
            in_zone(t.naive_utc(), tz("Asia/Shanghai")).to_rfc3339(),
            "2024-03-04T13:00:00+08:00"
        );
    }

    #[test]
    fn dst_gap_and_overlap_are_refused_with_reasons() {
        let gap = parse_instant("starts_at", "2025-03-30T02:30:00", tz("Europe/Berlin")).unwrap_err();
        assert!(gap.message.contains("does not exist"), "{}", gap.message);
        let overlap = parse_instant("starts_at", "2025-10-26T02:30:00", tz("Europe/Berlin")).unwrap_err();
        assert!(overlap.message.contains("ambiguous"), "{}", overlap.message);
        assert!(overlap.message.contains("+02:00") && overlap.message.contains("+01:00"));
        // With an offset the overlap is fine.
        assert!(parse_instant("starts_at", "2025-10-26T02:30:00+01:00", tz("Europe/Berlin")).is_ok());
    }

    #[test]
    fn garbage_and_unknown_zones_are_refused() {
        assert!(parse_instant("starts_at", "next tuesday", tz("UTC")).is_err());
        assert!(parse_zone("timezone", "Mars/Olympus").is_err());
        assert!(parse_zone("timezone", "Asia/Tokyo").is_ok());
    }

    #[test]
    fn bounds_take_dates_or_instants() {
        assert!(matches!(parse_bound("from", "2024-03-04"), Ok(Bound::Date(_))));
        assert!(matches!(
            parse_bound("from", "2024-03-04T00:00:00Z"),
            Ok(Bound::Instant(_))
        ));
        assert!(parse_bound("from", "March").is_err());
    }

    #[test]
    fn years_outside_1900_to_2200_are_refused() {
        let utc = tz("UTC");
        assert!(parse_instant("starts_at", "1900-01-01T00:00:00", utc).is_ok());
        assert!(parse_instant("starts_at", "2200-12-31T23:59:59Z", utc).is_ok());
        for bad in ["1899-12-31T23:59:59", "2201-01-01T00:00:00Z", "-10000-01-01T00:00:00"] {
            let e = parse_instant("starts_at", bad, utc).unwrap_err();
            assert_eq!(e.field, "starts_at", "{bad}");
        }
        assert!(parse_bound("to", "2201-01-01").is_err());
        assert!(parse_bound("from", "1899-12-31T00:00:00Z").is_err());
    }

    #[test]
    fn leap_seconds_are_refused() {
        for t in [
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60",
            "2017-01-01T07:59:60.5+08:00",
        ] {
            let e = parse_instant("starts_at", t, tz("Asia/Shanghai")).unwrap_err();
            assert!(e.message.contains("leap second"), "{t}: {}", e.message);
        }
        assert!(parse_bound("from", "2016-12-31T23:59:60Z").is_err());
    }

    #[test]
    fn local_mean_time_is_refused() {
        let e = parse_instant("starts_at", "1900-06-01T12:00:00", tz("Asia/Shanghai")).unwrap_err();
        assert!(e.message.contains("+08:05:43"), "{}", e.message);
        let t = parse_instant("starts_at", "1901-01-01T12:00:00", tz("Asia/Shanghai")).unwrap();
        assert_eq!(
            in_zone(t.naive_utc(), tz("Asia/Shanghai")).to_rfc3339(),
            "1901-01-01T12:00:00+08:00"
        );
    }
}
