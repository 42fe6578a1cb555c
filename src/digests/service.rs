//! Digest use cases: planning the day's digests, and reading one when it is sent.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;

use super::model::Digest;
use super::{queries, rules};
use crate::clock::Clock;
use crate::db::{Database, Db};
use crate::error::Error;
use crate::reminders::model::EmailRow;
use crate::reminders::queries as outbox;
use crate::teams::queries as teams;

/// What one planning round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    /// Team days recorded by this round.
    pub days: usize,
    /// Digest emails put in the outbox (days with nothing to list get none).
    pub emails: usize,
}

/// Plans the digests due at the clock's "now": for every team with an email address
/// whose local time has reached `at` and whose day has no digest yet, records the day
/// and, when something is overdue or due that day, queues one digest email. Safe to run
/// from any number of workers at once: the (team, day) key admits one of them.
pub async fn plan(db: &Database, clock: &Clock, at: NaiveTime) -> Result<Planned, Error> {
    let now = clock.now_utc();
    let recipients = db.read(queries::recipients).await?;
    let due: Vec<(String, NaiveDate)> = recipients
        .into_iter()
        .filter_map(|(id, zone)| {
            let tz: Tz = zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
            rules::due_day(now, tz, at).map(|day| (id, day))
        })
        .collect();
    if due.is_empty() {
        return Ok(Planned::default());
    }
    let days: Vec<NaiveDate> = due
        .iter()
        .map(|(_, d)| *d)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let done = db.read(move |c| queries::planned(c, &days)).await?;
    let mut planned = Planned::default();
    for (team_id, day) in due.into_iter().filter(|key| !done.contains(key)) {
        let now = clock.now();
        // None: another worker planned it between the look and the write.
        if let Some(queued) = db.write(move |c| plan_one(c, &team_id, day, now)).await? {
            planned.days += 1;
            planned.emails += usize::from(queued);
        }
    }
    Ok(planned)
}

/// Claims the team's day and queues its email if it has something to list; `None`
/// when the day was already claimed, else whether an email was queued.
fn plan_one(c: &mut Db, team_id: &str, day: NaiveDate, now: NaiveDateTime) -> Result<Option<bool>, Error> {
    let (overdue, due_today) = queries::counts(c, team_id, day)?;
    let total = overdue + due_today;
    if !queries::claim_day(c, team_id, day, total, now)? {
        return Ok(None);
    }
    if total == 0 {
        return Ok(Some(false));
    }
    let email = EmailRow::digest(team_id, now);
    outbox::insert(c, &email)?;
    queries::attach_email(c, team_id, day, &email.id)?;
    Ok(Some(true))
}

/// The digest an outbox email carries, as it stands now (an intention moved on since
/// the planning is left out).
pub fn load(c: &mut Db, email_id: &str) -> Result<Digest, Error> {
    let (team_id, day) = queries::of_email(c, email_id)?;
    let team = teams::get(c, &team_id)?;
    let (overdue, due_today) = queries::counts(c, &team_id, day)?;
    let items = queries::items(c, &team_id, day, rules::MAX_ITEMS)?;
    Ok(Digest {
        team,
        day,
        items,
        overdue,
        due_today,
    })
}
