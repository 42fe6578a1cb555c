//! The `roadshow` binary: demo, token, migrate, configuration errors, and serve's life cycle.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_on, Running, TestDb};

fn roadshow(db: &TestDb, dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roadshow"));
    cmd.args(args)
        .current_dir(dir)
        .env("DATABASE_URL", &db.url)
        .env_remove("ROADSHOW_ENV")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run roadshow")
}

#[tokio::test]
async fn demo_twice_loads_the_seed_roadshow_once() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let first = roadshow(&db, dir.path(), &["demo"], &[]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let second = roadshow(&db, dir.path(), &["demo"], &[]);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("nothing changed"));

    let app = spawn_on(db, |_| {}).await;
    let list = app.get("/api/v1/roadshows").await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", list.text);
    assert_eq!(items[0]["name"], "2024 New Materials Investment Roadshow");
    assert_eq!(items[0]["event_count"], 4);
    assert_eq!(items[0]["cities"], json!(["福州", "舟山", "上海", "宁波"]));
    assert_eq!(items[0]["starts_at"], "2024-03-04T14:00:00+08:00");
    let events = app.get("/api/v1/events").await;
    assert_eq!(events.body["items"].as_array().unwrap().len(), 4);
    assert!(events.body["items"][0]["title"].as_str().unwrap().contains("聚酰胺"));
}

#[tokio::test]
async fn token_create_prints_a_working_token_once() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let out = roadshow(
        &db,
        dir.path(),
        &["token", "create", "--name", "division-1", "--role", "organiser"],
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.len() >= 40);
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&token));
    let bad = roadshow(
        &db,
        dir.path(),
        &["token", "create", "--name", "x", "--role", "root"],
        &[],
    );
    assert!(!bad.status.success());
    let dup = roadshow(
        &db,
        dir.path(),
        &["token", "create", "--name", "division-1", "--role", "viewer"],
        &[],
    );
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));

    let app = spawn_on(db, |_| {}).await;
    let r = app
        .send(
            Method::POST,
            "/api/v1/roadshows",
            Some(&token),
            Some(json!({ "name": "从命令行" })),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn bad_configuration_fails_naming_the_key() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    for (key, value, named) in [
        ("ROADSHOW__SERVER__PORT", "eighty", "server.port"),
        ("ROADSHOW__DATABASE__POOL_SIZE", "0", "database.pool_size"),
        ("ROADSHOW__SERVER__PUBLIC_BASE_URL", "nowhere", "server.public_base_url"),
    ] {
        let out = roadshow(&db, dir.path(), &["migrate"], &[(key, value)]);
        assert!(!out.status.success(), "{key}={value} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(named), "{key}: {err}");
    }
    let ok = roadshow(&db, dir.path(), &["migrate"], &[]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
}

#[tokio::test]
async fn serve_bootstraps_an_admin_token_and_stops_gracefully() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let token_file = dir.path().join("secrets/admin-token");
    let log = dir.path().join("serve.log");
    // Killed if the test fails while it runs.
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_roadshow"))
            .arg("serve")
            .current_dir(dir.path())
            .env("DATABASE_URL", &db.url)
            .env("ROADSHOW__SERVER__PORT", port.to_string())
            .env("ROADSHOW__AUTH__BOOTSTRAP_TOKEN_FILE", &token_file)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "serve did not start: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let token = std::fs::read_to_string(&token_file).unwrap().trim().to_string();
    let r = client
        .get(format!("{base}/api/v1/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the bootstrap token must be an admin token");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("admin-token"), "the log must name the file: {logged}");
    assert!(!logged.contains(&token), "the token itself must never be logged");

    let kill = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(stopped.elapsed() < Duration::from_secs(30), "serve ignored SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "serve exited with {status}");

    // A second start on the same database makes no second token.
    let before = std::fs::metadata(&token_file).unwrap().modified().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_roadshow"))
        .arg("migrate")
        .current_dir(dir.path())
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::metadata(&token_file).unwrap().modified().unwrap(), before);
}
