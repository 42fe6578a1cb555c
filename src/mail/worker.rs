//! The delivery worker: claims due emails with a lease, renders and sends each outside
//! any transaction, and records the outcome only while it still holds the lease.
//!
//! The promise: nothing is marked sent before the mail server accepted it, and an email
//! is claimed by one worker at a time. The only duplicate possible is a crash between
//! the server's acceptance and the commit of "sent"; the copy then carries the same
//! `Message-ID`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web;
use chrono::NaiveDateTime;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use rand::Rng;

use super::content::{self, Facts};
use super::{DeliveryError, Mailer};
use crate::clock::Clock;
use crate::config::Settings;
use crate::contacts::model::ContactRow;
use crate::contacts::queries as contacts;
use crate::db::schema::contacts as contacts_table;
use crate::db::{Database, Db, DbError};
use crate::error::Error;
use crate::events::model::{EventRow, EventStatus};
use crate::events::queries as events;
use crate::registrations::queries as registrations;
use crate::reminders::model::{EmailKind, EmailRow};
use crate::reminders::queries::{self, Outcome};
use crate::reminders::rules::backoff;

/// What stops a round of deliveries (single emails never do: their failures are recorded).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The database could not be read or written; the round can simply run again.
    #[error("outbox storage: {0}")]
    Storage(String),
}

impl From<Error> for WorkerError {
    fn from(e: Error) -> Self {
        WorkerError::Storage(e.to_string())
    }
}

impl From<DbError> for WorkerError {
    fn from(e: DbError) -> Self {
        WorkerError::Storage(e.to_string())
    }
}

impl From<diesel::result::Error> for WorkerError {
    fn from(e: diesel::result::Error) -> Self {
        WorkerError::Storage(e.to_string())
    }
}

/// What one call of [`Worker::deliver_due`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub sent: usize,
    /// Transient failures, to be tried again later.
    pub retried: usize,
    pub failed: usize,
    pub cancelled: usize,
    /// Outcomes not recorded because the lease had passed to another worker.
    pub lost: usize,
}

/// One delivery worker; several (in one process or many) can share a database.
#[derive(Clone)]
pub struct Worker {
    db: Database,
    mailer: Mailer,
    clock: Clock,
    settings: Arc<Settings>,
    owner: Arc<str>,
    stop: Arc<AtomicBool>,
    /// When the next send may start (`mail.max_per_second`).
    pace: Arc<Mutex<Instant>>,
}

/// Everything needed to write one email, read in one trip.
struct Loaded {
    email: EmailRow,
    event: EventRow,
    contact: ContactRow,
    registration_status: Option<String>,
    unsubscribe_token: Option<String>,
}

impl Worker {
    /// A worker named `owner` (unique per worker: it marks the emails it holds).
    pub fn new(db: Database, mailer: Mailer, clock: Clock, settings: Arc<Settings>, owner: &str) -> Self {
        Worker {
            db,
            mailer,
            clock,
            settings,
            owner: owner.into(),
            stop: Arc::default(),
            pace: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// A flag that, once set, makes the worker stop after the emails it holds.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Sends every email due at the clock's "now", batch by batch, until none is left
    /// (or the stop flag is set); emails other workers hold are left to them.
    pub async fn deliver_due(&self) -> Result<Report, WorkerError> {
        let mut report = Report::default();
        let batch = self.settings.reminders.batch_size.max(1) as i64;
        let parallel = (self.settings.mail.smtp.pool_size.max(1) as usize).min(16);
        while !self.stop.load(Ordering::Relaxed) {
            let now = self.clock.now();
            let ids = self.db.read(move |c| queries::due(c, now, batch)).await?;
            if ids.is_empty() {
                break;
            }
            let claimed = self.claim(ids, now).await?;
            if claimed.is_empty() {
                continue;
            }
            let outcomes: Vec<Result<Settled, WorkerError>> = futures_util::stream::iter(claimed)
                .map(|id| self.deliver_one(id))
                .buffer_unordered(parallel)
                .collect()
                .await;
            for outcome in outcomes {
                match outcome? {
                    Settled::Sent => report.sent += 1,
                    Settled::Retried => report.retried += 1,
                    Settled::Failed => report.failed += 1,
                    Settled::Cancelled => report.cancelled += 1,
                    Settled::Lost => report.lost += 1,
                }
            }
        }
        Ok(report)
    }

    /// Claims what it can of `ids` in one short write.
    async fn claim(&self, ids: Vec<String>, now: NaiveDateTime) -> Result<Vec<String>, WorkerError> {
        let owner = self.owner.clone();
        let lease = chrono::Duration::seconds(self.settings.reminders.lease_secs.min(86_400) as i64);
        let until = now + lease;
        Ok(self
            .db
            .write(move |c| {
                let mut mine = Vec::with_capacity(ids.len());
                for id in ids {
                    if queries::claim(c, &id, &owner, now, until)? {
                        mine.push(id);
                    }
                }
                Ok::<_, Error>(mine)
            })
            .await?)
    }

    async fn deliver_one(&self, id: String) -> Result<Settled, WorkerError> {
        let loaded = {
            let id = id.clone();
            self.db.read(move |c| load(c, &id)).await?
        };
        let now = self.clock.now();
        let outcome = match skip_reason(&loaded, now) {
            Some(reason) => Outcome::Cancelled { reason: reason.into() },
            None => self.send(&loaded).await,
        };
        let settled = match &outcome {
            Outcome::Sent { .. } => Settled::Sent,
            Outcome::Retry { .. } => Settled::Retried,
            Outcome::Failed { .. } => Settled::Failed,
            Outcome::Cancelled { .. } | Outcome::Released => Settled::Cancelled,
        };
        if let Outcome::Failed { error } | Outcome::Retry { error, .. } = &outcome {
            tracing::warn!(email = %id, error = %error, "sending an email failed");
        }
        let owner = self.owner.clone();
        let now = self.clock.now();
        let kept = self
            .db
            .write(move |c| queries::settle(c, &id, &owner, outcome, now))
            .await?;
        Ok(if kept { settled } else { Settled::Lost })
    }

    /// Renders and sends one email; answers what to record.
    async fn send(&self, l: &Loaded) -> Outcome {
        let attempt = l.email.attempts + 1;
        let message_id = content::message_id(&l.email.id, &self.mailer.from);
        let message = match self.build(l, &message_id) {
            Ok(m) => m,
            Err(e) => return Outcome::Failed { error: e },
        };
        self.wait_for_turn().await;
        let mailer = self.mailer.clone();
        let result = web::block(move || mailer.send(&message))
            .await
            .unwrap_or_else(|e| Err(DeliveryError::Transient(format!("the send task failed: {e}"))));
        match result {
            Ok(()) => Outcome::Sent { message_id },
            Err(DeliveryError::Permanent(error)) => Outcome::Failed { error },
            Err(DeliveryError::Transient(error)) if attempt >= self.settings.reminders.max_attempts as i32 => {
                Outcome::Failed {
                    error: format!("gave up after {attempt} attempts: {error}"),
                }
            }
            Err(DeliveryError::Transient(error)) => {
                let jitter = rand::thread_rng().gen::<f64>();
                Outcome::Retry {
                    error,
                    next: self.clock.now() + backoff(attempt, jitter),
                }
            }
        }
    }

    fn build(&self, l: &Loaded, message_id: &str) -> Result<lettre::Message, String> {
        let to: Mailbox = format!("{} <{}>", quote(&l.contact.name), l.contact.email)
            .parse()
            .or_else(|_| l.contact.email.parse())
            .map_err(|e| format!("the address {:?} cannot be mailed: {e}", l.contact.email))?;
        let rendered = content::render(&Facts {
            kind: l.email.kind(),
            event: &l.event,
            contact: &l.contact,
            waitlist_position: l.email.waitlist_position,
            manage_token: l.email.manage_token.as_deref(),
            registration_cancelled: l.registration_status.as_deref() == Some("cancelled"),
            unsubscribe_token: l.unsubscribe_token.as_deref(),
            base_url: self.settings.base_url(),
            from: &self.mailer.from,
        })
        .map_err(|e| e.to_string())?;
        content::message(&rendered, &self.mailer.from, to, message_id).map_err(|e| e.to_string())
    }

    /// Spaces sends out to `mail.max_per_second` (shared by this worker's clones).
    async fn wait_for_turn(&self) {
        let rate = self.settings.mail.max_per_second;
        if rate == 0 {
            return;
        }
        let wait = {
            let mut next = self.pace.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + Duration::from_secs(1) / rate;
            at - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// A display name as an RFC 5322 quoted string.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace(['"', '\\', '\r', '\n'], " "))
}

enum Settled {
    Sent,
    Retried,
    Failed,
    Cancelled,
    Lost,
}

fn load(c: &mut Db, id: &str) -> Result<Loaded, Error> {
    use diesel::prelude::*;
    let email = queries::get(c, id)?;
    let event = events::get(c, &email.event_id)?;
    let contact = contacts::get(c, &email.contact_id)?;
    let registration_status = match &email.registration_id {
        Some(r) => Some(registrations::get(c, r)?.status),
        None => None,
    };
    let unsubscribe_token = contacts_table::table
        .find(&email.contact_id)
        .select(contacts_table::unsubscribe_token)
        .first::<Option<String>>(c)?;
    Ok(Loaded {
        email,
        event,
        contact,
        registration_status,
        unsubscribe_token,
    })
}

/// Why an email due now should not go out after all (the outbox is kept in step with
/// changes, so this is the safety net for races and downtime).
fn skip_reason(l: &Loaded, now: NaiveDateTime) -> Option<&'static str> {
    let kind = l.email.kind();
    if l.contact.erased_at.is_some() {
        return Some("the contact was erased");
    }
    if kind == EmailKind::Reminder && !l.contact.consent_reminders {
        return Some("the contact does not want reminders");
    }
    if kind == EmailKind::Cancelled {
        return None;
    }
    if l.event.status() == EventStatus::Cancelled {
        return Some("the event was cancelled");
    }
    // A manage link goes to a cancelled registration too: it is how its owner registers again.
    if l.registration_status.as_deref() == Some("cancelled") && kind != EmailKind::ManageLink {
        return Some("the registration was cancelled");
    }
    if l.event.starts_at <= now {
        return Some("the event had already started when this email came due");
    }
    None
}
