//! Public self-service: register, view, cancel and fetch the calendar with no token.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn, spawn_with};

#[tokio::test]
async fn attendees_register_view_and_cancel_themselves() {
    let app = spawn().await;
    let ev = app
        .open_event(json!({ "capacity": 1, "public_registration": true, "venue": "福州会议中心" }))
        .await;
    let url = format!("/api/v1/public/events/{ev}/registrations");
    let me = json!({ "name": "陈教授", "email": "chen@scu.edu.cn", "company_name": "四川大学", "language": "zh-CN" });

    let shown = app
        .send(Method::GET, &format!("/api/v1/public/events/{ev}"), None, None, &[])
        .await;
    assert_eq!(
        (shown.status, shown.body["venue"].as_str()),
        (200, Some("福州会议中心"))
    );
    assert!(shown.body.get("registered_count").is_none());

    let r = app.send(Method::POST, &url, None, Some(me.clone()), &[]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let token = r.body["manage_token"].as_str().unwrap().to_string();
    assert!(token.len() >= 40);
    assert_eq!(r.body["registration"]["status"], "registered");
    assert_eq!(
        r.body["registration"]["event"]["starts_at"],
        "2030-03-04T14:00:00+08:00"
    );

    // Someone else gets the waitlist; neither sees the other.
    let other = app
        .send(
            Method::POST,
            &url,
            None,
            Some(json!({ "name": "Suzuki", "email": "suzuki@asahi.jp" })),
            &[],
        )
        .await;
    assert_eq!(other.body["registration"]["waitlist_position"], 1);
    let mine = app
        .send(
            Method::GET,
            &format!("/api/v1/public/registrations/{token}"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["email"], "chen@scu.edu.cn");
    assert!(!mine.text.contains("suzuki"), "{}", mine.text);

    // Registering again with the same email says so, without naming the registration.
    let dup = app.send(Method::POST, &url, None, Some(me), &[]).await;
    dup.assert_problem(409);
    assert!(dup.body.get("existing_id").is_none());

    let ics = app
        .send(
            Method::GET,
            &format!("/api/v1/public/registrations/{token}/calendar.ics"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(ics.status, 200);
    assert!(ics.text.contains("BEGIN:VEVENT") && ics.text.contains("DTSTART;TZID=Asia/Shanghai:20300304T140000"));

    let cancelled = app
        .send(
            Method::POST,
            &format!("/api/v1/public/registrations/{token}/cancel"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.text);
    let twice = app
        .send(
            Method::POST,
            &format!("/api/v1/public/registrations/{token}/cancel"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(twice.body["status"], "cancelled");
    // The waitlisted attendee got the seat.
    let theirs = other.body["manage_token"].as_str().unwrap();
    let theirs = app
        .send(
            Method::GET,
            &format!("/api/v1/public/registrations/{theirs}"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(theirs.body["status"], "registered");
    app.send(Method::GET, "/api/v1/public/registrations/rs_unknown", None, None, &[])
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn events_without_public_registration_reveal_nothing() {
    let app = spawn().await;
    let private = app.open_event(json!({})).await;
    let body = json!({ "name": "x", "email": "x@y.cn" });
    app.send(
        Method::POST,
        &format!("/api/v1/public/events/{private}/registrations"),
        None,
        Some(body.clone()),
        &[],
    )
    .await
    .assert_problem(404);
    app.send(
        Method::GET,
        &format!("/api/v1/public/events/{private}"),
        None,
        None,
        &[],
    )
    .await
    .assert_problem(404);
    let draft = crate::helpers::id(&app.event(json!({ "public_registration": true })).await);
    app.send(
        Method::POST,
        &format!("/api/v1/public/events/{draft}/registrations"),
        None,
        Some(body),
        &[],
    )
    .await
    .assert_problem(409);
    let open = app.open_event(json!({ "public_registration": true })).await;
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/public/events/{open}/registrations"),
            None,
            Some(json!({ "name": "x", "email": "nope", "role": "host" })),
            &[],
        )
        .await;
    r.assert_problem(422);
}

#[tokio::test]
async fn public_routes_are_rate_limited_per_client() {
    let app = spawn_with(|s| s.rate_limit.public_per_minute = 3).await;
    let url = format!("/api/v1/public/events/{}", uuid::Uuid::new_v4());
    for _ in 0..3 {
        assert_eq!(app.send(Method::GET, &url, None, None, &[]).await.status, 404);
    }
    let limited = app.send(Method::GET, &url, None, None, &[]).await;
    limited.assert_problem(429);
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    // Organiser routes are not limited.
    assert_eq!(app.get("/api/v1/events").await.status, 200);
}
