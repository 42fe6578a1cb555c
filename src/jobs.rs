//! Work `serve` does in the background, besides answering requests. Jobs run on their
//! own threads so they work under any async runtime, and stop when their handle drops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::IdempotencySettings;
use crate::db::{search, Database};
use crate::digests::service::Planned;
use crate::error::Error;
use crate::idempotency;
use crate::mail::worker::{Report, Worker};

/// A running background job; dropping it stops the job and waits for its current round.
pub struct Job {
    stop: Option<Sender<()>>,
    /// Set on drop, for jobs whose round can end early (the mail worker's batches).
    stopping: Option<Arc<AtomicBool>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(flag) = &self.stopping {
            flag.store(true, Ordering::Relaxed);
        }
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Each round plans the follow-up digests that have come due, then sends due emails:
/// now and then every `interval_secs`, on a thread with its own runtime; on drop it
/// finishes the emails it holds, then stops.
pub fn deliver_emails(worker: Worker, interval_secs: u64) -> std::io::Result<Job> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let flag = worker.stop_flag();
    let mut job = every(Duration::from_secs(interval_secs.max(1)), "mail-worker", move || {
        match runtime.block_on(worker.plan_digests()) {
            Ok(p) if p == Planned::default() => {}
            Ok(p) => tracing::info!(days = p.days, emails = p.emails, "follow-up digests planned"),
            // The same days are still unplanned next round.
            Err(e) => tracing::warn!(error = %e, "planning follow-up digests failed"),
        }
        match runtime.block_on(worker.deliver_due()) {
            Ok(r) if r == Report::default() => {}
            Ok(r) => tracing::info!(
                sent = r.sent,
                retried = r.retried,
                failed = r.failed,
                cancelled = r.cancelled,
                "emails delivered"
            ),
            // Nothing is lost by waiting: the emails stay due for the next round.
            Err(e) => tracing::warn!(error = %e, "delivering emails failed"),
        }
    })?;
    job.stopping = Some(flag);
    Ok(job)
}

/// Purges expired `Idempotency-Key` responses now and then every interval.
pub fn purge_idempotency_keys(db: Database, settings: IdempotencySettings, clock: Clock) -> std::io::Result<Job> {
    let retention = i64::try_from(settings.retention_secs)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .unwrap_or(chrono::Duration::MAX);
    let interval = Duration::from_secs(settings.purge_interval_secs);
    every(interval, "idempotency-purge", move || {
        let Some(cutoff) = clock.now().checked_sub_signed(retention) else {
            return;
        };
        match db.write_blocking::<_, Error, _>(|c| idempotency::purge(c, cutoff)) {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired idempotency keys purged"),
            // Nothing is lost by waiting: the next round tries again.
            Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed"),
        }
    })
}

/// Merges queued search documents into the gram index now and then every second (see
/// `db::search`): a batch at a time through the database's writer, until the queue
/// is empty or a round has run for five seconds (so that stopping never waits long).
pub fn merge_search_index(db: Database) -> std::io::Result<Job> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    every(Duration::from_secs(1), "search-merge", move || {
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            let merged = runtime.block_on(db.write::<_, Error, _>(|c| search::merge(c, search::MERGE_BATCH)));
            match merged {
                Ok(n) if (n as i64) < search::MERGE_BATCH => break,
                Ok(_) => continue,
                // Nothing is lost by waiting: the documents stay queued (and found).
                Err(e) => {
                    tracing::warn!(error = %e, "merging the search index failed");
                    break;
                }
            }
        }
    })
}

/// Gives the C allocator's free memory (SQLite's sorts and page caches) back to the
/// system every 30 seconds (see `c_heap`).
pub fn trim_c_heap() -> std::io::Result<Job> {
    every(Duration::from_secs(30), "c-heap-trim", crate::c_heap::trim)
}

/// Runs `work` at once and then every `interval` on a thread named `name`.
fn every(interval: Duration, name: &str, mut work: impl FnMut() + Send + 'static) -> std::io::Result<Job> {
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new().name(name.into()).spawn(move || loop {
        work();
        match stopped.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => continue,
            // The handle was dropped (or sent): the server is stopping.
            _ => break,
        }
    })?;
    Ok(Job {
        stop: Some(stop),
        stopping: None,
        thread: Some(thread),
    })
}
