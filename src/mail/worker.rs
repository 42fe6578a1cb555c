//! The delivery worker: claims due emails with a lease, renders and sends each outside
//! any transaction, and records the outcome only while it still holds the lease.
//!
//! The promise: nothing is marked sent before the mail server accepted it, and an email
//! is claimed by one worker at a time. The only duplicate possible is a crash between
//! the server's acceptance and the commit of "sent"; the copy then carries the same
//! `Message-ID`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use lettre::message::Mailbox;
use rand::Rng;

use super::content::{self, Facts, Invitations};
use super::{digest, DeliveryError, Mailer};
use crate::clock::Clock;
use crate::config::Settings;
use crate::contacts::model::ContactRow;
use crate::db::schema::contacts as contacts_table;
use crate::db::{Database, Db, DbError};
use crate::digests::model::Digest;
use crate::digests::service::{self as digests, Planned};
use crate::error::Error;
use crate::events::model::{EventRow, EventStatus};
use crate::metrics::{Attempt, Metrics};
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
    /// Where attempts and failures are counted, when metrics are on.
    metrics: Option<Metrics>,
}

/// Everything needed to write one email (read with the rest of its batch).
enum Loaded {
    /// An email to an attendee about an event.
    Attendee(Box<AttendeeEmail>),
    /// A team's follow-up digest.
    Digest(Box<DigestEmail>),
}

struct DigestEmail {
    email: EmailRow,
    digest: Digest,
}

struct AttendeeEmail {
    email: EmailRow,
    /// Shared by the batch's emails about the same event.
    event: Arc<EventRow>,
    contact: ContactRow,
    registration_status: Option<String>,
    unsubscribe_token: Option<String>,
}

impl Loaded {
    fn email(&self) -> &EmailRow {
        match self {
            Loaded::Attendee(a) => &a.email,
            Loaded::Digest(d) => &d.email,
        }
    }
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
            metrics: None,
        }
    }

    /// The same worker, counting its attempts and failures in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Plans the follow-up digests due at the clock's "now" (see
    /// [`digests::plan`]); they are then delivered like any other email.
    pub async fn plan_digests(&self) -> Result<Planned, WorkerError> {
        let planned = digests::plan(&self.db, &self.clock, self.settings.digest.at()).await?;
        if let Some(m) = &self.metrics {
            m.observe_digests(planned.emails);
        }
        Ok(planned)
    }

    /// A flag that, once set, makes the worker stop after the emails it holds.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Sends every email due at the clock's "now" until none is left (or the stop flag
    /// is set, after the emails it holds); emails other workers hold are left to them.
    ///
    /// One blocking thread per SMTP connection (`mail.smtp.pool_size`) takes a few
    /// emails at a time from a queue, renders and sends them itself; whichever thread
    /// finds the queue running low claims the next batch in one statement and reads it
    /// in one more while the others go on sending; a recording thread writes the
    /// outcomes, a few milliseconds' worth at a time ([`GATHER`]). Measured with
    /// `bench/delivery.sh`: five reads, a thread hop per send and a write per email had
    /// held the worker to a sixth of a bare lettre loop's rate, and a pause at the end
    /// of each batch cost another fifth.
    pub async fn deliver_due(&self) -> Result<Report, WorkerError> {
        let parallel = (self.settings.mail.smtp.pool_size.max(1) as usize).min(16);
        let mut batch = self.settings.reminders.batch_size.max(1) as usize;
        let rate = u64::from(self.settings.mail.max_per_second);
        if rate > 0 {
            // Paced, a batch (and the next, claimed ahead) must go out well within the lease.
            let lease = self.settings.reminders.lease_secs.min(86_400);
            batch = batch.min((rate * lease / 4).max(1) as usize);
        }
        // Two shares per thread and batch: few reads, and a slow share does not hold up the rest.
        let take = batch.div_ceil(parallel * 2).clamp(1, 64);
        let feed = Arc::new(Feed::new(batch, parallel * take));
        // At most this many emails are being sent or wait to be recorded: all that a
        // crash could send twice (each thread needs room for one).
        let gate = Arc::new(Gate::new(
            (self.settings.reminders.max_unrecorded as usize).max(parallel),
        ));
        let (outcomes, arrived) = std::sync::mpsc::channel::<(String, Outcome)>();
        let invitations = Arc::new(Invitations::default());
        let senders: Vec<_> = (0..parallel)
            .map(|_| {
                let (me, feed, gate, outcomes) = (self.clone(), feed.clone(), gate.clone(), outcomes.clone());
                let invitations = invitations.clone();
                tokio::task::spawn_blocking(move || me.send_share(&feed, take, &gate, &outcomes, &invitations))
            })
            .collect();
        drop(outcomes);
        let recorder = {
            let (me, feed, gate) = (self.clone(), feed.clone(), gate.clone());
            tokio::task::spawn_blocking(move || {
                let report = me.record_arrivals(&arrived, &gate);
                // Senders waiting for room must not wait for a recorder that gave up, nor
                // claim more.
                gate.close();
                feed.close();
                report
            })
        };
        let (sent, recorded) = futures_util::future::join(futures_util::future::join_all(senders), recorder).await;
        for share in sent {
            share.map_err(|e| WorkerError::Storage(format!("a sending thread failed: {e}")))??;
        }
        recorded.map_err(|e| WorkerError::Storage(format!("the recording thread failed: {e}")))?
    }

    /// Records outcomes as they arrive, on a thread of its own (a hop less per write than
    /// an async task): after the first of a group, whatever arrives within
    /// [`GATHER`] (or until the gate is full) goes into the same write.
    fn record_arrivals(&self, arrived: &Receiver<(String, Outcome)>, gate: &Gate) -> Result<Report, WorkerError> {
        let mut report = Report::default();
        while let Ok(first) = arrived.recv() {
            gate.wait_full(GATHER);
            let mut group = vec![first];
            group.extend(arrived.try_iter());
            let n = group.len();
            let recorded = self.record(group);
            gate.leave(n);
            for settled in recorded? {
                match settled {
                    Settled::Sent => report.sent += 1,
                    Settled::Retried => report.retried += 1,
                    Settled::Failed => report.failed += 1,
                    Settled::Cancelled => report.cancelled += 1,
                    Settled::Lost => report.lost += 1,
                    // Still due: claimed again, by this round or the next.
                    Settled::Released => {}
                }
            }
        }
        Ok(report)
    }

    /// Claims the next batch for [`Feed`] in one statement and reads it in one more.
    /// Empty only when nothing is due that another worker does not hold (a claim skips
    /// rows others are claiming at that moment, so an empty claim alone does not say so).
    fn claim_batch(&self, limit: usize) -> Result<Vec<Claimed>, WorkerError> {
        let lease = chrono::Duration::seconds(self.settings.reminders.lease_secs.min(86_400) as i64);
        for _ in 0..3 {
            let owner = self.owner.clone();
            let now = self.clock.now();
            let until = now + lease;
            let ids = self
                .db
                .write_each_waiting(move |c| queries::claim_due(c, &owner, now, until, limit as i64))?;
            if !ids.is_empty() {
                // The whole batch in one read, by the thread that claimed it while the
                // others go on sending: a read per few emails on each sending thread
                // cost PostgreSQL twice the time per email, and left its connection idle.
                let loaded = load(&mut *self.db.connection()?, &ids)?;
                return Ok(loaded
                    .into_iter()
                    .map(|(id, read)| Claimed { id, until, read })
                    .collect());
            }
            if queries::due(&mut *self.db.connection()?, now, 1)?.is_empty() {
                return Ok(Vec::new());
            }
        }
        Ok(Vec::new())
    }

    /// A sending thread's work: takes `take` emails at a time from `feed` until it is
    /// empty, reads and sends them, and passes each outcome on.
    fn send_share(
        &self,
        feed: &Feed,
        take: usize,
        gate: &Gate,
        outcomes: &Sender<(String, Outcome)>,
        invitations: &Invitations,
    ) -> Result<(), WorkerError> {
        loop {
            let claimed = feed.next(take, || {
                if self.stop.load(Ordering::Relaxed) {
                    return Ok(Vec::new());
                }
                self.claim_batch(feed.batch)
            })?;
            if claimed.is_empty() {
                return Ok(());
            }
            for Claimed { id, until, read } in claimed {
                let ready = match &read {
                    Err(error) => Err(Outcome::Failed { error: error.clone() }),
                    Ok(l) => match skip_reason(l, self.clock.now()) {
                        Some(reason) => Err(Outcome::Cancelled { reason: reason.into() }),
                        None => self
                            .prepare(l, invitations)
                            .map(|(message, message_id)| (l, message, message_id)),
                    },
                };
                // Rendered before taking a place: only the SMTP conversation and the wait
                // for the record count against the bound (and the next email is ready
                // while this thread waits for room).
                if !gate.enter() {
                    return Ok(());
                }
                let outcome = match ready {
                    // Claimed ahead, or held up by a slow relay: too little of the lease
                    // is left to be sure the send is recorded before another worker may
                    // take the email over, so it goes back (and is claimed again).
                    Ok(_) if self.clock.now() + self.send_margin() > until => Outcome::Released,
                    Ok((l, message, message_id)) => self.deliver(l, &message, message_id),
                    Err(outcome) => outcome,
                };
                if outcomes.send((id, outcome)).is_err() {
                    return Ok(());
                }
            }
        }
    }

    /// Records outcomes in one write, each only while the lease is still this worker's.
    fn record(&self, group: Vec<(String, Outcome)>) -> Result<Vec<Settled>, WorkerError> {
        for (id, outcome) in &group {
            if let Outcome::Failed { error } | Outcome::Retry { error, .. } = outcome {
                tracing::warn!(email = %id, error = %error, "sending an email failed");
            }
        }
        let owner = self.owner.clone();
        let now = self.clock.now();
        let (before, after) = content::message_id_around(&self.mailer.from);
        Ok(self.db.write_each_waiting(move |c| {
            // The accepted ones in one statement; the rest (rare) one by one.
            let (sent, rest): (Vec<_>, Vec<_>) = group.into_iter().partition(|(id, outcome)| {
                matches!(outcome, Outcome::Sent { message_id }
                        if message_id.len() == before.len() + id.len() + after.len()
                            && message_id.starts_with(before)
                            && message_id.ends_with(&after))
            });
            let ids: Vec<String> = sent.into_iter().map(|(id, _)| id).collect();
            let mut settled = Vec::with_capacity(ids.len() + rest.len());
            if !ids.is_empty() {
                let kept = queries::settle_sent(c, &ids, &owner, (before, &after), now)?.len();
                settled.extend(std::iter::repeat_n(Settled::Sent, kept));
                settled.extend(std::iter::repeat_n(Settled::Lost, ids.len() - kept));
            }
            for (id, outcome) in rest {
                let outcome_kind = match &outcome {
                    Outcome::Sent { .. } => Settled::Sent,
                    Outcome::Retry { .. } => Settled::Retried,
                    Outcome::Failed { .. } => Settled::Failed,
                    Outcome::Cancelled { .. } => Settled::Cancelled,
                    Outcome::Released => Settled::Released,
                };
                let kept = queries::settle(c, &id, &owner, outcome, now)?;
                settled.push(if kept { outcome_kind } else { Settled::Lost });
            }
            Ok::<_, Error>(settled)
        })?)
    }

    /// Renders one email: the message and its `Message-ID`, or (when it cannot be
    /// written) the outcome to record.
    fn prepare(&self, l: &Loaded, invitations: &Invitations) -> Result<(lettre::Message, String), Outcome> {
        let message_id = content::message_id(&l.email().id, &self.mailer.from);
        match self.build(l, &message_id, invitations) {
            Ok(message) => Ok((message, message_id)),
            Err(error) => {
                self.observe(l, Attempt::Permanent);
                Err(Outcome::Failed { error })
            }
        }
    }

    /// Sends one rendered email, blocking; answers what to record.
    fn deliver(&self, l: &Loaded, message: &lettre::Message, message_id: String) -> Outcome {
        let attempt = l.email().attempts + 1;
        self.wait_for_turn();
        let (outcome, how) = match self.mailer.send(message) {
            Ok(()) => (Outcome::Sent { message_id }, Attempt::Sent),
            Err(DeliveryError::Permanent(error)) => (Outcome::Failed { error }, Attempt::Permanent),
            Err(DeliveryError::Transient(error)) if attempt >= self.settings.reminders.max_attempts as i32 => (
                Outcome::Failed {
                    error: format!("gave up after {attempt} attempts: {error}"),
                },
                Attempt::Permanent,
            ),
            Err(DeliveryError::Transient(error)) => {
                let jitter = rand::thread_rng().gen::<f64>();
                let next = self.clock.now() + backoff(attempt, jitter);
                (Outcome::Retry { error, next }, Attempt::Transient)
            }
        };
        self.observe(l, how);
        outcome
    }

    fn observe(&self, l: &Loaded, how: Attempt) {
        if let Some(m) = &self.metrics {
            m.observe_send(l.email().kind(), how);
        }
    }

    fn build(&self, l: &Loaded, message_id: &str, invitations: &Invitations) -> Result<lettre::Message, String> {
        let l = match l {
            Loaded::Attendee(a) => a,
            Loaded::Digest(d) => return self.build_digest(&d.digest, message_id),
        };
        let to: Mailbox = format!("{} <{}>", quote(&l.contact.name), l.contact.email)
            .parse()
            .or_else(|_| l.contact.email.parse())
            .map_err(|e| format!("the address {:?} cannot be mailed: {e}", l.contact.email))?;
        let facts = Facts {
            kind: l.email.kind(),
            event: &l.event,
            contact: &l.contact,
            waitlist_position: l.email.waitlist_position,
            manage_token: l.email.manage_token.as_deref(),
            registration_cancelled: l.registration_status.as_deref() == Some("cancelled"),
            unsubscribe_token: l.unsubscribe_token.as_deref(),
            base_url: self.settings.base_url(),
            from: &self.mailer.from,
        };
        let rendered = content::render_with(&facts, Some(invitations)).map_err(|e| e.to_string())?;
        content::message(&rendered, &self.mailer.from, to, message_id).map_err(|e| e.to_string())
    }

    fn build_digest(&self, d: &Digest, message_id: &str) -> Result<lettre::Message, String> {
        let address = d.team.email.as_deref().unwrap_or_default();
        let to: Mailbox = format!("{} <{address}>", quote(&d.team.name))
            .parse()
            .or_else(|_| address.parse())
            .map_err(|e| format!("the address {address:?} cannot be mailed: {e}"))?;
        let sender = content::sender_name(&self.mailer.from);
        let digest_settings = &self.settings.digest;
        let rendered = digest::render(d, digest_settings.language(), digest_settings.at(), &sender)?;
        digest::message(&rendered, &self.mailer.from, to, message_id).map_err(|e| e.to_string())
    }

    /// How much of its lease an email must have left for a send to start: half the
    /// lease, so that a send (its SMTP commands time out after `mail.smtp.timeout_secs`)
    /// and its record end before another worker may take the email over.
    fn send_margin(&self) -> chrono::Duration {
        chrono::Duration::milliseconds((self.settings.reminders.lease_secs.min(86_400) * 500) as i64)
    }

    /// Spaces sends out to `mail.max_per_second` (shared by this worker's threads).
    fn wait_for_turn(&self) {
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
            std::thread::sleep(wait);
        }
    }
}

/// How long the recorder gathers outcomes for one write. Measured with
/// `bench/delivery.sh` on SQLite: writing each outcome as it came gave about one commit
/// per email, and the commits took twice the writer's CPU of 2 ms groups (78–111
/// against 39–50 µs an email); 1–4 ms all did about as well, 5 ms worse. An outcome is
/// recorded at most this much later, and sooner when the senders are waiting for room.
const GATHER: Duration = Duration::from_millis(2);

/// Bounds the emails a batch has in the air (being sent or waiting to be recorded).
struct Gate {
    state: Mutex<(usize, bool)>,
    room: Condvar,
    /// Signalled when the gate fills up: nothing more can arrive before a record.
    full: Condvar,
    limit: usize,
}

impl Gate {
    fn new(limit: usize) -> Self {
        Gate {
            state: Mutex::new((0, false)),
            room: Condvar::new(),
            full: Condvar::new(),
            limit,
        }
    }

    /// Waits for room for one more email; false once the gate is closed.
    fn enter(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while state.0 >= self.limit && !state.1 {
            state = self.room.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state.0 += 1;
        if state.0 >= self.limit {
            self.full.notify_one();
        }
        !state.1
    }

    /// Waits up to `at_most` while there is room (or until the gate is closed).
    fn wait_full(&self, at_most: Duration) {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let waited = self
            .full
            .wait_timeout_while(state, at_most, |s| s.0 < self.limit && !s.1);
        drop(waited);
    }

    /// `n` emails were recorded.
    fn leave(&self, n: usize) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0 = state.0.saturating_sub(n);
        self.room.notify_all();
    }

    /// No more emails: waiting senders stop.
    fn close(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
        self.room.notify_all();
        self.full.notify_all();
    }
}

/// A claimed email, when its lease ends, and what was read to write it.
struct Claimed {
    id: String,
    until: NaiveDateTime,
    read: Readable,
}

/// The claimed emails waiting for a sending thread; refilled a batch at a time by the
/// thread that finds it running low, while the others go on sending.
struct Feed {
    state: Mutex<FeedState>,
    changed: Condvar,
    /// Emails claimed at a time.
    batch: usize,
    /// Below this many waiting, the next batch is claimed.
    low: usize,
}

#[derive(Default)]
struct FeedState {
    queue: std::collections::VecDeque<Claimed>,
    /// A thread is claiming the next batch.
    claiming: bool,
    /// Nothing more to claim (none due, stopping, or a claim failed).
    done: bool,
}

impl Feed {
    fn new(batch: usize, low: usize) -> Self {
        Feed {
            state: Mutex::default(),
            changed: Condvar::new(),
            batch,
            low,
        }
    }

    /// Up to `take` claimed emails; `claim` fetches the next batch when few are left
    /// (an empty batch means none is due). Empty once everything is handed out.
    fn next(
        &self,
        take: usize,
        claim: impl Fn() -> Result<Vec<Claimed>, WorkerError>,
    ) -> Result<Vec<Claimed>, WorkerError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if !state.done && !state.claiming && state.queue.len() < self.low {
                state.claiming = true;
                drop(state);
                let claimed = claim();
                state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                state.claiming = false;
                self.changed.notify_all();
                match claimed {
                    Ok(ids) if ids.is_empty() => state.done = true,
                    Ok(ids) => state.queue.extend(ids),
                    Err(e) => {
                        state.done = true;
                        return Err(e);
                    }
                }
            }
            if !state.queue.is_empty() {
                let n = take.min(state.queue.len());
                return Ok(state.queue.drain(..n).collect());
            }
            if state.done {
                return Ok(Vec::new());
            }
            // Another thread is claiming.
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// No more claims (the recorder stopped); what is queued is still handed out.
    fn close(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).done = true;
        self.changed.notify_all();
    }
}

/// A display name as an RFC 5322 quoted string.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace(['"', '\\', '\r', '\n'], " "))
}

#[derive(Clone, Copy)]
enum Settled {
    Sent,
    Retried,
    Failed,
    Cancelled,
    Lost,
    Released,
}

/// A claimed email read for writing, or why it cannot be written.
type Readable = Result<Loaded, String>;

/// Loads a batch of claimed emails with their contacts and registrations in one
/// statement, their events in one more (and three more per digest). An email that
/// cannot be written (its event, contact or team is gone) comes back as the reason, to
/// be marked failed alone; only a storage error fails them all.
fn load(c: &mut Db, ids: &[String]) -> Result<Vec<(String, Readable)>, Error> {
    use crate::db::prepared::among;
    use crate::db::schema::{emails, registrations as registrations_table};
    use diesel::prelude::*;
    // One statement for the emails, their contacts and registrations, and one for the
    // few events they are about: on PostgreSQL each statement is a round trip (a read
    // per table and share was three in five of the worker's statements), and an event's
    // row read again with each of its emails was half the bytes read (475 of 970 a row
    // in the bench).
    type Row = (EmailRow, Option<ContactRow>, Option<String>, Option<String>);
    let rows: Vec<Row> = emails::table
        .left_join(contacts_table::table.on(contacts_table::id.nullable().eq(emails::contact_id)))
        .left_join(registrations_table::table.on(registrations_table::id.nullable().eq(emails::registration_id)))
        .filter(among(emails::id, ids))
        .select((
            EmailRow::as_select(),
            Option::<ContactRow>::as_select(),
            contacts_table::unsubscribe_token.nullable(),
            registrations_table::status.nullable(),
        ))
        .load(c)?;
    let mut about: Vec<String> = rows.iter().filter_map(|r| r.0.event_id.clone()).collect();
    about.sort_unstable();
    about.dedup();
    let events: std::collections::HashMap<String, Arc<EventRow>> = crate::events::queries::by_ids(c, &about)?
        .into_iter()
        .map(|e| (e.id.clone(), Arc::new(e)))
        .collect();
    let mut loaded = Vec::with_capacity(rows.len());
    for (email, contact, unsubscribe_token, registration_status) in rows {
        let id = email.id.clone();
        let event = email.event_id.as_ref().and_then(|e| events.get(e)).cloned();
        if email.kind() == EmailKind::Digest {
            let digest = match digests::load(c, &email.id) {
                Ok(digest) => Ok(Loaded::Digest(Box::new(DigestEmail { email, digest }))),
                Err(Error::NotFound(reason)) => Err(reason),
                Err(e) => return Err(e),
            };
            loaded.push((id, digest));
            continue;
        }
        let attendee = (|| {
            let event = event.ok_or_else(|| format!("the event of email {id} no longer exists"))?;
            let contact = contact.ok_or_else(|| format!("the contact of email {id} no longer exists"))?;
            if email.registration_id.is_some() && registration_status.is_none() {
                return Err(format!("the registration of email {id} no longer exists"));
            }
            Ok(Loaded::Attendee(Box::new(AttendeeEmail {
                email,
                event,
                contact,
                registration_status,
                unsubscribe_token,
            })))
        })();
        loaded.push((id, attendee));
    }
    Ok(loaded)
}

/// Why an email due now should not go out after all (the outbox is kept in step with
/// changes, so this is the safety net for races and downtime).
fn skip_reason(l: &Loaded, now: NaiveDateTime) -> Option<&'static str> {
    let l = match l {
        Loaded::Attendee(a) => a,
        Loaded::Digest(d) => return digest_skip_reason(&d.digest, now),
    };
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

/// Why a digest due now should not go out after all.
fn digest_skip_reason(d: &Digest, now: NaiveDateTime) -> Option<&'static str> {
    if d.team.email.is_none() {
        return Some("the team has no email address any more");
    }
    if !crate::digests::rules::still_current(d.day, now.and_utc(), d.team.tz()) {
        return Some("the team's day is over; the next digest lists what is still due");
    }
    if d.total() == 0 {
        return Some("nothing is overdue or due that day any more");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorder_gathers_until_the_gate_fills_closes_or_the_time_is_up() {
        let gate = Arc::new(Gate::new(2));
        // Room left and nothing arriving: the whole time.
        let started = Instant::now();
        gate.wait_full(Duration::from_millis(20));
        assert!(started.elapsed() >= Duration::from_millis(20));
        // The senders fill the gate (before or while it waits): no more can come, so
        // it records now rather than after a minute.
        let senders = {
            let gate = gate.clone();
            std::thread::spawn(move || gate.enter() && gate.enter())
        };
        let started = Instant::now();
        gate.wait_full(Duration::from_secs(60));
        assert!(started.elapsed() < Duration::from_secs(30));
        assert!(senders.join().unwrap());
        // Recorded, then closed: no waiting either.
        gate.leave(2);
        gate.close();
        let started = Instant::now();
        gate.wait_full(Duration::from_secs(60));
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
