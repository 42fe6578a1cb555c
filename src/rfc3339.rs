//! API times as RFC 3339 text, written straight into a small buffer. Byte for byte what
//! chrono's serde writes (fractional seconds only when present, in 3, 6 or 9 digits;
//! `Z` for UTC), but without `core::fmt`, which perf showed as a visible share of
//! the event list. Use with `#[serde(serialize_with = "crate::rfc3339::serialize")]`.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use serde::{Serialize, Serializer};

/// Serialises a time like chrono does, only faster.
pub fn serialize<S: Serializer>(t: &DateTime<FixedOffset>, serializer: S) -> Result<S::Ok, S::Error> {
    match Text::of(t) {
        Some(text) => serializer.serialize_str(text.as_str()),
        None => t.serialize(serializer),
    }
}

/// [`serialize`] for an optional time (null when absent).
pub fn serialize_option<S: Serializer>(t: &Option<DateTime<FixedOffset>>, serializer: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize(t, serializer),
        None => serializer.serialize_none(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.fffffffff+HH:MM` at its longest.
struct Text {
    bytes: [u8; 35],
    len: usize,
}

impl Text {
    /// The text of `t`, or None for what chrono should write itself (years outside
    /// 0–9999, leap seconds, offsets with seconds).
    fn of(t: &DateTime<FixedOffset>) -> Option<Text> {
        let local = t.naive_local();
        let year = local.year();
        let nanos = local.nanosecond();
        let offset = t.offset().local_minus_utc();
        if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 || offset % 60 != 0 {
            return None;
        }
        let mut text = Text { bytes: [0; 35], len: 0 };
        text.digits(year as u32, 4);
        text.byte(b'-');
        text.digits(local.month(), 2);
        text.byte(b'-');
        text.digits(local.day(), 2);
        text.byte(b'T');
        text.digits(local.hour(), 2);
        text.byte(b':');
        text.digits(local.minute(), 2);
        text.byte(b':');
        text.digits(local.second(), 2);
        if nanos != 0 {
            text.byte(b'.');
            if nanos.is_multiple_of(1_000_000) {
                text.digits(nanos / 1_000_000, 3);
            } else if nanos.is_multiple_of(1_000) {
                text.digits(nanos / 1_000, 6);
            } else {
                text.digits(nanos, 9);
            }
        }
        if offset == 0 {
            text.byte(b'Z');
            return Some(text);
        }
        text.byte(if offset < 0 { b'-' } else { b'+' });
        let minutes = offset.unsigned_abs() / 60;
        text.digits(minutes / 60, 2);
        text.byte(b':');
        text.digits(minutes % 60, 2);
        Some(text)
    }

    fn byte(&mut self, b: u8) {
        self.bytes[self.len] = b;
        self.len += 1;
    }

    /// `value` in exactly `width` decimal digits, zero-padded.
    fn digits(&mut self, mut value: u32, width: usize) {
        for i in (0..width).rev() {
            self.bytes[self.len + i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.len += width;
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are ever written.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
    use serde::Serialize;

    #[derive(Serialize)]
    struct Fast {
        #[serde(serialize_with = "super::serialize")]
        t: DateTime<FixedOffset>,
        #[serde(serialize_with = "super::serialize_option")]
        maybe: Option<DateTime<FixedOffset>>,
    }

    #[derive(Serialize)]
    struct Chrono {
        t: DateTime<FixedOffset>,
        maybe: Option<DateTime<FixedOffset>>,
    }

    #[test]
    fn writes_what_chrono_writes() {
        let offsets = [
            0,
            8 * 3600,
            9 * 3600,
            -5 * 3600,
            5 * 3600 + 45 * 60,
            -(9 * 3600 + 30 * 60),
            37,
        ];
        let nanos = [0, 5_000_000, 123_000_000, 123_456_000, 1, 999_999_999, 42_000];
        let days = [
            (2030, 1, 1),
            (1999, 12, 31),
            (2024, 2, 29),
            (9999, 12, 31),
            (1, 1, 1),
            (0, 6, 15),
            (10000, 1, 1),
        ];
        for &(y, m, d) in &days {
            for &n in &nanos {
                for &o in &offsets {
                    let naive = NaiveDate::from_ymd_opt(y, m, d)
                        .and_then(|d| d.and_hms_nano_opt(23, 7, 59, n))
                        .unwrap();
                    let zone = FixedOffset::east_opt(o).unwrap();
                    let t = zone.from_utc_datetime(&naive);
                    for maybe in [None, Some(t)] {
                        let fast = serde_json::to_string(&Fast { t, maybe }).unwrap();
                        let chrono = serde_json::to_string(&Chrono { t, maybe }).unwrap();
                        assert_eq!(fast, chrono);
                    }
                }
            }
        }
    }
}
