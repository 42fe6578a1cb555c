//! Work `serve` does in the background, besides answering requests. Jobs run on their
//! own threads so they work under any async runtime, and stop when their handle drops.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::clock::Clock;
use crate::config::IdempotencySettings;
use crate::db::Database;
use crate::error::Error;
use crate::idempotency;

/// A running background job; dropping it stops the job.
pub struct Job {
    _stop: Sender<()>,
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

/// Runs `work` at once and then every `interval` on a thread named `name`.
fn every(interval: Duration, name: &str, mut work: impl FnMut() + Send + 'static) -> std::io::Result<Job> {
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new().name(name.into()).spawn(move || loop {
        work();
        match stopped.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => continue,
            // The handle was dropped (or sent): the server is stopping.
            _ => break,
        }
    })?;
    Ok(Job { _stop: stop })
}
