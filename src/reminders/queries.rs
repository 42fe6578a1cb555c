//! Storage of reminder rules and of the email outbox, including the leased claims that
//! keep two workers from sending the same email.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{EmailKind, EmailRow, EmailStatus};
use super::rules::{self, Offset};
use crate::db::prepared::{among, kept};
use crate::db::schema::{contacts, emails, event_reminder_rules, events, registrations};
use crate::db::stored_time::StoredTime;
use crate::db::Db;
use crate::error::Error;

/// The position after which a page starts: (due, id).
pub type Key = (NaiveDateTime, String);

/// The rules used where an event has none stored (never, after the migration).
const FALLBACK: &str = r#"["P7D","P1D","PT2H"]"#;

/// An event's rules as stored (canonical texts).
pub fn rules_text(c: &mut Db, event_id: &str) -> Result<Vec<String>, Error> {
    let json: Option<String> = event_reminder_rules::table
        .find(event_id)
        .select(event_reminder_rules::rules)
        .first(c)
        .optional()?;
    Ok(serde_json::from_str(json.as_deref().unwrap_or(FALLBACK)).unwrap_or_default())
}

/// An event's rules, read for planning.
pub fn rules_of(c: &mut Db, event_id: &str) -> Result<Vec<(String, Offset)>, Error> {
    let json: Option<String> = event_reminder_rules::table
        .find(event_id)
        .select(event_reminder_rules::rules)
        .first(c)
        .optional()?;
    Ok(rules::stored(json.as_deref().unwrap_or(FALLBACK)))
}

/// Stores an event's rules (already validated).
pub fn set_rules(c: &mut Db, event_id: &str, list: &[String], now: NaiveDateTime) -> Result<(), Error> {
    let json = serde_json::to_string(list).map_err(|e| Error::Internal(e.to_string()))?;
    let n = diesel::update(event_reminder_rules::table.find(event_id))
        .set((
            event_reminder_rules::rules.eq(&json),
            event_reminder_rules::updated_at.eq(now),
        ))
        .execute(c)?;
    if n == 0 {
        diesel::insert_into(event_reminder_rules::table)
            .values((
                event_reminder_rules::event_id.eq(event_id),
                event_reminder_rules::rules.eq(&json),
                event_reminder_rules::updated_at.eq(now),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// Adds an email to the outbox.
pub fn insert(c: &mut Db, row: &EmailRow) -> Result<(), Error> {
    diesel::insert_into(emails::table).values(row).execute(c)?;
    Ok(())
}

/// Stores new outbox rows: on PostgreSQL in one statement (a registration's
/// confirmation and reminders: one round trip instead of four).
pub fn insert_all(c: &mut Db, rows: &[EmailRow]) -> Result<(), Error> {
    crate::insert_many!(c, emails::table, rows)?;
    Ok(())
}

/// Which pending emails to drop.
pub enum Scope<'a> {
    Registration(&'a str),
    Event(&'a str),
    Contact(&'a str),
}

/// `column`, written so that SQLite cannot serve a filter on it from an index that
/// starts with it: `(kind, status)` for the metrics counts, and before migration 0015
/// `(status, next_attempt_at)` for the claims. Without statistics SQLite ranks those
/// level with a registration's or an event's index and took them, reading every
/// pending email (or every pending reminder) once per attendee: changing the rules of
/// an event of 2,500 attendees took minutes (`bench/delivery.sh`). `|| ''` changes no
/// value, on either backend.
fn unindexed<C: Expression<SqlType = diesel::sql_types::Text> + TextExpressionMethods>(
    column: C,
) -> diesel::dsl::Concat<C, &'static str> {
    column.concat("")
}

/// The due index's predicate (migration 0015), as a literal: only a query that says it
/// in these words, not with a bound value, can use the index, on either engine.
const PENDING: &str = "status = 'pending'";

/// [`PENDING`] as a diesel filter.
fn pending() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql(PENDING)
}

/// Cancels pending emails in `scope` (only `kinds`, when given), noting `reason`; answers
/// how many. Their stored manage tokens go with them.
pub fn cancel_pending(
    c: &mut Db,
    scope: Scope,
    kinds: Option<&[EmailKind]>,
    reason: &str,
    now: NaiveDateTime,
) -> Result<usize, Error> {
    let mut q = diesel::update(emails::table).into_boxed();
    q = match scope {
        Scope::Registration(id) => q
            .filter(emails::registration_id.eq(id.to_string()))
            .filter(unindexed(emails::status).eq(EmailStatus::Pending.as_str())),
        Scope::Event(id) => q
            .filter(emails::event_id.eq(id.to_string()))
            .filter(unindexed(emails::status).eq(EmailStatus::Pending.as_str())),
        // `(contact_id, status)` is the index to take here.
        Scope::Contact(id) => q
            .filter(emails::contact_id.eq(id.to_string()))
            .filter(emails::status.eq(EmailStatus::Pending.as_str())),
    };
    if let Some(kinds) = kinds {
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        q = q.filter(unindexed(emails::kind).eq_any(kinds));
    }
    Ok(q.set((
        emails::status.eq(EmailStatus::Cancelled.as_str()),
        emails::last_error.eq(reason),
        emails::manage_token.eq(None::<String>),
        emails::lease_owner.eq(None::<String>),
        emails::lease_until.eq(None::<NaiveDateTime>),
        emails::updated_at.eq(now),
    ))
    .execute(c)?)
}

/// Forgets what the outbox holds of a person: manage tokens and error texts.
pub fn scrub_contact(c: &mut Db, contact_id: &str) -> Result<(), Error> {
    diesel::update(emails::table.filter(emails::contact_id.eq(contact_id)))
        .set((
            emails::manage_token.eq(None::<String>),
            emails::last_error.eq(None::<String>),
        ))
        .execute(c)?;
    diesel::update(contacts::table.find(contact_id))
        .set(contacts::unsubscribe_token.eq(None::<String>))
        .execute(c)?;
    Ok(())
}

/// A manage token still held by a pending email of the registration, to carry over into
/// emails planned for it now. Not a `manage_link` email's: that one may carry a reissued
/// link, which the next reissue replaces.
pub fn live_manage_token(c: &mut Db, registration_id: &str) -> Result<Option<String>, Error> {
    Ok(emails::table
        .filter(emails::registration_id.eq(registration_id))
        .filter(unindexed(emails::status).eq(EmailStatus::Pending.as_str()))
        .filter(unindexed(emails::kind).ne(EmailKind::ManageLink.as_str()))
        .filter(emails::manage_token.is_not_null())
        .select(emails::manage_token)
        .first::<Option<String>>(c)
        .optional()?
        .flatten())
}

/// How many emails of `kind` planned at or after `since` for the contact are waiting or
/// were sent.
pub fn planned_for_contact_since(
    c: &mut Db,
    contact_id: &str,
    kind: EmailKind,
    since: NaiveDateTime,
) -> Result<i64, Error> {
    Ok(emails::table
        .filter(emails::contact_id.eq(contact_id))
        .filter(unindexed(emails::kind).eq(kind.as_str()))
        .filter(emails::created_at.ge(since))
        .filter(emails::status.eq_any([EmailStatus::Pending.as_str(), EmailStatus::Sent.as_str()]))
        .count()
        .get_result(c)?)
}

/// Whether an email of `kind` for the registration is still waiting (however old), or
/// was planned at or after `since` and sent.
pub fn waiting_or_sent_since(
    c: &mut Db,
    registration_id: &str,
    kind: EmailKind,
    since: NaiveDateTime,
) -> Result<bool, Error> {
    let found: Option<String> = emails::table
        .filter(emails::registration_id.eq(registration_id))
        .filter(unindexed(emails::kind).eq(kind.as_str()))
        .filter(
            emails::status.eq(EmailStatus::Pending.as_str()).or(emails::status
                .eq(EmailStatus::Sent.as_str())
                .and(emails::created_at.ge(since))),
        )
        .select(emails::id)
        .first(c)
        .optional()?;
    Ok(found.is_some())
}

/// The contact an unsubscribe secret belongs to.
pub fn contact_by_unsubscribe(c: &mut Db, token: &str) -> Result<Option<String>, Error> {
    Ok(contacts::table
        .filter(contacts::unsubscribe_token.eq(token))
        .select(contacts::id)
        .first(c)
        .optional()?)
}

/// An event's registered attendees for planning: (registration, contact, consents).
pub fn registered(c: &mut Db, event_id: &str) -> Result<Vec<(String, String, bool)>, Error> {
    Ok(registrations::table
        .inner_join(contacts::table)
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq("registered"))
        .filter(contacts::erased_at.is_null())
        .select((registrations::id, contacts::id, contacts::consent_reminders))
        .load(c)?)
}

/// An event's registrations that hold a seat or wait for one: (registration, contact).
pub fn attending(c: &mut Db, event_id: &str) -> Result<Vec<(String, String)>, Error> {
    Ok(registrations::table
        .inner_join(contacts::table)
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq_any(["registered", "waitlisted"]))
        .filter(contacts::erased_at.is_null())
        .select((registrations::id, contacts::id))
        .load(c)?)
}

/// One email.
pub fn get(c: &mut Db, id: &str) -> Result<EmailRow, Error> {
    emails::table
        .find(id)
        .select(EmailRow::as_select())
        .first(c)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no email with id {id}")))
}

/// Filters of an email list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub registration_id: Option<String>,
    pub event_id: Option<String>,
    pub status: Option<EmailStatus>,
    pub kind: Option<EmailKind>,
}

/// One page of emails (`limit + 1` rows) in due order, with their event's zone.
pub fn list(c: &mut Db, filter: &Filter, after: Option<&Key>, limit: i64) -> Result<Vec<(EmailRow, String)>, Error> {
    let mut q = emails::table
        .inner_join(events::table)
        .select((EmailRow::as_select(), events::timezone))
        .into_boxed();
    if let Some(id) = &filter.registration_id {
        q = q.filter(emails::registration_id.eq(id.clone()));
    }
    if let Some(id) = &filter.event_id {
        q = q.filter(emails::event_id.eq(id.clone()));
    }
    if let Some(s) = filter.status {
        // The registration's or event's index, which also gives the order.
        q = q.filter(unindexed(emails::status).eq(s.as_str()));
    }
    if let Some(k) = filter.kind {
        q = q.filter(unindexed(emails::kind).eq(k.as_str()));
    }
    if let Some((due, id)) = after {
        q = q.filter(
            emails::due_at
                .gt(*due)
                .or(emails::due_at.eq(*due).and(emails::id.gt(id.clone()))),
        );
    }
    Ok(q.order((emails::due_at, emails::id)).limit(limit + 1).load(c)?)
}

/// Ids of emails due at `now` that nobody holds, oldest first.
pub fn due(c: &mut Db, now: NaiveDateTime, limit: i64) -> Result<Vec<String>, Error> {
    Ok(emails::table
        .filter(pending())
        .filter(emails::next_attempt_at.le(now))
        .filter(emails::lease_until.is_null().or(emails::lease_until.lt(now)))
        .order((emails::next_attempt_at, emails::id))
        .limit(limit)
        .select(emails::id)
        .load(c)?)
}

/// How many emails the outbox holds by kind and status.
pub fn counts(c: &mut Db) -> Result<Vec<(EmailKind, EmailStatus, i64)>, Error> {
    let rows: Vec<(String, String, i64)> = emails::table
        .group_by((emails::kind, emails::status))
        .select((emails::kind, emails::status, diesel::dsl::count_star()))
        .load(c)?;
    rows.into_iter()
        .map(|(k, s, n)| Ok((EmailKind::from_stored(&k)?, EmailStatus::from_stored(&s)?, n)))
        .collect()
}

/// When the oldest email still waiting became due.
pub fn oldest_due(c: &mut Db, now: NaiveDateTime) -> Result<Option<NaiveDateTime>, Error> {
    Ok(emails::table
        // Through the due index: the pending emails, not every email.
        .filter(pending())
        // `due_at`, not the next attempt: an email retried while the relay is down
        // stays due, and its age must keep growing.
        .filter(emails::due_at.le(now))
        .order(emails::due_at)
        .select(emails::due_at)
        .first::<StoredTime>(c)
        .optional()?
        .map(Into::into))
}

/// Claims up to `limit` due emails for `owner` until `until` in one statement, the
/// longest waiting first; answers the ids claimed. On PostgreSQL rows another worker is
/// claiming are skipped, not waited for, and each row is checked again as it is locked,
/// so a row another worker claimed meanwhile is left alone; there the statement runs in
/// a transaction of its own, which fixes its plan (see below).
pub fn claim_due(
    c: &mut Db,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<String>, Error> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = Text)]
        id: String,
    }
    // Written out per backend: diesel has no portable UPDATE over a limited subquery, and
    // `FOR UPDATE SKIP LOCKED` is PostgreSQL's. Ordered by the due index alone, so a
    // claim reads about as many rows as it takes (a tie-break on the id made both
    // engines read and sort every due row, for each batch).
    let due = format!("{PENDING} AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)");
    let rows: Vec<Claimed> = match c {
        // The rows are picked once, in a materialised CTE: as `id IN (subquery)` the
        // planner may run the subquery again per row, and with SKIP LOCKED each run
        // finds other rows, so one claim took far more than `limit` (all 40 of a test's
        // emails with a limit of 8). Locked rows are checked again as they are locked.
        //
        // Without a bitmap scan: one reads every due row and sorts them all, for each
        // batch. The planner takes it when its statistics say few rows are due, as they
        // do until the table is analysed again after a backlog arrived (12.5 ms against
        // 0.9 ms a claim of 100 with 10,000 due), so the claim does not leave the choice
        // to them; the ordered scan of the due index reads about as many rows as it takes.
        Db::Pg(pg) => pg.transaction(|pg| {
            diesel::sql_query("SET LOCAL enable_bitmapscan = off").execute(pg)?;
            kept(
                diesel::sql_query(format!(
                    "WITH picked AS MATERIALIZED \
                 (SELECT id FROM emails WHERE {due} ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 UPDATE emails SET lease_owner = $1, lease_until = $2 FROM picked WHERE emails.id = picked.id \
                 RETURNING emails.id"
                ))
                .bind::<Text, _>(owner)
                .bind::<Timestamp, _>(until)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit),
            )
            .load::<Claimed>(pg)
        })?,
        Db::Sqlite(lite) => {
            // The statement runs under the database's one write lock, so the rows the
            // subquery finds are still due when they are changed (checking again made
            // SQLite scan every due row instead of looking the ids up).
            let due = due.replace('$', "?");
            kept(
                diesel::sql_query(format!(
                    "UPDATE emails SET lease_owner = ?1, lease_until = ?2 WHERE id IN \
                     (SELECT id FROM emails WHERE {due} ORDER BY next_attempt_at LIMIT ?4) RETURNING id"
                ))
                .bind::<Text, _>(owner)
                .bind::<Timestamp, _>(until)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit),
            )
            .load(lite)?
        }
    };
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The outcome of one attempt, written only while `owner` holds the lease.
pub enum Outcome {
    Sent {
        message_id: String,
    },
    Retry {
        error: String,
        next: NaiveDateTime,
    },
    Failed {
        error: String,
    },
    Cancelled {
        reason: String,
    },
    /// Not attempted (the worker is stopping): the lease is let go.
    Released,
}

/// Records that the mail server accepted `ids`, in one statement, each only while
/// `owner` still holds it; answers the ids recorded (the others' leases were lost).
/// Each `Message-ID` is stored as `before || id || after`, as it was sent.
pub fn settle_sent(
    c: &mut Db,
    ids: &[String],
    owner: &str,
    (before, after): (&str, &str),
    now: NaiveDateTime,
) -> Result<Vec<String>, Error> {
    use diesel::sql_types::Text;
    let message_id = before.into_sql::<Text>().concat(emails::id).concat(after);
    Ok(kept(
        diesel::update(
            emails::table
                .filter(among(emails::id, ids))
                .filter(emails::lease_owner.eq(owner)),
        )
        .set((
            emails::status.eq(EmailStatus::Sent.as_str()),
            emails::attempts.eq(emails::attempts + 1),
            emails::sent_at.eq(now),
            emails::message_id.eq(message_id.nullable()),
            emails::last_error.eq(None::<String>),
            emails::manage_token.eq(None::<String>),
            emails::lease_owner.eq(None::<String>),
            emails::lease_until.eq(None::<NaiveDateTime>),
            emails::updated_at.eq(now),
        ))
        .returning(emails::id),
    )
    .get_results(c)?)
}

/// Records an attempt's outcome; false when the lease was lost meanwhile.
pub fn settle(c: &mut Db, id: &str, owner: &str, outcome: Outcome, now: NaiveDateTime) -> Result<bool, Error> {
    let target = emails::table.find(id).filter(emails::lease_owner.eq(owner));
    let none_time = None::<NaiveDateTime>;
    let none_text = None::<String>;
    let n = match outcome {
        Outcome::Sent { message_id } => diesel::update(target)
            .set((
                emails::status.eq(EmailStatus::Sent.as_str()),
                emails::attempts.eq(emails::attempts + 1),
                emails::sent_at.eq(now),
                emails::message_id.eq(message_id),
                emails::last_error.eq(none_text.clone()),
                emails::manage_token.eq(none_text.clone()),
                emails::lease_owner.eq(none_text),
                emails::lease_until.eq(none_time),
                emails::updated_at.eq(now),
            ))
            .execute(c)?,
        Outcome::Retry { error, next } => diesel::update(target)
            .set((
                emails::attempts.eq(emails::attempts + 1),
                emails::last_error.eq(error),
                emails::next_attempt_at.eq(next),
                emails::lease_owner.eq(none_text),
                emails::lease_until.eq(none_time),
                emails::updated_at.eq(now),
            ))
            .execute(c)?,
        Outcome::Failed { error } => diesel::update(target)
            .set((
                emails::status.eq(EmailStatus::Failed.as_str()),
                emails::attempts.eq(emails::attempts + 1),
                emails::last_error.eq(error),
                emails::manage_token.eq(none_text.clone()),
                emails::lease_owner.eq(none_text),
                emails::lease_until.eq(none_time),
                emails::updated_at.eq(now),
            ))
            .execute(c)?,
        Outcome::Cancelled { reason } => diesel::update(target)
            .set((
                emails::status.eq(EmailStatus::Cancelled.as_str()),
                emails::last_error.eq(reason),
                emails::manage_token.eq(none_text.clone()),
                emails::lease_owner.eq(none_text),
                emails::lease_until.eq(none_time),
                emails::updated_at.eq(now),
            ))
            .execute(c)?,
        Outcome::Released => diesel::update(target)
            .set((emails::lease_owner.eq(none_text), emails::lease_until.eq(none_time)))
            .execute(c)?,
    };
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use diesel::connection::{Connection, InstrumentationEvent};
    use diesel::sql_types::Text;

    use super::*;
    use crate::db::Database;

    #[derive(QueryableByName)]
    struct Step {
        #[diesel(sql_type = Text)]
        detail: String,
    }

    /// SQLite's plan for each statement `work` runs (without statistics, as in a fresh
    /// database: the planner then ranks indexes by their shape alone).
    fn plans(work: impl FnOnce(&mut Db)) -> Vec<(String, Vec<String>)> {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("t.db").display().to_string(), 1).unwrap();
        db.migrate().unwrap();
        let mut c = db.connection().unwrap();
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let log = seen.clone();
        c.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                let text = query.to_string();
                let sql = text.split(" -- binds:").next().unwrap_or_default().to_string();
                log.lock().unwrap().push(sql);
            }
        });
        work(&mut c);
        c.set_instrumentation(|_: InstrumentationEvent<'_>| {});
        let statements = seen.lock().unwrap().clone();
        statements
            .into_iter()
            .map(|sql| {
                let steps: Vec<Step> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                    .load(&mut *c)
                    .unwrap();
                (sql, steps.into_iter().map(|s| s.detail).collect())
            })
            .collect()
    }

    #[test]
    fn due_statements_take_the_due_index_of_pending_emails() {
        // A bound status cannot use the partial index: every claim would read the table.
        let now = NaiveDateTime::default();
        let plans = plans(|c| {
            claim_due(c, "w", now, now, 100).unwrap();
            due(c, now, 1).unwrap();
            oldest_due(c, now).unwrap();
        });
        assert_eq!(plans.len(), 3, "{plans:#?}");
        for (sql, steps) in &plans {
            assert!(
                steps.iter().any(|s| s.contains(" emails USING INDEX emails_due")),
                "{sql}\n{steps:#?}"
            );
        }
    }

    #[test]
    fn outbox_statements_for_one_registration_event_or_contact_take_its_index() {
        let now = NaiveDateTime::default();
        // One kind when the rules change, two when the event moves.
        let kinds: [&[EmailKind]; 2] = [&[EmailKind::Reminder], &[EmailKind::Reminder, EmailKind::Updated]];
        let list_of = |registration_id: Option<&str>, event_id: Option<&str>| Filter {
            registration_id: registration_id.map(String::from),
            event_id: event_id.map(String::from),
            status: Some(EmailStatus::Pending),
            kind: Some(EmailKind::Reminder),
        };
        // The index each statement must take, in the order they run.
        let (registration, event, contact) = ("emails_registration", "emails_event", "emails_contact");
        let mut expected = Vec::new();
        let plans = plans(|c| {
            for kinds in kinds {
                cancel_pending(c, Scope::Registration("r"), Some(kinds), "why", now).unwrap();
                cancel_pending(c, Scope::Event("e"), Some(kinds), "why", now).unwrap();
                cancel_pending(c, Scope::Contact("c"), Some(kinds), "why", now).unwrap();
                expected.extend([registration, event, contact]);
            }
            live_manage_token(c, "r").unwrap();
            planned_for_contact_since(c, "c", EmailKind::ManageLink, now).unwrap();
            waiting_or_sent_since(c, "r", EmailKind::ManageLink, now).unwrap();
            list(c, &list_of(Some("r"), None), None, 50).unwrap();
            list(c, &list_of(None, Some("e")), None, 50).unwrap();
            expected.extend([registration, contact, registration, registration, event]);
        });
        assert_eq!(plans.len(), expected.len(), "{plans:#?}");
        for ((sql, steps), index) in plans.iter().zip(expected) {
            // Changing an event's rules once read every pending reminder per attendee
            // through the metrics index (kind, status).
            let on_emails: Vec<&String> = steps.iter().filter(|s| s.contains(" emails ")).collect();
            let searched = format!("SEARCH emails USING INDEX {index} ");
            assert!(
                !on_emails.is_empty() && on_emails.iter().all(|s| s.starts_with(&searched)),
                "{sql}\n{steps:#?}"
            );
        }
    }
}
