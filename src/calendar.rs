//! iCalendar (RFC 5545) files for events and roadshows, with a VTIMEZONE per zone used.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use icalendar::{Calendar, CalendarDateTime, Component, EventLike, EventStatus as IcsStatus, Property};

use crate::events::model::{EventRow, EventStatus};
use crate::time::wall_clock;

/// The `Content-Type` of calendar files.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// A calendar holding `events`, each in its own zone; `base_url` makes their links.
pub fn build(name: &str, events: &[EventRow], base_url: &str) -> String {
    let mut cal = calendar("PUBLISH");
    cal.append_property(Property::new("X-WR-CALNAME", name));
    for row in events {
        cal.push(vevent(row, base_url));
    }
    let text = cal.done().to_string();
    insert_timezones(&text, &timezones(events))
}

/// What an invitation asks of the attendee's calendar program (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Add or update the entry (same UID, higher SEQUENCE replaces it).
    Request,
    /// Remove the entry.
    Cancel,
}

/// An iTIP invitation for one attendee: the event with its stable UID and current
/// SEQUENCE, the organiser (`organizer` address) and the attendee, as emails attach it.
pub fn invitation(event: &EventRow, base_url: &str, method: Method, organizer: &str, attendee: (&str, &str)) -> String {
    let mut cal = calendar(match method {
        Method::Request => "REQUEST",
        Method::Cancel => "CANCEL",
    });
    let mut ev = vevent(event, base_url);
    ev.append_property(Property::new("ORGANIZER", format!("mailto:{organizer}")));
    ev.append_property(attendee_property(attendee));
    if method == Method::Cancel {
        ev.status(IcsStatus::Cancelled);
    }
    cal.push(ev);
    let text = cal.done().to_string();
    insert_timezones(&text, &timezones(std::slice::from_ref(event)))
}

/// The attendee of an invitation: `(name, address)`.
fn attendee_property(attendee: (&str, &str)) -> Property {
    let mut who = Property::new("ATTENDEE", format!("mailto:{}", attendee.1));
    // A parameter value with separators must be quoted (and cannot hold quotes).
    let name = attendee.0.replace(['"', '\r', '\n'], " ");
    let name = if name.contains([';', ':', ',']) {
        format!("\"{name}\"")
    } else {
        name
    };
    who.add_parameter("CN", &name);
    who.add_parameter("ROLE", "REQ-PARTICIPANT");
    who
}

/// The attendee's content line(s), folded and ended as in a calendar file.
fn attendee_lines(attendee: (&str, &str)) -> Option<String> {
    TryInto::<String>::try_into(attendee_property(attendee)).ok()
}

/// One event's invitation with the attendee left open: everything every attendee's copy
/// shares (the event, its time zone's rules) is built once, then [`Invitation::to`]
/// writes each copy, the same text [`invitation`] gives.
pub struct Invitation {
    /// The text before and after the attendee's line(s).
    around: Option<(String, String)>,
    event: EventRow,
    base_url: String,
    method: Method,
    organizer: String,
}

impl Invitation {
    /// Prepares `event`'s invitation for any attendee.
    pub fn new(event: &EventRow, base_url: &str, method: Method, organizer: &str) -> Self {
        const STAND_IN: (&str, &str) = ("Roadshow stand-in", "stand-in@roadshow.invalid");
        let text = invitation(event, base_url, method, organizer, STAND_IN);
        let around = attendee_lines(STAND_IN).and_then(|line| {
            let (head, tail) = text.split_once(&line)?;
            Some((head.to_string(), tail.to_string()))
        });
        Invitation {
            around,
            event: event.clone(),
            base_url: base_url.to_string(),
            method,
            organizer: organizer.to_string(),
        }
    }

    /// Whether this was prepared from `event` as it is now, with these links and organiser.
    pub fn is_for(&self, event: &EventRow, base_url: &str, organizer: &str) -> bool {
        self.event == *event && self.base_url == base_url && self.organizer == organizer
    }

    /// The invitation for `attendee`: `(name, address)`.
    pub fn to(&self, attendee: (&str, &str)) -> String {
        match (&self.around, attendee_lines(attendee)) {
            (Some((head, tail)), Some(line)) => format!("{head}{line}{tail}"),
            // Not expected (the stand-in's line is always found): build it whole.
            _ => invitation(&self.event, &self.base_url, self.method, &self.organizer, attendee),
        }
    }
}

fn calendar(method: &str) -> Calendar {
    let mut cal = Calendar::empty();
    cal.append_property(Property::new("VERSION", "2.0"));
    cal.append_property(Property::new("PRODID", "-//Roadshow//Roadshow 1.0//EN"));
    cal.append_property(Property::new("CALSCALE", "GREGORIAN"));
    cal.append_property(Property::new("METHOD", method));
    cal
}

fn vevent(row: &EventRow, base_url: &str) -> icalendar::Event {
    let tz = row.tz();
    let local = |t: NaiveDateTime| CalendarDateTime::WithTimezone {
        date_time: wall_clock(t, tz),
        tzid: tz.name().to_string(),
    };
    let mut ev = icalendar::Event::new();
    ev.uid(&format!("{}@roadshow", row.id))
        .summary(&row.title)
        .starts(local(row.starts_at))
        .sequence(row.sequence.max(0) as u32)
        .timestamp(Utc.from_utc_datetime(&row.updated_at))
        .created(Utc.from_utc_datetime(&row.created_at))
        .last_modified(Utc.from_utc_datetime(&row.updated_at))
        .url(&format!("{base_url}/api/v1/events/{}", row.id))
        .status(match row.status() {
            EventStatus::Draft => IcsStatus::Tentative,
            EventStatus::Scheduled | EventStatus::Completed => IcsStatus::Confirmed,
            EventStatus::Cancelled => IcsStatus::Cancelled,
        });
    if let Some(end) = row.ends_at {
        ev.ends(local(end));
    }
    let place: Vec<&str> = [row.venue.as_deref(), row.address.as_deref(), Some(row.city.as_str())]
        .into_iter()
        .flatten()
        .collect();
    ev.location(&place.join(", "));
    let mut description = row.summary.clone().unwrap_or_default();
    if let Some(reason) = &row.cancel_reason {
        description = format!("Cancelled: {reason}\n\n{description}").trim_end().to_string();
    }
    if !description.is_empty() {
        ev.description(&description);
    }
    ev.done()
}

/// For each zone used, the UTC years its events span.
fn timezones(events: &[EventRow]) -> BTreeMap<String, (i32, i32)> {
    let mut zones: BTreeMap<String, (i32, i32)> = BTreeMap::new();
    for row in events {
        let years = [Some(row.starts_at), row.ends_at]
            .into_iter()
            .flatten()
            .map(|t| t.year());
        for y in years {
            let span = zones.entry(row.timezone.clone()).or_insert((y, y));
            *span = (span.0.min(y), span.1.max(y));
        }
    }
    zones
}

/// Places the VTIMEZONE components right after the calendar's own properties.
fn insert_timezones(text: &str, zones: &BTreeMap<String, (i32, i32)>) -> String {
    let blocks: String = zones
        .iter()
        .filter_map(|(name, (from, to))| Some(vtimezone(name.parse().ok()?, *from, *to)))
        .collect();
    match text.find("BEGIN:VEVENT") {
        Some(i) => format!("{}{}{}", &text[..i], blocks, &text[i..]),
        None => text.replace("END:VCALENDAR", &format!("{blocks}END:VCALENDAR")),
    }
}

/// A VTIMEZONE for `tz` holding every offset change from the start of `from` to the end of `to`.
pub fn vtimezone(tz: Tz, from: i32, to: i32) -> String {
    let (start, end) = years(from, to);
    let offset = |t: NaiveDateTime| tz.offset_from_utc_datetime(&t);
    let same = |a: &chrono_tz::TzOffset, b: &chrono_tz::TzOffset| {
        seconds_of(a) == seconds_of(b) && a.abbreviation() == b.abbreviation()
    };
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
    let first = offset(start);
    out += &sub_component(&first, &first, start + seconds(&first));
    // Changes are weeks apart: a day's step finds each, then a binary search over that
    // day's minutes (changes fall on whole minutes) finds the first minute after it.
    let step = Duration::days(1);
    let mut t = start;
    while t < end {
        let next = t + step;
        let before = offset(t);
        if same(&before, &offset(next)) {
            t = next;
            continue;
        }
        // Invariant: `lo` has the old offset, `hi` does not.
        let (mut lo, mut hi) = (t, next);
        while hi - lo > Duration::minutes(1) {
            let mid = lo + Duration::minutes((hi - lo).num_minutes() / 2);
            if same(&before, &offset(mid)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        out += &sub_component(&before, &offset(hi), hi + seconds(&before));
        // Go on from the change itself, so a second change the same day is found too.
        t = hi;
    }
    out + "END:VTIMEZONE\r\n"
}

/// Midnight UTC starting year `from` and ending year `to`.
fn years(from: i32, to: i32) -> (NaiveDateTime, NaiveDateTime) {
    let new_year = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .unwrap_or_default()
            .and_time(Default::default())
    };
    (new_year(from), new_year(to + 1))
}

fn seconds_of(o: &chrono_tz::TzOffset) -> i32 {
    o.fix().local_minus_utc()
}

fn seconds(o: &chrono_tz::TzOffset) -> Duration {
    Duration::seconds(seconds_of(o) as i64)
}

/// One STANDARD or DAYLIGHT block; its DTSTART is the local time before the change.
fn sub_component(before: &chrono_tz::TzOffset, after: &chrono_tz::TzOffset, onset: NaiveDateTime) -> String {
    let kind = if after.dst_offset().is_zero() {
        "STANDARD"
    } else {
        "DAYLIGHT"
    };
    let name = after.abbreviation().unwrap_or("");
    let mut s = format!(
        "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
        onset.format("%Y%m%dT%H%M%S"),
        ics_offset(seconds_of(before)),
        ics_offset(seconds_of(after)),
    );
    if !name.is_empty() && !name.starts_with(['+', '-']) {
        s += &format!("TZNAME:{name}\r\n");
    }
    s + &format!("END:{kind}\r\n")
}

fn ics_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.abs();
    format!("{sign}{:02}{:02}", secs / 3600, secs % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prepared_invitation_writes_what_a_whole_one_does() {
        let at = NaiveDate::from_ymd_opt(2030, 3, 4)
            .unwrap()
            .and_hms_opt(6, 0, 0)
            .unwrap();
        let event = EventRow {
            id: "e1".into(),
            title: "高端聚酰胺产业机遇座谈会, a long title that folds over more than one line".into(),
            summary: Some("Forum; notes".into()),
            kind: "forum".into(),
            industry_chain: None,
            platform: None,
            city: "福州".into(),
            venue: Some("Venue".into()),
            address: None,
            timezone: "Europe/Berlin".into(),
            starts_at: at,
            starts_local: at,
            ends_at: Some(at + Duration::hours(3)),
            capacity: None,
            registration_closes_at: None,
            status: "scheduled".into(),
            cancel_reason: None,
            roadshow_id: None,
            sequence: 3,
            created_at: at,
            updated_at: at,
            version: 1,
            public_registration: false,
            tags: "[]".into(),
        };
        for method in [Method::Request, Method::Cancel] {
            let prepared = Invitation::new(&event, "https://rs.example", method, "noreply@rs.example");
            assert!(prepared.around.is_some());
            for who in [
                ("Wang Wei", "wang.wei@example.com"),
                ("Smith, \"Jo\"; Dr.", "jo@example.com"),
                (
                    "山田 太郎 (東レ株式会社 研究開発本部 高機能材料研究所 主任研究員)",
                    "t.yamada@toray.example.co.jp",
                ),
            ] {
                let whole = invitation(&event, "https://rs.example", method, "noreply@rs.example", who);
                assert_eq!(prepared.to(who), whole);
            }
        }
    }

    #[test]
    fn berlin_has_both_changes_of_2025() {
        let z = vtimezone("Europe/Berlin".parse().unwrap(), 2025, 2025);
        assert!(
            z.contains("BEGIN:DAYLIGHT\r\nDTSTART:20250330T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200"),
            "{z}"
        );
        assert!(
            z.contains("BEGIN:STANDARD\r\nDTSTART:20251026T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100"),
            "{z}"
        );
    }

    #[test]
    fn shanghai_is_one_standard_block() {
        let z = vtimezone("Asia/Shanghai".parse().unwrap(), 2024, 2024);
        assert_eq!(z.matches("BEGIN:STANDARD").count(), 1, "{z}");
        assert!(z.contains("TZOFFSETTO:+0800"));
        assert!(!z.contains("DAYLIGHT"));
    }

    /// The earlier minute-by-minute scan, kept as the reference.
    fn reference(tz: Tz, from: i32, to: i32) -> String {
        let (start, end) = years(from, to);
        let offset = |t: NaiveDateTime| tz.offset_from_utc_datetime(&t);
        let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
        let first = offset(start);
        out += &sub_component(&first, &first, start + seconds(&first));
        let mut t = start;
        while t < end {
            let next = t + Duration::minutes(1);
            let (before, after) = (offset(t), offset(next));
            if seconds_of(&before) != seconds_of(&after) || before.abbreviation() != after.abbreviation() {
                out += &sub_component(&before, &after, next + seconds(&before));
            }
            t = next;
        }
        out + "END:VTIMEZONE\r\n"
    }

    #[test]
    fn finds_every_change_a_minute_scan_finds() {
        // DST both ways, half-hour DST (Lord Howe), Ramadan suspensions (Casablanca),
        // abolished DST (Tehran 2022), southern hemisphere (Santiago, Sydney).
        for zone in [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Sydney",
            "Australia/Lord_Howe",
            "Africa/Casablanca",
            "Asia/Tehran",
            "America/Santiago",
            "Asia/Tokyo",
        ] {
            let tz: Tz = zone.parse().unwrap();
            assert_eq!(vtimezone(tz, 2022, 2025), reference(tz, 2022, 2025), "{zone}");
        }
    }

    #[test]
    fn offsets_print_like_rfc_5545() {
        assert_eq!(ics_offset(8 * 3600), "+0800");
        assert_eq!(ics_offset(-(3 * 3600 + 30 * 60)), "-0330");
    }
}
