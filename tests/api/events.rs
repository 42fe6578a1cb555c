//! Events: time zones, life cycle, validation, concurrency and listing.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{id, spawn};

#[tokio::test]
async fn times_read_and_show_in_the_event_zone() {
    let app = spawn().await;
    let shanghai = app
        .event(json!({ "starts_at": "2024-03-04T14:00:00", "ends_at": "2024-03-04T17:00" }))
        .await;
    assert_eq!(shanghai["starts_at"], "2024-03-04T14:00:00+08:00");
    assert_eq!(shanghai["ends_at"], "2024-03-04T17:00:00+08:00");

    let tokyo = app
        .event(json!({ "city": "東京", "timezone": "Asia/Tokyo", "starts_at": "2024-05-20T10:00:00+08:00" }))
        .await;
    // An explicit offset wins; the answer is in Tokyo's zone.
    assert_eq!(tokyo["starts_at"], "2024-05-20T11:00:00+09:00");

    let summer = app
        .event(json!({ "timezone": "Europe/Berlin", "starts_at": "2025-07-01T09:00:00" }))
        .await;
    let winter = app
        .event(json!({ "timezone": "Europe/Berlin", "starts_at": "2025-12-01T09:00:00" }))
        .await;
    assert_eq!(summer["starts_at"], "2025-07-01T09:00:00+02:00");
    assert_eq!(winter["starts_at"], "2025-12-01T09:00:00+01:00");

    let fetched = app.get(&format!("/api/v1/events/{}", id(&shanghai))).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body["starts_at"], "2024-03-04T14:00:00+08:00");
    assert_eq!(fetched.header("etag"), Some("\"1\""));
}

#[tokio::test]
async fn dst_gaps_and_overlaps_are_422_saying_which() {
    let app = spawn().await;
    let base = json!({ "title": "Berlin", "city": "Berlin", "timezone": "Europe/Berlin" });
    let mut gap = base.clone();
    gap["starts_at"] = json!("2025-03-30T02:30:00");
    let r = app.post("/api/v1/events", gap).await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["starts_at"]);
    assert!(
        r.body["detail"].as_str().unwrap().contains("does not exist"),
        "{}",
        r.text
    );
    assert!(r.body["detail"].as_str().unwrap().contains("gap"), "{}", r.text);

    let mut overlap = base.clone();
    overlap["starts_at"] = json!("2025-10-26T02:30:00");
    let r = app.post("/api/v1/events", overlap).await;
    r.assert_problem(422);
    assert!(r.body["detail"].as_str().unwrap().contains("ambiguous"), "{}", r.text);

    // With the offset the same wall time is fine.
    let mut explicit = base;
    explicit["starts_at"] = json!("2025-10-26T02:30:00+01:00");
    let r = app.post("/api/v1/events", explicit).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["starts_at"], "2025-10-26T02:30:00+01:00");
}

#[tokio::test]
async fn changing_the_zone_keeps_the_wall_clock_time() {
    let app = spawn().await;
    let e = app.event(json!({ "ends_at": "2024-03-04T16:00:00" })).await;
    let path = format!("/api/v1/events/{}", id(&e));
    let r = app.patch(&path, json!({ "timezone": "Asia/Tokyo" })).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["starts_at"], "2024-03-04T14:00:00+09:00");
    assert_eq!(r.body["ends_at"], "2024-03-04T16:00:00+09:00");
    // New times given with the zone are read in the new zone.
    let r = app
        .patch(
            &path,
            json!({ "timezone": "Europe/Berlin", "starts_at": "2025-06-02T10:00:00", "ends_at": null }),
        )
        .await;
    assert_eq!(r.body["starts_at"], "2025-06-02T10:00:00+02:00", "{}", r.text);
    assert!(r.body["ends_at"].is_null());
}

#[tokio::test]
async fn every_status_transition_allowed_and_refused() {
    let app = spawn().await;
    let path = |e: &serde_json::Value| format!("/api/v1/events/{}", id(e));
    let set = |s: &str| json!({ "status": s });

    // draft → scheduled → completed
    let e = app.event(json!({})).await;
    assert_eq!(e["status"], "draft");
    assert_eq!(app.patch(&path(&e), set("scheduled")).await.body["status"], "scheduled");
    let r = app.patch(&path(&e), set("draft")).await;
    r.assert_problem(409);
    assert!(
        r.body["detail"].as_str().unwrap().contains("scheduled")
            && r.body["detail"].as_str().unwrap().contains("draft")
    );
    assert_eq!(app.patch(&path(&e), set("completed")).await.body["status"], "completed");
    for to in ["draft", "scheduled", "cancelled"] {
        app.patch(&path(&e), set(to)).await.assert_problem(409);
    }
    app.post(&format!("{}/cancel", path(&e)), json!({}))
        .await
        .assert_problem(409);

    // draft → completed is refused; draft → cancelled works (via PATCH too).
    let d = app.event(json!({})).await;
    let r = app.patch(&path(&d), set("completed")).await;
    r.assert_problem(409);
    assert!(
        r.body["detail"].as_str().unwrap().contains("draft to completed"),
        "{}",
        r.text
    );
    assert_eq!(app.patch(&path(&d), set("cancelled")).await.body["status"], "cancelled");
    for to in ["draft", "scheduled", "completed"] {
        app.patch(&path(&d), set(to)).await.assert_problem(409);
    }

    // scheduled → cancelled through the cancel endpoint, with and without a body.
    let s = app.event(json!({ "status": "scheduled" })).await;
    assert_eq!(s["status"], "scheduled");
    let r = app
        .post(&format!("{}/cancel", path(&s)), json!({ "reason": "台风" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["status"].as_str(), r.body["cancel_reason"].as_str()),
        (Some("cancelled"), Some("台风"))
    );
    let d2 = app.event(json!({})).await;
    let r = app
        .send(
            Method::POST,
            &format!("{}/cancel", path(&d2)),
            Some(&app.organiser),
            None,
            &[],
        )
        .await;
    assert_eq!(r.body["status"], "cancelled", "{}", r.text);

    // New events may not start completed or cancelled.
    let r = app.post("/api/v1/events", json!({ "title": "x", "city": "y", "timezone": "UTC", "starts_at": "2024-01-01T00:00:00", "status": "completed" })).await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["status"]);
}

#[tokio::test]
async fn only_drafts_can_be_deleted() {
    let app = spawn().await;
    let draft = app.event(json!({})).await;
    let scheduled = app.event(json!({ "status": "scheduled" })).await;
    let r = app.delete(&format!("/api/v1/events/{}", id(&scheduled))).await;
    r.assert_problem(409);
    assert!(r.body["detail"].as_str().unwrap().contains("draft"));
    assert_eq!(app.delete(&format!("/api/v1/events/{}", id(&draft))).await.status, 204);
    app.get(&format!("/api/v1/events/{}", id(&draft)))
        .await
        .assert_problem(404);
    app.delete(&format!("/api/v1/events/{}", id(&draft)))
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn validation_names_every_bad_field() {
    let app = spawn().await;
    let r = app.post("/api/v1/events", json!({})).await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["title", "city", "timezone", "starts_at"]);

    let r = app
        .post(
            "/api/v1/events",
            json!({
                "title": "长".repeat(201), "city": "福州", "timezone": "Mars/Olympus", "starts_at": "tomorrow",
                "kind": "party", "capacity": 0, "tags": ["ok", ""],
            }),
        )
        .await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["title", "kind", "timezone", "capacity", "tags[1]"]);
    assert!(r.text.contains("at most 200 characters"), "{}", r.text);
    assert!(r.text.contains("forum, promotion"), "{}", r.text);

    let r = app
        .post(
            "/api/v1/events",
            json!({ "title": "t", "city": "c", "timezone": "Asia/Shanghai", "starts_at": "nope" }),
        )
        .await;
    assert_eq!(r.error_fields(), ["starts_at"]);
    let r = app
        .post("/api/v1/events", json!({ "title": "t", "city": "c", "timezone": "Asia/Shanghai", "starts_at": "2024-03-04T14:00:00", "ends_at": "2024-03-04T13:00:00" }))
        .await;
    assert_eq!(r.error_fields(), ["ends_at"]);
    let r = app
        .post("/api/v1/events", json!({ "title": "t", "city": "c", "timezone": "Asia/Shanghai", "starts_at": "2024-03-04T14:00:00", "roadshow_id": "nope" }))
        .await;
    assert_eq!(r.error_fields(), ["roadshow_id"]);
    let r = app
        .post("/api/v1/events", json!({ "title": "t", "city": "c", "timezone": "Asia/Shanghai", "starts_at": "2024-03-04T14:00:00", "roadshow_id": uuid::Uuid::new_v4() }))
        .await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["roadshow_id"]);

    // Wrong JSON types name the field; unknown fields are refused, not ignored.
    let r = app.post("/api/v1/events", json!({ "title": 5 })).await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["title"]);
    let e = app.event(json!({})).await;
    let r = app
        .patch(&format!("/api/v1/events/{}", id(&e)), json!({ "colour": "red" }))
        .await;
    r.assert_problem(422);
    assert!(r.text.contains("colour"), "{}", r.text);
    let r = app
        .patch(&format!("/api/v1/events/{}", id(&e)), json!({ "capacity": -3 }))
        .await;
    assert_eq!(r.error_fields(), ["capacity"]);
    assert_eq!(app.get(&format!("/api/v1/events/{}", id(&e))).await.body["version"], 1);
}

#[tokio::test]
async fn malformed_bodies_are_400_and_wrong_types_415() {
    let app = spawn().await;
    let req = |body: &'static str, ct: &'static str| {
        app.client
            .post(format!("{}/api/v1/events", app.base))
            .bearer_auth(&app.organiser)
            .header("content-type", ct)
            .body(body)
    };
    crate::helpers::read(req("{\"title\":", "application/json").send().await.unwrap())
        .await
        .assert_problem(400);
    crate::helpers::read(req("", "application/json").send().await.unwrap())
        .await
        .assert_problem(400);
    crate::helpers::read(
        req("title=x", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap(),
    )
    .await
    .assert_problem(415);
}

#[tokio::test]
async fn if_match_and_versions_guard_against_lost_updates() {
    let app = spawn().await;
    let e = app.event(json!({})).await;
    let path = format!("/api/v1/events/{}", id(&e));
    let r = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.organiser),
            Some(json!({ "title": "第一" })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["version"].as_i64(), r.header("etag")), (Some(2), Some("\"2\"")));

    let r = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.organiser),
            Some(json!({ "title": "第二" })),
            &[("if-match", "\"1\"")],
        )
        .await;
    r.assert_problem(412);
    let now = app.get(&path).await;
    assert_eq!(
        (now.body["title"].as_str(), now.body["version"].as_i64()),
        (Some("第一"), Some(2))
    );

    let r = app.patch(&path, json!({ "title": "第三", "version": 1 })).await;
    r.assert_problem(409);
    let r = app.patch(&path, json!({ "title": "第三", "version": 2 })).await;
    assert_eq!(r.body["version"], 3);
}

#[tokio::test]
async fn list_filters_find_the_right_events() {
    let app = spawn().await;
    let rs = app.roadshow("新材料路演").await;
    let fuzhou = app
        .event(json!({ "kind": "forum", "industry_chain": "石化新材料", "tags": ["聚酰胺"], "venue": "Fuzhou Grand HOTEL", "status": "scheduled", "roadshow_id": id(&rs) }))
        .await;
    let tokyo = app
        .event(json!({ "title": "Japan Chemical Exchange", "city": "Tokyo", "timezone": "Asia/Tokyo", "starts_at": "2024-05-20T07:30:00", "kind": "exchange", "tags": ["日资"] }))
        .await;
    let ningbo = app.event(json!({ "title": "资本项目对接会", "city": "宁波", "starts_at": "2024-06-13T14:30:00", "kind": "matchmaking" })).await;

    let ids =
        |r: &crate::helpers::Resp| -> Vec<String> { r.body["items"].as_array().unwrap().iter().map(id).collect() };
    let q = |s: &str| format!("/api/v1/events?{s}");
    assert_eq!(ids(&app.get(&q("")).await), [id(&fuzhou), id(&tokyo), id(&ningbo)]);
    assert_eq!(ids(&app.get(&q("status=scheduled")).await), [id(&fuzhou)]);
    assert_eq!(ids(&app.get(&q("kind=exchange")).await), [id(&tokyo)]);
    assert_eq!(ids(&app.get(&q("city=%E5%AE%81%E6%B3%A2")).await), [id(&ningbo)]);
    assert_eq!(ids(&app.get(&q("industry_chain=石化新材料")).await), [id(&fuzhou)]);
    assert_eq!(
        ids(&app.get(&q(&format!("roadshow_id={}", id(&rs)))).await),
        [id(&fuzhou)]
    );
    assert_eq!(ids(&app.get(&q("tag=日资")).await), [id(&tokyo)]);
    // Text search: Chinese, and case-insensitive across title and venue.
    assert_eq!(ids(&app.get(&q("q=聚酰胺")).await), [id(&fuzhou)]);
    assert_eq!(ids(&app.get(&q("q=chemical")).await), [id(&tokyo)]);
    assert_eq!(ids(&app.get(&q("q=grand%20hotel")).await), [id(&fuzhou)]);
    assert_eq!(ids(&app.get(&q("q=100%25")).await), Vec::<String>::new());
    // Dates are each event's local date; instants are exact.
    assert_eq!(ids(&app.get(&q("from=2024-05-20&to=2024-05-20")).await), [id(&tokyo)]);
    assert_eq!(ids(&app.get(&q("from=2024-05-21")).await), [id(&ningbo)]);
    assert_eq!(ids(&app.get(&q("to=2024-05-19T22:30:00Z")).await), [id(&fuzhou)]);
    assert_eq!(
        ids(&app.get(&q("from=2024-05-19T22:30:00Z&to=2024-06-13T06:30:00Z")).await),
        [id(&tokyo)]
    );

    let r = app.get(&q("status=busy&from=soon")).await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["from", "status"]);
    app.get(&q("limit=201")).await.assert_problem(422);
    app.get(&q("limit=0")).await.assert_problem(422);
    app.get(&q("cursor=garbage")).await.assert_problem(400);
    app.get(&q("sort=title")).await.assert_problem(400);
}

#[tokio::test]
async fn pagination_returns_each_event_once_despite_inserts() {
    let app = spawn().await;
    let mut expected = HashSet::new();
    for i in 0..120 {
        // Several events share a start time so the id breaks ties.
        let starts = format!("2024-03-{:02}T{:02}:00:00", 1 + i / 8, 9 + (i % 4));
        expected.insert(id(&app
            .event(json!({ "title": format!("Event {i}"), "starts_at": starts }))
            .await));
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/events?limit=50&cursor={c}"),
            None => "/api/v1/events?limit=50".to_string(),
        };
        let r = app.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.extend(r.body["items"].as_array().unwrap().iter().map(id));
        pages += 1;
        // Between pages, add events both before and after the walk's position.
        for (j, starts) in ["2024-02-01T09:00:00", "2024-12-01T09:00:00"].iter().enumerate() {
            app.event(json!({ "title": format!("Late {pages}-{j}"), "starts_at": starts }))
                .await;
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "an event appeared twice");
    assert!(expected.is_subset(&unique), "an event was skipped");
    let starts: Vec<String> = {
        let all = app.get("/api/v1/events?limit=200").await;
        all.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["starts_at"].as_str().unwrap().to_string())
            .collect()
    };
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "events are not in start order");
}
