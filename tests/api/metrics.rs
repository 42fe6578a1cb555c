//! `/metrics` in Prometheus' text format, on its own listener: requests per route
//! pattern, send attempts and failures, the outbox by kind and status, the oldest due
//! email's age and the pools; never on the API's port, and off by default.

use chrono::{TimeZone, Utc};
use serde_json::json;

use crate::helpers::{read, spawn, spawn_with, TestApp};
use crate::reminders::{worker_on, Smtp};

async fn scrape(app: &TestApp) -> String {
    let port = app.metrics_port.expect("metrics are on");
    let res = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status().as_u16(), 200);
    let kind = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    res.text().await.unwrap()
}

/// The value of the series written exactly as `series` (name and labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn metrics_are_off_by_default_and_never_on_the_api_port() {
    let app = spawn().await;
    assert_eq!(app.metrics_port, None);
    app.get("/metrics").await.assert_problem(404);
    let on = spawn_with(|s| s.metrics.listen = "127.0.0.1:0".into()).await;
    on.get("/metrics").await.assert_problem(404);
    on.get("/api/v1/metrics").await.assert_problem(404);
    // The metrics listener serves nothing else.
    let port = on.metrics_port.unwrap();
    let other = read(
        on.client
            .get(format!("http://127.0.0.1:{port}/api/v1/events"))
            .bearer_auth(&on.organiser)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn requests_emails_attempts_and_pools_show_up_in_the_scrape() {
    let app = spawn_with(|s| s.metrics.listen = "127.0.0.1:0".into()).await;
    app.clock.set(Utc.with_ymd_and_hms(2030, 2, 1, 0, 0, 0).unwrap());
    let ev = app.open_event(json!({})).await;
    let other = app.open_event(json!({ "title": "功能膜材料推介会" })).await;
    assert_eq!(app.get(&format!("/api/v1/events/{ev}")).await.status, 200);
    assert_eq!(app.get(&format!("/api/v1/events/{other}")).await.status, 200);
    app.get("/api/v1/no-such-route").await.assert_problem(404);
    for (name, email) in [("王伟", "wang@example.cn"), ("Bounce", "bounce@refused.example")] {
        let r = app
            .register(&ev, json!({ "name": name, "email": email, "language": "zh-CN" }))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    // Two confirmations waiting, due 90 seconds ago.
    app.clock.advance(chrono::Duration::seconds(90));
    let text = scrape(&app).await;
    let get_event = r#"{method="GET",route="/api/v1/events/{id}",status="200"}"#;
    assert_eq!(
        value(&text, &format!("roadshow_http_requests_total{get_event}")),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"roadshow_http_request_duration_seconds_count{method="GET",route="/api/v1/events/{id}"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"roadshow_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"roadshow_http_requests_total{method="POST",route="/api/v1/events/{id}/registrations",status="201"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert!(!text.contains(&ev), "no ids in labels");
    assert_eq!(
        value(&text, r#"roadshow_emails{kind="confirmation",status="pending"}"#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"roadshow_emails{kind="digest",status="sent"}"#),
        Some(0.0)
    );
    assert_eq!(
        value(&text, "roadshow_email_oldest_due_age_seconds"),
        Some(90.0),
        "{text}"
    );
    assert_eq!(value(&text, "roadshow_database_up"), Some(1.0));
    let pool = if app.db_url().starts_with("postgres") {
        "shared"
    } else {
        "read"
    };
    let open = value(&text, &format!(r#"roadshow_db_pool_connections{{pool="{pool}"}}"#)).expect(&text);
    let max = value(&text, &format!(r#"roadshow_db_pool_max_connections{{pool="{pool}"}}"#));
    assert!(open >= 1.0 && Some(open) <= max, "{text}");

    // A worker counting into the app's metrics: one sent, one refused for good.
    let smtp = Smtp::start(&["refused.example"]);
    let worker =
        worker_on(&app, app.database.clone(), smtp.port, "metrics-worker").with_metrics(app.metrics.clone().unwrap());
    let report = worker.deliver_due().await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 1), "{report:?}");
    let text = scrape(&app).await;
    assert_eq!(
        value(&text, r#"roadshow_email_send_attempts_total{kind="confirmation"}"#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"roadshow_email_send_failures_total{error="permanent",kind="confirmation"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"roadshow_emails{kind="confirmation",status="sent"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"roadshow_emails{kind="confirmation",status="failed"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"roadshow_emails{kind="confirmation",status="pending"}"#),
        Some(0.0)
    );
    assert_eq!(
        value(&text, "roadshow_email_oldest_due_age_seconds"),
        Some(0.0),
        "{text}"
    );
    assert!(text.contains("# TYPE roadshow_http_request_duration_seconds histogram"));

    // The relay is down: a retried email stays due, so its age keeps counting.
    let r = app
        .register(
            &ev,
            json!({ "name": "李娜", "email": "li@example.cn", "language": "zh-CN" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    app.clock.advance(chrono::Duration::seconds(60));
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = worker_on(&app, app.database.clone(), closed, "down-worker");
    assert_eq!(down.deliver_due().await.unwrap().retried, 1);
    app.clock.advance(chrono::Duration::seconds(5));
    let text = scrape(&app).await;
    assert_eq!(
        value(&text, "roadshow_email_oldest_due_age_seconds"),
        Some(65.0),
        "{text}"
    );
}
