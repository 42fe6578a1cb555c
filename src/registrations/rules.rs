//! Registration rules: who may register when, and which changes a registration allows.

use chrono::NaiveDateTime;

use super::model::{AttendeeRole, NewRegistration, RegistrationQuery, RegistrationRow, RegistrationStatus};
use super::queries::{Filter, Key};
use crate::contacts::model::{self as contacts, ContactFields, NewContact};
use crate::error::Error;
use crate::events::model::{EventCounts, EventRow, EventStatus};
use crate::pagination;
use crate::time::in_zone;
use crate::validation::{uuid, Checks};

const NOTES_MAX: usize = 2_000;

/// Who is registering.
#[derive(Debug, Clone)]
pub enum Person {
    /// An existing contact, by id.
    Existing(String),
    /// Someone described inline, with the name of their company if given.
    Inline(ContactFields, Option<String>),
}

/// A validated registration request.
#[derive(Debug, Clone)]
pub struct RegisterInput {
    pub person: Person,
    pub role: AttendeeRole,
    pub notes: Option<String>,
}

/// Validates a registration request.
pub fn validate(input: NewRegistration) -> Result<RegisterInput, Error> {
    let mut c = Checks::default();
    let role = match input.role {
        Some(r) => c.check(AttendeeRole::parse("role", &r)),
        None => Some(AttendeeRole::Guest),
    };
    let notes = c.long_text("notes", input.notes, NOTES_MAX);
    let person = match input.contact_id {
        Some(id) => {
            let inline = [
                &input.name,
                &input.email,
                &input.phone,
                &input.title,
                &input.company_name,
            ];
            if inline.iter().any(|f| f.is_some()) {
                c.fail("contact_id", "give either contact_id or the person's fields, not both");
            }
            c.check(uuid("contact_id", &id)).map(Person::Existing)
        }
        None => {
            let company = c.text("company_name", input.company_name, 200);
            let fields = contacts::validate(
                NewContact {
                    name: input.name,
                    email: input.email,
                    phone: input.phone,
                    title: input.title,
                    language: input.language,
                    timezone: input.timezone,
                    ..Default::default()
                },
                &mut c,
            );
            fields.map(|f| Person::Inline(f, company))
        }
    };
    c.finish()?;
    match (person, role) {
        (Some(person), Some(role)) => Ok(RegisterInput { person, role, notes }),
        _ => Err(Error::invalid("body", "invalid registration")),
    }
}

/// 409 unless the event takes registrations now: scheduled and not closed.
pub fn check_open(event: &EventRow, now: NaiveDateTime) -> Result<(), Error> {
    let why = match event.status() {
        EventStatus::Scheduled => None,
        EventStatus::Draft => Some("the event is still a draft; schedule it first".to_string()),
        EventStatus::Cancelled => Some("the event is cancelled".to_string()),
        EventStatus::Completed => Some("the event is completed".to_string()),
    };
    if let Some(why) = why {
        return Err(Error::conflict(format!("registration is not open: {why}")));
    }
    if let Some(closes) = event.registration_closes_at {
        if now >= closes {
            return Err(Error::conflict(format!(
                "registration closed at {}",
                in_zone(closes, event.tz()).to_rfc3339()
            )));
        }
    }
    Ok(())
}

/// How many waitlisted registrations get a seat now.
pub fn seats_to_fill(capacity: Option<i32>, counts: &EventCounts) -> i32 {
    let free = match capacity {
        None => counts.waitlisted_count,
        Some(cap) => (cap - counts.registered_count).max(0),
    };
    free.min(counts.waitlisted_count).max(0)
}

/// 409 unless the registration may be checked in.
pub fn check_can_check_in(reg: &RegistrationRow) -> Result<(), Error> {
    match reg.status() {
        RegistrationStatus::Registered => Ok(()),
        other => Err(Error::conflict(format!(
            "only registered attendees can check in; this registration is {other}"
        ))),
    }
}

/// 409 when a checked-in registration would be cancelled.
pub fn check_can_cancel(reg: &RegistrationRow) -> Result<(), Error> {
    if reg.checked_in_at.is_some() {
        return Err(Error::conflict(
            "this attendee has checked in; undo the check-in before cancelling",
        ));
    }
    Ok(())
}

/// Validates a role/notes change.
pub fn apply_patch(
    current: &RegistrationRow,
    role: Option<String>,
    notes: Option<Option<String>>,
    now: NaiveDateTime,
) -> Result<RegistrationRow, Error> {
    let mut c = Checks::default();
    let mut row = current.clone();
    if let Some(r) = role.and_then(|r| c.check(AttendeeRole::parse("role", &r))) {
        row.role = r.as_str().into();
    }
    if let Some(n) = notes {
        row.notes = c.long_text("notes", n, NOTES_MAX);
    }
    c.finish()?;
    row.version = current.version + 1;
    row.updated_at = now;
    Ok(row)
}

/// Validated list filters for an event's registrations, the cursor and the page size.
pub fn list_filter(event_id: String, q: RegistrationQuery) -> Result<(Filter, Option<Key>, i64), Error> {
    let (after, limit) = pagination::window::<Key>(q.limit, q.cursor.as_deref())?;
    let mut c = Checks::default();
    let filter = Filter {
        event_id: Some(event_id),
        contact_id: None,
        status: q
            .status
            .and_then(|s| c.check(RegistrationStatus::parse("status", &s)))
            .map(|s| s.as_str().into()),
        role: q
            .role
            .and_then(|r| c.check(AttendeeRole::parse("role", &r)))
            .map(|r| r.as_str().into()),
        company_id: q.company_id.and_then(|v| c.check(uuid("company_id", &v))),
        q: c.text("q", q.q, 200).map(|s| s.to_lowercase()),
    };
    c.finish()?;
    Ok((filter, after, limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::model::NewEvent;
    use crate::events::rules::new_event;

    fn event(status: &str, capacity: Option<i64>) -> EventRow {
        let input = NewEvent {
            title: Some("t".into()),
            city: Some("c".into()),
            timezone: Some("Asia/Shanghai".into()),
            starts_at: Some("2030-03-04T14:00:00".into()),
            capacity,
            ..Default::default()
        };
        let mut row = new_event(input, "e".into(), crate::clock::Clock::system().now()).unwrap();
        row.status = status.into();
        row
    }

    fn counts(registered: i32, waitlisted: i32) -> EventCounts {
        EventCounts {
            registered_count: registered,
            waitlisted_count: waitlisted,
            ..Default::default()
        }
    }

    #[test]
    fn closed_events_say_why() {
        let now = crate::clock::Clock::system().now();
        for (status, word) in [
            ("draft", "draft"),
            ("cancelled", "cancelled"),
            ("completed", "completed"),
        ] {
            let e = check_open(&event(status, None), now).unwrap_err();
            assert!(e.to_string().contains(word), "{e}");
        }
        let mut e = event("scheduled", None);
        e.registration_closes_at = Some(now - chrono::Duration::hours(1));
        assert!(check_open(&e, now).unwrap_err().to_string().contains("closed at"));
        assert!(check_open(&event("scheduled", Some(5)), now).is_ok());
    }

    #[test]
    fn seats_to_fill_never_exceeds_the_waitlist() {
        assert_eq!(seats_to_fill(Some(10), &counts(8, 5)), 2);
        assert_eq!(seats_to_fill(Some(10), &counts(8, 1)), 1);
        assert_eq!(seats_to_fill(Some(5), &counts(8, 3)), 0);
        assert_eq!(seats_to_fill(None, &counts(8, 3)), 3);
    }

    #[test]
    fn requests_need_a_person_one_way() {
        assert!(validate(NewRegistration::default()).is_err());
        let both = NewRegistration {
            contact_id: Some(crate::ids::new_id()),
            name: Some("x".into()),
            ..Default::default()
        };
        assert!(validate(both).is_err());
        let ok = NewRegistration {
            name: Some("王伟".into()),
            email: Some("w@x.cn".into()),
            ..Default::default()
        };
        assert!(matches!(validate(ok).unwrap().person, Person::Inline(..)));
    }
}
