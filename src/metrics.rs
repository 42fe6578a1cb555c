//! Operational metrics in Prometheus' text format: HTTP requests per route, the mail
//! worker's send attempts and failures, and, read from the database at scrape time,
//! the outbox by kind and status, the age of the oldest due email and the pools.
//!
//! Each process has its own registry (several replicas each expose theirs; the
//! database-wide gauges read the same on every one).

use std::sync::Arc;
use std::time::Duration;

use prometheus::{
    Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::clock::Clock;
use crate::db::Database;
use crate::error::Error;
use crate::reminders::model::{EmailKind, EmailStatus};
use crate::reminders::queries as outbox;

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

/// This process's metrics; clones share them.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    send_attempts: IntCounterVec,
    send_failures: IntCounterVec,
    digests_planned: IntCounter,
    emails: IntGaugeVec,
    oldest_due: Gauge,
    search_queue: IntGauge,
    database_up: IntGauge,
    pool_connections: IntGaugeVec,
    pool_idle: IntGaugeVec,
    pool_max: IntGaugeVec,
}

/// How a send attempt ended, for the failure counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Worth another try (refused connection, timeout, 4xx).
    Transient,
    /// Final (5xx for the recipient, an address or message that cannot be built).
    Permanent,
}

/// Methods kept as they are in labels; anything else is `other`, so a client cannot
/// make up series.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

impl Metrics {
    /// A fresh registry with every series this program reports.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "roadshow_http_requests_total",
                "HTTP requests answered, by route pattern",
            ),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "roadshow_http_request_duration_seconds",
                "Time to answer an HTTP request (until the response head), by route pattern",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route"],
        )?;
        let send_attempts = IntCounterVec::new(
            Opts::new(
                "roadshow_email_send_attempts_total",
                "Emails this process's worker tried to send",
            ),
            &["kind"],
        )?;
        let send_failures = IntCounterVec::new(
            Opts::new(
                "roadshow_email_send_failures_total",
                "Send attempts that failed: transient (retried later) or permanent",
            ),
            &["kind", "error"],
        )?;
        let digests_planned = IntCounter::new(
            "roadshow_digests_planned_total",
            "Follow-up digest emails this process's worker put in the outbox",
        )?;
        let emails = IntGaugeVec::new(
            Opts::new("roadshow_emails", "Emails in the outbox, by kind and status"),
            &["kind", "status"],
        )?;
        let oldest_due = Gauge::new(
            "roadshow_email_oldest_due_age_seconds",
            "How long the oldest pending email has been due (0 when none is)",
        )?;
        let search_queue = IntGauge::new(
            "roadshow_search_queue_documents",
            "Search documents waiting for the background merge into the gram index",
        )?;
        let database_up = IntGauge::new(
            "roadshow_database_up",
            "1 when the database answered this scrape's queries, else 0",
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new("roadshow_db_pool_connections", "Open database connections, by pool"),
            &["pool"],
        )?;
        let pool_idle = IntGaugeVec::new(
            Opts::new(
                "roadshow_db_pool_idle_connections",
                "Idle database connections, by pool",
            ),
            &["pool"],
        )?;
        let pool_max = IntGaugeVec::new(
            Opts::new("roadshow_db_pool_max_connections", "The most connections a pool opens"),
            &["pool"],
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(send_attempts.clone()))?;
        registry.register(Box::new(send_failures.clone()))?;
        registry.register(Box::new(digests_planned.clone()))?;
        registry.register(Box::new(emails.clone()))?;
        registry.register(Box::new(oldest_due.clone()))?;
        registry.register(Box::new(search_queue.clone()))?;
        registry.register(Box::new(database_up.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_idle.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        Ok(Metrics {
            inner: Arc::new(Inner {
                registry,
                http_requests,
                http_duration,
                send_attempts,
                send_failures,
                digests_planned,
                emails,
                oldest_due,
                search_queue,
                database_up,
                pool_connections,
                pool_idle,
                pool_max,
            }),
        })
    }

    /// Counts one answered request; `route` is the matched pattern (`/api/v1/events/{id}`),
    /// never the raw path, so ids do not multiply the series.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let method = METHODS.iter().find(|m| **m == method).copied().unwrap_or("other");
        let status = status.to_string();
        self.inner
            .http_requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.inner
            .http_duration
            .with_label_values(&[method, route])
            .observe(took.as_secs_f64());
    }

    /// Counts one send attempt of an email of `kind` and how it ended.
    pub fn observe_send(&self, kind: EmailKind, outcome: Attempt) {
        self.inner.send_attempts.with_label_values(&[kind.as_str()]).inc();
        let error = match outcome {
            Attempt::Sent => return,
            Attempt::Transient => "transient",
            Attempt::Permanent => "permanent",
        };
        self.inner
            .send_failures
            .with_label_values(&[kind.as_str(), error])
            .inc();
    }

    /// Counts digest emails planned.
    pub fn observe_digests(&self, emails: usize) {
        self.inner.digests_planned.inc_by(emails as u64);
    }

    /// Reads the outbox and the pools, then writes every series in the text format.
    pub async fn scrape(&self, db: &Database, clock: &Clock) -> String {
        let now = clock.now();
        let read = db
            .read(move |c| -> Result<_, Error> {
                Ok((
                    outbox::counts(c)?,
                    outbox::oldest_due(c, now)?,
                    crate::db::search::queued_count(c)?,
                ))
            })
            .await;
        let m = &self.inner;
        match read {
            Ok((counts, oldest, queued)) => {
                m.search_queue.set(queued);
                m.database_up.set(1);
                // Every kind and status, so a series reads 0 rather than vanishing.
                for kind in EmailKind::ALL {
                    for status in EmailStatus::ALL {
                        m.emails.with_label_values(&[kind.as_str(), status.as_str()]).set(0);
                    }
                }
                for (kind, status, n) in counts {
                    m.emails.with_label_values(&[kind.as_str(), status.as_str()]).set(n);
                }
                let age = oldest.map(|due| (now - due).num_milliseconds().max(0) as f64 / 1000.0);
                m.oldest_due.set(age.unwrap_or(0.0));
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: reading the outbox failed");
                m.database_up.set(0);
                m.emails.reset();
                m.oldest_due.set(0.0);
                m.search_queue.set(0);
            }
        }
        for pool in db.pool_states() {
            m.pool_connections
                .with_label_values(&[pool.name])
                .set(pool.connections.into());
            m.pool_idle.with_label_values(&[pool.name]).set(pool.idle.into());
            m.pool_max.with_label_values(&[pool.name]).set(pool.max.into());
        }
        TextEncoder::new()
            .encode_to_string(&m.registry.gather())
            .unwrap_or_else(|e| format!("# encoding the metrics failed: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_per_pattern_and_odd_methods_fold_into_other() {
        let m = Metrics::new().unwrap();
        m.observe_request("GET", "/api/v1/events/{id}", 200, Duration::from_millis(3));
        m.observe_request("GET", "/api/v1/events/{id}", 200, Duration::from_millis(30));
        m.observe_request("BREW", "unmatched", 404, Duration::from_millis(1));
        m.observe_send(EmailKind::Reminder, Attempt::Sent);
        m.observe_send(EmailKind::Reminder, Attempt::Transient);
        let text = TextEncoder::new().encode_to_string(&m.inner.registry.gather()).unwrap();
        assert!(
            text.contains(r#"roadshow_http_requests_total{method="GET",route="/api/v1/events/{id}",status="200"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"method="other""#), "{text}");
        assert!(
            text.contains(r#"roadshow_email_send_attempts_total{kind="reminder"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"roadshow_email_send_failures_total{error="transient",kind="reminder"} 1"#),
            "{text}"
        );
        assert!(text.contains("roadshow_http_request_duration_seconds_bucket"), "{text}");
    }
}
