//! Registrations: seats and waitlist, life cycle, capacity changes, concurrency, idempotency.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{id, spawn, spawn_with};

fn person(n: usize) -> serde_json::Value {
    json!({ "name": format!("参会者{n}"), "email": format!("guest{n}@example.cn") })
}

#[tokio::test]
async fn seats_waitlist_check_in_and_cancel() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "capacity": 2 })).await;
    let mut regs = Vec::new();
    for n in 0..4 {
        let r = app.register(&ev, person(n)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert!(r.header("location").unwrap().ends_with(&id(&r.body)));
        regs.push(r.body);
    }
    let status = |r: &serde_json::Value| {
        (
            r["status"].as_str().unwrap().to_string(),
            r["waitlist_position"].as_i64(),
        )
    };
    assert_eq!(status(&regs[0]), ("registered".into(), None));
    assert_eq!(status(&regs[1]), ("registered".into(), None));
    assert_eq!(status(&regs[2]), ("waitlisted".into(), Some(1)));
    assert_eq!(status(&regs[3]), ("waitlisted".into(), Some(2)));
    assert_eq!(regs[0]["event"]["id"], ev.as_str());
    assert_eq!(regs[0]["contact"]["name"], "参会者0");
    assert_eq!(app.counts(&ev).await, (2, 2, 0, Some(0)));

    // The same person twice: 409 naming the registration they have.
    let dup = app.register(&ev, person(0)).await;
    dup.assert_problem(409);
    assert_eq!(dup.body["existing_id"], regs[0]["id"]);

    let path = |r: &serde_json::Value, tail: &str| format!("/api/v1/registrations/{}{tail}", id(r));
    let first = app.post(&path(&regs[0], "/check-in"), json!({})).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let again = app.post(&path(&regs[0], "/check-in"), json!({})).await;
    assert_eq!(again.body["checked_in_at"], first.body["checked_in_at"]);
    assert!(first.body["checked_in_at"].as_str().unwrap().ends_with("+08:00"));
    assert_eq!(app.counts(&ev).await, (2, 2, 1, Some(0)));
    app.post(&path(&regs[0], "/cancel"), json!({}))
        .await
        .assert_problem(409);
    app.post(&path(&regs[2], "/check-in"), json!({}))
        .await
        .assert_problem(409);
    let undone = app.delete(&path(&regs[0], "/check-in")).await;
    assert!(undone.body["checked_in_at"].is_null());
    assert_eq!(app.counts(&ev).await, (2, 2, 0, Some(0)));

    // A cancelled seat goes to the longest-waiting person.
    let cancelled = app.post(&path(&regs[0], "/cancel"), json!({})).await;
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(
        app.post(&path(&regs[0], "/cancel"), json!({})).await.body["status"],
        "cancelled"
    );
    assert_eq!(app.get(&path(&regs[2], "")).await.body["status"], "registered");
    assert_eq!(
        status(&app.get(&path(&regs[3], "")).await.body),
        ("waitlisted".into(), Some(1))
    );
    assert_eq!(app.counts(&ev).await, (2, 1, 0, Some(0)));
    app.post(&path(&regs[0], "/check-in"), json!({}))
        .await
        .assert_problem(409);

    // Cancelling from the waitlist frees no seat; coming back after cancelling works.
    app.post(&path(&regs[3], "/cancel"), json!({})).await;
    assert_eq!(app.counts(&ev).await, (2, 0, 0, Some(0)));
    let back = app.register(&ev, person(0)).await;
    assert_eq!(back.status, 201, "{}", back.text);
    assert_eq!(
        (back.body["id"].clone(), back.body["status"].as_str()),
        (regs[0]["id"].clone(), Some("waitlisted"))
    );

    // Role and notes change; status does not go through PATCH.
    let r = app
        .patch(&path(&regs[1], ""), json!({ "role": "speaker", "notes": "主旨演讲" }))
        .await;
    assert_eq!(
        (r.body["role"].as_str(), r.body["notes"].as_str()),
        (Some("speaker"), Some("主旨演讲"))
    );
    app.patch(&path(&regs[1], ""), json!({ "status": "cancelled" }))
        .await
        .assert_problem(422);
    app.patch(&path(&regs[1], ""), json!({ "role": "vip" }))
        .await
        .assert_problem(422);
}

#[tokio::test]
async fn closed_events_refuse_registrations_saying_why() {
    let app = spawn().await;
    let draft = id(&app.event(json!({})).await);
    let r = app.register(&draft, person(1)).await;
    r.assert_problem(409);
    assert!(r.body["detail"].as_str().unwrap().contains("draft"), "{}", r.text);

    let cancelled = app.open_event(json!({})).await;
    app.post(&format!("/api/v1/events/{cancelled}/cancel"), json!({})).await;
    assert!(app.register(&cancelled, person(1)).await.text.contains("cancelled"));

    let completed = app.open_event(json!({})).await;
    app.patch(&format!("/api/v1/events/{completed}"), json!({ "status": "completed" }))
        .await;
    assert!(app.register(&completed, person(1)).await.text.contains("completed"));

    let closed = app
        .open_event(json!({ "starts_at": "2030-03-04T14:00:00", "registration_closes_at": "2024-01-01T00:00:00" }))
        .await;
    let r = app.register(&closed, person(1)).await;
    r.assert_problem(409);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("closed at 2024-01-01T00:00:00+08:00"),
        "{}",
        r.text
    );
    app.register(&uuid::Uuid::new_v4().to_string(), person(1))
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn capacity_raise_promotes_in_order_and_lowering_below_registered_is_refused() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "capacity": 1 })).await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(id(&app.register(&ev, person(n)).await.body));
    }
    let event_path = format!("/api/v1/events/{ev}");
    let r = app.patch(&event_path, json!({ "capacity": 3 })).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["registered_count"].as_i64(), r.body["waitlisted_count"].as_i64()),
        (Some(3), Some(1))
    );
    let paths: Vec<String> = ids.iter().map(|i| format!("/api/v1/registrations/{i}")).collect();
    assert_eq!(app.get(&paths[1]).await.body["status"], "registered");
    assert_eq!(app.get(&paths[2]).await.body["status"], "registered");
    assert_eq!(app.get(&paths[3]).await.body["waitlist_position"], 1);

    let r = app.patch(&event_path, json!({ "capacity": 2 })).await;
    r.assert_problem(409);
    assert!(r.body["detail"].as_str().unwrap().contains("3 attendees"), "{}", r.text);
    assert_eq!(app.get(&event_path).await.body["capacity"], 3);

    // Unlimited seats: everyone waiting gets in.
    app.patch(&event_path, json!({ "capacity": null })).await;
    assert_eq!(app.counts(&ev).await, (4, 0, 0, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_burst_fills_exactly_the_seats() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "capacity": 100 })).await;
    let requests = (0..200).map(|n| {
        let (client, url, token) = (
            app.client.clone(),
            format!("{}/api/v1/events/{ev}/registrations", app.base),
            app.organiser.clone(),
        );
        async move { client.post(url).bearer_auth(token).json(&person(n)).send().await }
    });
    let mut registered = 0;
    let mut positions = Vec::new();
    for res in join_all(requests).await {
        let r = crate::helpers::read(res.expect("request")).await;
        assert_eq!(r.status, 201, "{}", r.text);
        match r.body["status"].as_str() {
            Some("registered") => registered += 1,
            Some("waitlisted") => positions.push(r.body["waitlist_position"].as_i64().unwrap()),
            other => panic!("unexpected status {other:?}"),
        }
    }
    assert_eq!(registered, 100);
    positions.sort();
    assert_eq!(
        positions,
        (1..=100).collect::<Vec<i64>>(),
        "waitlist positions must be 1–100 without gaps or repeats"
    );
    assert_eq!(app.counts(&ev).await, (100, 100, 0, Some(0)));
    let listed = app
        .get(&format!(
            "/api/v1/events/{ev}/registrations?status=registered&limit=200"
        ))
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_response() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "capacity": 10 })).await;
    let url = format!("/api/v1/events/{ev}/registrations");
    let key = [("idempotency-key", "import-2024-03-04-row-7")];
    let first = app
        .send(Method::POST, &url, Some(&app.organiser), Some(person(7)), &key)
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let retry = app
        .send(Method::POST, &url, Some(&app.organiser), Some(person(7)), &key)
        .await;
    assert_eq!((retry.status, &retry.body), (201, &first.body));
    // The replay carries the headers the first answer had, stored with it.
    let location = format!("/api/v1/registrations/{}", first.body["id"].as_str().unwrap());
    for r in [&first, &retry] {
        assert_eq!(r.header("location"), Some(location.as_str()));
        assert_eq!(r.header("etag"), Some("\"1\""));
    }
    assert_eq!(app.counts(&ev).await.0, 1);

    let other = app
        .send(Method::POST, &url, Some(&app.organiser), Some(person(8)), &key)
        .await;
    other.assert_problem(422);
    assert!(other.text.contains("different request body"), "{}", other.text);
    // Without the key a retry is a duplicate.
    app.register(&ev, person(7)).await.assert_problem(409);

    // Retries racing each other with one key still register once.
    let key = [("idempotency-key", "burst-key")];
    let sends = (0..6).map(|_| app.send(Method::POST, &url, Some(&app.organiser), Some(person(9)), &key));
    let answers = join_all(sends).await;
    for a in &answers {
        assert_eq!((a.status, &a.body["id"]), (201, &answers[0].body["id"]), "{}", a.text);
    }
    assert_eq!(app.counts(&ev).await.0, 2);
}

#[tokio::test]
async fn idempotency_keys_expire_after_the_retention() {
    let app = spawn_with(|s| {
        s.idempotency.retention_secs = 86_400;
        s.idempotency.purge_interval_secs = 1;
    })
    .await;
    let ev = app.open_event(json!({ "capacity": 10 })).await;
    let url = format!("/api/v1/events/{ev}/registrations");
    let key = [("idempotency-key", "reused-next-week")];
    let first = app
        .send(Method::POST, &url, Some(&app.organiser), Some(person(1)), &key)
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    // Within the retention the key is bound to its first body.
    app.send(Method::POST, &url, Some(&app.organiser), Some(person(2)), &key)
        .await
        .assert_problem(422);

    // A day and a bit later (by the app's clock) the purge frees the key: the same key
    // with another body registers. The loop waits for the purge thread, not for time.
    app.clock.advance(chrono::Duration::hours(25));
    let mut later = None;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let r = app
            .send(Method::POST, &url, Some(&app.organiser), Some(person(2)), &key)
            .await;
        if r.status != 422 {
            later = Some(r);
            break;
        }
    }
    let later = later.expect("the key was never purged");
    assert_eq!(later.status, 201, "{}", later.text);
    assert_ne!(later.body["id"], first.body["id"]);
    assert_eq!(app.counts(&ev).await.0, 2);
}

#[tokio::test]
async fn lists_filter_by_status_role_company_and_text() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "capacity": 3 })).await;
    app.register(
        &ev,
        json!({ "name": "张三", "email": "zhang@toray.cn", "company_name": "东丽", "role": "speaker" }),
    )
    .await;
    app.register(
        &ev,
        json!({ "name": "Yamada Taro", "email": "yamada@mitsui.jp", "company_name": "Mitsui Chemicals" }),
    )
    .await;
    app.register(
        &ev,
        json!({ "name": "李四", "email": "li@toray.cn", "company_name": " 东丽 " }),
    )
    .await;
    app.register(&ev, json!({ "name": "王五", "email": "wang@wanhua.cn" }))
        .await;
    let ids = |r: &crate::helpers::Resp| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["contact"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let q = |s: &str| format!("/api/v1/events/{ev}/registrations?{s}");
    assert_eq!(ids(&app.get(&q("")).await), ["张三", "Yamada Taro", "李四", "王五"]);
    assert_eq!(ids(&app.get(&q("status=waitlisted")).await), ["王五"]);
    assert_eq!(ids(&app.get(&q("role=speaker")).await), ["张三"]);
    assert_eq!(ids(&app.get(&q("q=YAMADA")).await), ["Yamada Taro"]);
    assert_eq!(ids(&app.get(&q("q=toray.cn")).await), ["张三", "李四"]);
    let all = app.get(&q("")).await;
    let company = all.body["items"][0]["contact"]["company_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        all.body["items"][2]["contact"]["company_id"],
        company.as_str(),
        "company names are deduplicated"
    );
    assert_eq!(
        ids(&app.get(&q(&format!("company_id={company}"))).await),
        ["张三", "李四"]
    );
    let page = app.get(&q("limit=3")).await;
    let next = app
        .get(&q(&format!(
            "limit=3&cursor={}",
            page.body["next_cursor"].as_str().unwrap()
        )))
        .await;
    assert_eq!(ids(&next), ["王五"]);
    assert!(next.body["next_cursor"].is_null());
    let r = app.get(&q("status=maybe&role=vip")).await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["status", "role"]);
    app.get(&format!("/api/v1/events/{}/registrations", uuid::Uuid::new_v4()))
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn one_person_is_one_contact_across_events() {
    let app = spawn().await;
    let rs = id(&app.roadshow("新材料路演").await);
    let fuzhou = app.open_event(json!({ "roadshow_id": rs })).await;
    let ningbo = app
        .open_event(json!({ "city": "宁波", "starts_at": "2030-06-13T14:30:00", "roadshow_id": rs }))
        .await;
    let first = app
        .register(
            &fuzhou,
            json!({ "name": "王伟", "email": "Wang.Wei@Toray.cn", "title": "总经理", "company_name": "Toray" }),
        )
        .await;
    let second = app
        .register(
            &ningbo,
            json!({ "name": "Wang Wei", "email": " wang.wei@toray.cn ", "title": "CEO", "phone": "+86 138 0000 0000", "company_name": "TORAY" }),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(first.body["contact_id"], second.body["contact_id"]);
    let contact_id = first.body["contact_id"].as_str().unwrap().to_string();
    let contact = app.get(&format!("/api/v1/contacts/{contact_id}")).await.body;
    // Only empty fields were filled in by the second registration.
    assert_eq!(
        (contact["name"].as_str(), contact["title"].as_str()),
        (Some("王伟"), Some("总经理"))
    );
    assert_eq!(contact["phone"], "+86 138 0000 0000");
    assert_eq!(contact["language"], "zh-CN");
    let companies = app.get("/api/v1/companies?q=toray").await;
    assert_eq!(companies.body["items"].as_array().unwrap().len(), 1);

    let theirs = app.get(&format!("/api/v1/contacts/{contact_id}/registrations")).await;
    let cities: Vec<&str> = theirs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event"]["city"].as_str().unwrap())
        .collect();
    assert_eq!(cities, ["福州", "宁波"]);

    // By contact_id, and the malformed ways to ask.
    let third = app.open_event(json!({})).await;
    assert_eq!(
        app.register(&third, json!({ "contact_id": contact_id, "role": "expert" }))
            .await
            .status,
        201
    );
    let bad = [
        (json!({ "name": "x", "email": "not-an-email" }), "email"),
        (json!({ "email": "x@y.cn" }), "name"),
        (json!({ "name": "x", "email": "x@y.cn", "role": "vip" }), "role"),
        (json!({ "name": "x", "email": "x@y.cn", "language": "fr" }), "language"),
        (
            json!({ "name": "x", "email": "x@y.cn", "timezone": "Moon/Base" }),
            "timezone",
        ),
        (json!({ "contact_id": contact_id, "name": "x" }), "contact_id"),
        (json!({ "contact_id": "nope" }), "contact_id"),
        (json!({ "contact_id": uuid::Uuid::new_v4() }), "contact_id"),
        (json!({ "name": "x", "email": "x@y.cn", "seat": 5 }), "seat"),
        (json!({ "name": 5, "email": "x@y.cn" }), "name"),
    ];
    for (body, field) in bad {
        let r = app.register(&third, body.clone()).await;
        r.assert_problem(422);
        assert_eq!(r.error_fields(), [field], "{body}: {}", r.text);
    }
}

#[tokio::test]
async fn one_new_person_registered_for_many_events_at_once_is_one_contact_of_one_company() {
    let app = spawn().await;
    let mut events = Vec::new();
    for _ in 0..6 {
        events.push(app.open_event(json!({ "capacity": 10 })).await);
    }
    // The same new person and new company arrive on six events at the same moment: on
    // PostgreSQL the writers race to store them (on SQLite they queue).
    let body = json!({ "name": "山田太郎", "email": "taro@mitsui-race.jp", "company_name": "三井化学 Race" });
    let answers = join_all(events.iter().map(|ev| app.register(ev, body.clone()))).await;
    let contact = &answers[0].body["contact"]["id"];
    for a in &answers {
        assert_eq!(a.status, 201, "{}", a.text);
        assert_eq!(&a.body["contact"]["id"], contact, "{}", a.text);
    }
    let contacts = app.get("/api/v1/contacts?q=taro%40mitsui-race").await;
    assert_eq!(contacts.body["items"].as_array().unwrap().len(), 1, "{}", contacts.text);
    let companies = app
        .get("/api/v1/companies?q=%E4%B8%89%E4%BA%95%E5%8C%96%E5%AD%A6%20race")
        .await;
    assert_eq!(
        companies.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        companies.text
    );
}
