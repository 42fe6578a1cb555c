//! Roadshows: derived span and cities, their events, and deletion rules.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{id, spawn};

#[tokio::test]
async fn span_and_cities_follow_the_events_across_zones() {
    let app = spawn().await;
    let rs = app.roadshow("中日化工交流路演").await;
    assert_eq!(rs["event_count"], 0);
    assert!(rs["starts_at"].is_null() && rs["cities"].as_array().unwrap().is_empty());
    let rid = id(&rs);
    // Added out of time order, in two zones.
    app.event(json!({ "city": "東京", "timezone": "Asia/Tokyo", "starts_at": "2024-05-20T10:00:00", "ends_at": "2024-05-20T12:00:00", "roadshow_id": rid })).await;
    let shanghai = app
        .event(json!({ "city": "上海", "starts_at": "2024-05-16T14:00:00", "roadshow_id": rid }))
        .await;
    let osaka = app
        .event(
            json!({ "city": "大阪", "timezone": "Asia/Tokyo", "starts_at": "2024-05-25T10:00:00", "roadshow_id": rid }),
        )
        .await;
    app.post(&format!("/api/v1/events/{}/cancel", id(&osaka)), json!({}))
        .await;

    let r = app.get(&format!("/api/v1/roadshows/{rid}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["starts_at"], "2024-05-16T14:00:00+08:00");
    assert_eq!(r.body["ends_at"], "2024-05-20T12:00:00+09:00");
    assert_eq!(r.body["cities"], json!(["上海", "東京"]));
    assert_eq!(r.body["event_count"], 3);
    assert_eq!(r.header("etag"), Some("\"1\""));

    let events = app.get(&format!("/api/v1/roadshows/{rid}/events")).await;
    let cities: Vec<&str> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["city"].as_str().unwrap())
        .collect();
    assert_eq!(cities, ["上海", "東京", "大阪"]);

    // Moving an event out of the roadshow changes the span.
    app.patch(
        &format!("/api/v1/events/{}", id(&shanghai)),
        json!({ "roadshow_id": null }),
    )
    .await;
    let r = app.get(&format!("/api/v1/roadshows/{rid}")).await;
    assert_eq!(r.body["starts_at"], "2024-05-20T10:00:00+09:00");
    assert_eq!(r.body["event_count"], 2);

    let list = app.get("/api/v1/roadshows").await;
    assert_eq!(list.body["items"][0]["cities"], json!(["東京"]));
    assert!(list.body["next_cursor"].is_null());
}

#[tokio::test]
async fn roadshows_are_edited_listed_and_deleted_only_when_empty() {
    let app = spawn().await;
    let rs = app.roadshow("2024 New Materials Investment Roadshow").await;
    let path = format!("/api/v1/roadshows/{}", id(&rs));
    let r = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.organiser),
            Some(json!({ "theme": "石化新材料" })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(
        (r.status, r.body["theme"].as_str(), r.body["version"].as_i64()),
        (200, Some("石化新材料"), Some(2))
    );
    app.send(
        Method::PATCH,
        &path,
        Some(&app.organiser),
        Some(json!({ "theme": null })),
        &[("if-match", "\"1\"")],
    )
    .await
    .assert_problem(412);
    let r = app.patch(&path, json!({ "name": "" })).await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["name"]);
    app.patch(&path, json!({ "budget": 1 })).await.assert_problem(422);

    let e = app.event(json!({ "roadshow_id": id(&rs) })).await;
    let r = app.delete(&path).await;
    r.assert_problem(409);
    assert!(r.body["detail"].as_str().unwrap().contains("1 event"), "{}", r.text);
    app.delete(&format!("/api/v1/events/{}", id(&e))).await;
    assert_eq!(app.delete(&path).await.status, 204);
    app.get(&path).await.assert_problem(404);
    app.get(&format!("{path}/events")).await.assert_problem(404);

    for i in 0..3 {
        app.roadshow(&format!("路演 {i}")).await;
    }
    let first = app.get("/api/v1/roadshows?limit=2").await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app.get(&format!("/api/v1/roadshows?limit=2&cursor={cursor}")).await;
    assert_eq!(second.body["items"].as_array().unwrap().len(), 1);
    assert!(second.body["next_cursor"].is_null());
}
