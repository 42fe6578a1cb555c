//! Reading stored UTC times quickly. SQLite keeps them as text (`2030-01-01 09:00:00.123`)
//! and diesel parses that with chrono's format-string parser, which perf showed as about a
//! tenth of the event list's CPU; this reads the usual shape directly and leaves anything
//! else to diesel. Use with `#[diesel(deserialize_as = StoredTime)]` (or [`MaybeStoredTime`]
//! for nullable columns) on `NaiveDateTime` fields of queried rows.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::sql_types::{Nullable, Timestamp};
use diesel::sqlite::Sqlite;

use super::MultiBackend;

/// A stored UTC time, read without chrono's format parser on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct StoredTime(pub NaiveDateTime);

/// A nullable stored UTC time, read like [`StoredTime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct MaybeStoredTime(pub Option<NaiveDateTime>);

impl From<StoredTime> for NaiveDateTime {
    fn from(t: StoredTime) -> Self {
        t.0
    }
}

impl From<MaybeStoredTime> for Option<NaiveDateTime> {
    fn from(t: MaybeStoredTime) -> Self {
        t.0
    }
}

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if let Some(t) = parse_sqlite_text(value.read_text()) {
            return Ok(StoredTime(t));
        }
        // Any other shape diesel understands (written by hand, julian days…).
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(StoredTime)
    }
}

impl FromSql<Timestamp, Pg> for StoredTime {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(StoredTime)
    }
}

impl FromSql<Timestamp, MultiBackend> for StoredTime {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

impl FromSql<Nullable<Timestamp>, MultiBackend> for MaybeStoredTime {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value
            .from_sql::<StoredTime, Timestamp>()
            .map(|t| MaybeStoredTime(Some(t.0)))
    }

    fn from_nullable_sql(value: Option<<MultiBackend as Backend>::RawValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(v) => Self::from_sql(v),
            None => Ok(MaybeStoredTime(None)),
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` with up to nine fractional digits (what diesel writes), or None.
fn parse_sqlite_text(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to]
            .iter()
            .try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let nanos = match b.len() {
        19 => 0,
        21..=29 if b[19] == b'.' => num(20, b.len())? * 10u32.pow((29 - b.len()) as u32),
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    let time = NaiveTime::from_hms_nano_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?, nanos)?;
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::parse_sqlite_text;
    use chrono::NaiveDateTime;

    fn chrono(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%F %T%.f").unwrap()
    }

    #[test]
    fn reads_what_diesel_writes() {
        for s in [
            "2030-01-01 09:00:00",
            "2024-02-29 23:59:59.5",
            "2024-03-31 01:02:03.123456",
            "1999-12-31 00:00:00.123456789",
        ] {
            assert_eq!(parse_sqlite_text(s), Some(chrono(s)), "{s}");
        }
        let written = chrono("2026-11-26 10:11:12.000042").format("%F %T%.f").to_string();
        assert_eq!(parse_sqlite_text(&written), Some(chrono(&written)));
    }

    #[test]
    fn leaves_other_shapes_to_diesel() {
        for s in [
            "2030-01-01T09:00:00",
            "2030-01-01 09:00",
            "2030-01-01 09:00:00.",
            "2030-01-01 09:00:00+08:00",
            "2030-02-30 09:00:00",
            "2030-01-01 24:00:00",
            "2030-01-01 09:00:00.1234567890",
            "2459000.5",
            "２030-01-01 09:00:00",
        ] {
            assert_eq!(parse_sqlite_text(s), None, "{s}");
        }
    }
}
