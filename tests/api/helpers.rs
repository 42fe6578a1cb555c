//! Spawning the app on a fresh database and talking to it.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use reqwest::{header::HeaderMap, Method};
use roadshow::app::Application;
use roadshow::clock::Clock;
use roadshow::config::Settings;
use roadshow::db::Database;
use roadshow::tokens::{queries, Role};
use serde_json::{json, Value};

/// A fresh database for one test, dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// SQLite in a temp dir, or a new PostgreSQL database when TEST_DATABASE_URL says so.
    pub fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if admin.starts_with("postgres") => {
                let name = format!("roadshow_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin).expect("connect to TEST_DATABASE_URL");
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let url = without_tls(&with_database(&admin, &name));
                TestDb {
                    url,
                    _dir: None,
                    pg: Some((admin, name)),
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("roadshow.db").display().to_string();
                TestDb {
                    url,
                    _dir: Some(dir),
                    pg: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// Asks for a plain loopback connection unless the URL chooses: r2d2 opens pool
/// connections on its own threads, and one opened over TLS while the test process
/// exits can crash it in OpenSSL's exit-time cleanup (seen once: every test passed,
/// then SIGSEGV; diesel-rs/diesel#3441).
fn without_tls(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

/// Replaces the database name in a postgres URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

/// A running server with one token per role.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub admin: String,
    pub organiser: String,
    pub viewer: String,
    /// The app's clock: the system's, which a test can move forward instead of sleeping.
    pub clock: Clock,
    /// The app's database and settings, for tests that run a mail worker on them.
    pub database: Database,
    pub settings: std::sync::Arc<Settings>,
    /// The port of `/metrics` when the test set `metrics.listen`.
    pub metrics_port: Option<u16>,
    /// The app's metrics (for a test's own worker to count into), when on.
    pub metrics: Option<roadshow::metrics::Metrics>,
    /// Kept so the database lives as long as the app.
    _db: TestDb,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    /// A header's value, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The fields named in a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect())
            .unwrap_or_default()
    }

    /// Asserts a problem+json response with this status.
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string() && self.body["detail"].is_string() && self.body["type"].is_string());
        self
    }
}

/// Starts the app on a fresh database.
pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

/// Starts the app after `tweak` adjusts its settings.
pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_on(TestDb::new(), tweak).await
}

/// Starts the app on an existing test database.
pub async fn spawn_on(db: TestDb, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::load_from(
        Path::new("/nonexistent"),
        [("DATABASE_URL".to_string(), db.url.clone())],
    )
    .expect("settings");
    settings.server.port = 0;
    settings.database.pool_size = 4;
    // Tests deliver emails themselves (the reminder tests start a worker when they want one).
    settings.reminders.worker_enabled = false;
    tweak(&mut settings);
    let clock = Clock::adjustable();
    let database = Database::open(&db.url, settings.database.pool_size).expect("open database");
    database.migrate().expect("migrate");
    let token = |name: &str, role: Role| {
        database
            .write_blocking(|c| queries::create(c, name, role, clock.now()))
            .expect("create token")
            .token
    };
    let (admin, organiser, viewer) = (
        token("test-admin", Role::Admin),
        token("test-organiser", Role::Organiser),
        token("test-viewer", Role::Viewer),
    );
    let shared = std::sync::Arc::new(settings.clone());
    let app = Application::build(settings, database.clone(), clock.clone()).expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (metrics_port, metrics) = (app.metrics_port(), app.metrics());
    tokio::spawn(app.run());
    TestApp {
        base,
        client: reqwest::Client::new(),
        admin,
        organiser,
        viewer,
        clock,
        database,
        settings: shared,
        metrics_port,
        metrics,
        _db: db,
    }
}

impl TestApp {
    /// Runs SQL on the app's database behind its back (to store what the API would refuse).
    pub fn raw_sql(&self, sql: &str) {
        use diesel::RunQueryDsl;
        let database = Database::open(&self._db.url, 1).expect("open database");
        let mut conn = database.connection().expect("connection");
        diesel::sql_query(sql).execute(&mut *conn).expect("raw SQL");
    }

    /// The database URL the app runs on (for raw SQL and the CLI in tests).
    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    /// Sends a request with an optional token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await.expect("request")).await
    }

    /// GET as the organiser.
    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, Some(&self.organiser), None, &[]).await
    }

    /// POST JSON as the organiser.
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(&self.organiser), Some(body), &[])
            .await
    }

    /// PATCH JSON as the organiser.
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, Some(&self.organiser), Some(body), &[])
            .await
    }

    /// DELETE as the organiser.
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, Some(&self.organiser), None, &[]).await
    }

    /// Creates an event from `fields` on top of a valid Fuzhou event; panics unless 201.
    pub async fn event(&self, fields: Value) -> Value {
        let mut body = json!({
            "title": "高端聚酰胺产业机遇座谈会",
            "city": "福州",
            "timezone": "Asia/Shanghai",
            "starts_at": "2024-03-04T14:00:00",
        });
        merge(&mut body, fields);
        let r = self.post("/api/v1/events", body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }

    /// Creates a scheduled event open for registration (with `fields` on top).
    pub async fn open_event(&self, fields: Value) -> String {
        let mut body = json!({ "status": "scheduled", "starts_at": "2030-03-04T14:00:00" });
        merge(&mut body, fields);
        id(&self.event(body).await)
    }

    /// Registers someone for an event.
    pub async fn register(&self, event_id: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/events/{event_id}/registrations"), body)
            .await
    }

    /// The event's live counts: (registered, waitlisted, checked in, seats left).
    pub async fn counts(&self, event_id: &str) -> (i64, i64, i64, Option<i64>) {
        let e = self.get(&format!("/api/v1/events/{event_id}")).await.body;
        (
            e["registered_count"].as_i64().unwrap(),
            e["waitlisted_count"].as_i64().unwrap(),
            e["checked_in_count"].as_i64().unwrap(),
            e["seats_left"].as_i64(),
        )
    }

    /// Creates a roadshow; panics unless 201.
    pub async fn roadshow(&self, name: &str) -> Value {
        let r = self.post("/api/v1/roadshows", json!({ "name": name })).await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }
}

/// Reads a response whole, parsing JSON when there is any.
pub async fn read(res: reqwest::Response) -> Resp {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        body,
    }
}

/// Shallow-merges `extra` into `base`.
pub fn merge(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
}

/// The `id` of a JSON resource.
pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

#[test]
fn database_names_are_swapped_in_urls() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/postgres?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    assert_eq!(without_tls("postgres://u@h/x"), "postgres://u@h/x?sslmode=disable");
    assert_eq!(
        without_tls("postgres://u@h/x?a=b"),
        "postgres://u@h/x?a=b&sslmode=disable"
    );
    assert_eq!(
        without_tls("postgres://u@h/x?sslmode=require"),
        "postgres://u@h/x?sslmode=require"
    );
}

/// A child process of a test (`roadshow serve` or `worker`), killed if the test ends
/// (or fails) while it runs: a failed assertion must not leave it running.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
