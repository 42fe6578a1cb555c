//! Follow-up intentions over HTTP: stage rules, history (append-only, down to the
//! database), activities, overdue in each team's zone, filters, CSV, statistics, outcomes.

use chrono::{TimeZone, Utc};
use diesel::connection::SimpleConnection;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id, spawn, Resp, TestApp};

const STAGES: [&str; 6] = ["lead", "assessing", "engaged", "negotiating", "signed", "landed"];

async fn team(app: &TestApp, name: &str, timezone: &str) -> String {
    let r = app
        .send(
            Method::POST,
            "/api/v1/teams",
            Some(&app.admin),
            Some(json!({ "name": name, "timezone": timezone })),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    id(&r.body)
}

async fn company(app: &TestApp, name: &str, extra: Value) -> String {
    let mut body = json!({ "name": name });
    crate::helpers::merge(&mut body, extra);
    let r = app.post("/api/v1/companies", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    id(&r.body)
}

async fn intention(app: &TestApp, company: &str, team: &str, extra: Value) -> Value {
    let mut body = json!({ "company_id": company, "owner_team_id": team, "project_name": "高端聚酰胺项目" });
    crate::helpers::merge(&mut body, extra);
    let r = app.post("/api/v1/intentions", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

async fn history(app: &TestApp, intention: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/intentions/{intention}/history?limit=200"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

fn items(r: &Resp) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

fn names(r: &Resp) -> Vec<String> {
    items(r)
        .iter()
        .map(|i| i["project_name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn create_validate_and_read_an_intention() {
    let app = spawn().await;
    let t = team(&app, "招商一处", "Asia/Shanghai").await;
    let c = company(&app, "永荣锦江", json!({})).await;
    let made = app
        .post(
            "/api/v1/intentions",
            json!({ "company_id": c, "owner_team_id": t, "project_name": "高端聚酰胺",
                    "investment_amount": "250000000.50", "interest_level": "high", "industry_chain": "石化新材料" }),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let b = &made.body;
    assert_eq!(
        (
            b["stage"].as_str(),
            b["investment_currency"].as_str(),
            b["investment_amount"].as_str()
        ),
        (Some("lead"), Some("CNY"), Some("250000000.50"))
    );
    assert_eq!((b["overdue"].as_bool(), b["version"].as_i64()), (Some(false), Some(1)));
    assert_eq!(made.header("etag"), Some("\"1\""));
    let path = made.header("location").unwrap().to_string();
    let got = app.get(&path).await;
    assert_eq!(got.body["project_name"], "高端聚酰胺");

    // Money is a decimal string, never a JSON number; stages and currencies are checked.
    let bad = |extra: Value| {
        let mut body = json!({ "company_id": c, "owner_team_id": t, "project_name": "x" });
        crate::helpers::merge(&mut body, extra);
        app.post("/api/v1/intentions", body)
    };
    let r = bad(json!({ "investment_amount": 1.5 })).await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["investment_amount"]);
    for amount in ["-1", "1.234", "1e9", "abc"] {
        bad(json!({ "investment_amount": amount })).await.assert_problem(422);
    }
    let r = bad(json!({ "stage": "won" })).await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["stage"]);
    let r = bad(json!({ "investment_currency": "RMB1" })).await;
    assert_eq!(r.error_fields(), ["investment_currency"]);
    let r = bad(json!({ "stage": "dropped" })).await;
    assert_eq!(r.error_fields(), ["dropped_reason"]);
    let r = bad(json!({ "company_id": "00000000-0000-4000-8000-000000000000" })).await;
    assert_eq!(r.error_fields(), ["company_id"]);
    let r = bad(json!({ "owner_team_id": "00000000-0000-4000-8000-000000000000" })).await;
    assert_eq!(r.error_fields(), ["owner_team_id"]);
    let r = app
        .post(
            "/api/v1/intentions",
            json!({ "company_id": c, "project_name": "no owner" }),
        )
        .await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["owner_team_id"]);
    let r = bad(json!({ "project_name": "x".repeat(201) })).await;
    assert_eq!(r.error_fields(), ["project_name"]);
    let usd = bad(json!({ "investment_currency": "usd", "investment_amount": "007.5" })).await;
    assert_eq!(
        (
            usd.body["investment_currency"].as_str(),
            usd.body["investment_amount"].as_str()
        ),
        (Some("USD"), Some("7.50"))
    );

    // Viewers read but never write; there is no DELETE.
    let viewer = |method: Method, path: &str, body: Option<Value>| {
        let path = path.to_string();
        let app = &app;
        async move { app.send(method, &path, Some(&app.viewer), body, &[]).await }
    };
    assert_eq!(viewer(Method::GET, &path, None).await.status, 200);
    viewer(
        Method::POST,
        "/api/v1/intentions",
        Some(json!({ "company_id": c, "owner_team_id": t, "project_name": "x" })),
    )
    .await
    .assert_problem(403);
    viewer(Method::PATCH, &path, Some(json!({ "stage": "engaged" })))
        .await
        .assert_problem(403);
    viewer(
        Method::POST,
        &format!("{path}/activities"),
        Some(json!({ "kind": "call", "happened_at": "2024-03-05T10:00:00+08:00", "summary": "x" })),
    )
    .await
    .assert_problem(403);
    let del = app.delete(&path).await;
    del.assert_problem(405);
    assert_eq!(del.header("allow"), Some("GET, PATCH, OPTIONS"));
    app.get("/api/v1/intentions/00000000-0000-4000-8000-000000000000")
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn a_team_token_owns_what_it_records() {
    let app = spawn().await;
    let t = team(&app, "招商三处", "Asia/Shanghai").await;
    let other = team(&app, "招商五处", "Asia/Shanghai").await;
    let c = company(&app, "舟山膜材料", json!({})).await;
    let token = app
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(&app.admin),
            Some(json!({ "name": "division-3", "role": "organiser", "team_id": t })),
            &[],
        )
        .await;
    let token = token.body["token"].as_str().unwrap().to_string();
    let mine = app
        .send(
            Method::POST,
            "/api/v1/intentions",
            Some(&token),
            Some(json!({ "company_id": c, "project_name": "功能膜" })),
            &[],
        )
        .await;
    assert_eq!(mine.status, 201, "{}", mine.text);
    assert_eq!(mine.body["owner_team_id"], t.as_str());
    let given = app
        .send(
            Method::POST,
            "/api/v1/intentions",
            Some(&token),
            Some(json!({ "company_id": c, "project_name": "功能膜二期", "owner_team_id": other })),
            &[],
        )
        .await;
    assert_eq!(given.body["owner_team_id"], other.as_str());
    let h = history(&app, mine.body["id"].as_str().unwrap()).await;
    assert!(h.iter().all(|e| e["by"] == "division-3"), "{h:?}");
}

#[tokio::test]
async fn every_stage_move_over_http_with_its_history() {
    let app = spawn().await;
    let t = team(&app, "招商一处", "Asia/Shanghai").await;
    let c = company(&app, "永荣锦江", json!({})).await;
    app.clock.set(Utc.with_ymd_and_hms(2024, 6, 1, 2, 0, 0).unwrap());
    for (i, from) in STAGES.iter().enumerate() {
        for (j, to) in STAGES.iter().enumerate() {
            if i == j {
                continue;
            }
            let it = intention(&app, &c, &t, json!({ "stage": from })).await;
            let path = format!("/api/v1/intentions/{}", id(&it));
            let before = history(&app, &id(&it)).await.len();
            let bare = app.patch(&path, json!({ "stage": to })).await;
            if j > i {
                assert_eq!(bare.status, 200, "{from} -> {to}: {}", bare.text);
            } else {
                bare.assert_problem(409);
                let detail = bare.body["detail"].as_str().unwrap();
                assert!(detail.contains(from) && detail.contains(to), "{detail}");
                assert_eq!(
                    (bare.body["from"].as_str(), bare.body["to"].as_str()),
                    (Some(*from), Some(*to))
                );
                assert_eq!(
                    history(&app, &id(&it)).await.len(),
                    before,
                    "a refused move left history"
                );
                let noted = app.patch(&path, json!({ "stage": to, "note": "客户重新评估" })).await;
                assert_eq!(noted.status, 200, "{from} -> {to} with a note: {}", noted.text);
            }
            let h = history(&app, &id(&it)).await;
            assert_eq!(h.len(), before + 1, "{h:?}");
            let last = h.last().unwrap();
            assert_eq!(
                (last["field"].as_str(), last["old"].as_str(), last["new"].as_str()),
                (Some("stage"), Some(*from), Some(*to))
            );
            assert_eq!(last["by"], "test-organiser");
            let now = app.get(&path).await.body;
            let expect_signed = (*to == "signed" || (*to == "landed" && *from == "signed")).then_some("2024-06-01");
            assert_eq!(now["signed_on"].as_str(), expect_signed, "{from} -> {to}");
            assert_eq!(
                now["landed_on"].as_str(),
                (*to == "landed").then_some("2024-06-01"),
                "{from} -> {to}"
            );
        }
        // Dropping needs a reason; reopening needs a note and clears the reason.
        let it = intention(&app, &c, &t, json!({ "stage": from })).await;
        let path = format!("/api/v1/intentions/{}", id(&it));
        let r = app.patch(&path, json!({ "stage": "dropped", "note": "x" })).await;
        r.assert_problem(409);
        assert!(r.body["detail"].as_str().unwrap().contains("dropped"));
        let dropped = app
            .patch(&path, json!({ "stage": "dropped", "dropped_reason": "企业战略调整" }))
            .await;
        assert_eq!(
            (dropped.status, dropped.body["dropped_reason"].as_str()),
            (200, Some("企业战略调整"))
        );
        app.patch(&path, json!({ "stage": from })).await.assert_problem(409);
        let back = app.patch(&path, json!({ "stage": from, "note": "重新接洽" })).await;
        assert_eq!(back.status, 200, "{}", back.text);
        assert!(back.body["dropped_reason"].is_null());
        let h = history(&app, &id(&it)).await;
        let stages: Vec<_> = h
            .iter()
            .filter(|e| e["field"] == "stage")
            .map(|e| e["new"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(stages, [from.to_string(), "dropped".into(), from.to_string()]);
        assert_eq!(h.last().unwrap()["note"], "重新接洽");
    }
    let it = intention(&app, &c, &t, json!({})).await;
    app.patch(&format!("/api/v1/intentions/{}", id(&it)), json!({ "stage": "sold" }))
        .await
        .assert_problem(422);
}

#[tokio::test]
async fn history_has_an_entry_per_field_and_the_database_refuses_edits() {
    let app = spawn().await;
    let t = team(&app, "招商一处", "Asia/Shanghai").await;
    let t2 = team(&app, "招商二处", "Asia/Shanghai").await;
    let c = company(&app, "永荣锦江", json!({})).await;
    let it = intention(&app, &c, &t, json!({ "investment_amount": "100" })).await;
    let path = format!("/api/v1/intentions/{}", id(&it));
    let created = history(&app, &id(&it)).await;
    let fields: Vec<_> = created.iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        ["stage", "owner_team_id", "investment_amount", "investment_currency"]
    );
    assert!(created.iter().all(|e| e["old"].is_null()));

    let changed = app
        .patch(
            &path,
            json!({ "stage": "engaged", "owner_team_id": t2, "investment_amount": "120.5", "investment_currency": "USD",
                    "next_follow_up_on": "2024-07-01", "summary": "not tracked", "note": "handed over" }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let h = history(&app, &id(&it)).await;
    let new: Vec<_> = h[4..]
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap(),
                e["old"].clone(),
                e["new"].clone(),
                e["note"].clone(),
            )
        })
        .collect();
    assert_eq!(
        new,
        [
            ("stage", json!("lead"), json!("engaged"), json!("handed over")),
            ("owner_team_id", json!(t), json!(t2), json!("handed over")),
            ("investment_amount", json!("100"), json!("120.50"), json!("handed over")),
            ("investment_currency", json!("CNY"), json!("USD"), json!("handed over")),
            (
                "next_follow_up_on",
                Value::Null,
                json!("2024-07-01"),
                json!("handed over")
            ),
        ]
    );
    // A change of untracked fields only, and a refused change, add nothing.
    app.patch(&path, json!({ "summary": "again" })).await;
    app.patch(&path, json!({ "stage": "lead", "next_follow_up_on": "2024-08-01" }))
        .await
        .assert_problem(409);
    app.patch(
        &path,
        json!({ "owner_team_id": "00000000-0000-4000-8000-000000000000" }),
    )
    .await
    .assert_problem(422);
    assert_eq!(history(&app, &id(&it)).await.len(), 9);
    assert_eq!(app.get(&path).await.body["next_follow_up_on"], "2024-07-01");

    // Stale If-Match is 412 and writes nothing; a stale body version is 409.
    let version = app.get(&path).await.body["version"].as_i64().unwrap();
    let stale = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.organiser),
            Some(json!({ "stage": "signed" })),
            &[("If-Match", "\"1\"")],
        )
        .await;
    stale.assert_problem(412);
    app.patch(&path, json!({ "stage": "signed", "version": 1 }))
        .await
        .assert_problem(409);
    let ok = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.organiser),
            Some(json!({ "stage": "signed" })),
            &[("If-Match", &format!("\"{version}\""))],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(history(&app, &id(&it)).await.len(), 10);

    // Paginated oldest first.
    let first = app.get(&format!("{path}/history?limit=4")).await;
    assert_eq!(items(&first).len(), 4);
    assert_eq!(items(&first)[0]["field"], "stage");
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let rest = app.get(&format!("{path}/history?limit=4&cursor={cursor}")).await;
    assert_eq!(items(&rest)[0]["field"], "stage");
    assert_eq!(items(&rest)[0]["new"], "engaged");

    // The database itself refuses to change or delete history.
    let db = roadshow::db::Database::open(app.db_url(), 1).unwrap();
    let mut conn = db.connection().unwrap();
    for sql in [
        "UPDATE intention_history SET note = 'rewritten'",
        "DELETE FROM intention_history",
    ] {
        let err = conn.batch_execute(sql).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    assert_eq!(history(&app, &id(&it)).await.len(), 10);
    assert!(history(&app, &id(&it)).await.iter().all(|e| e["note"] != "rewritten"));
}

#[tokio::test]
async fn activities_move_the_follow_up_date_and_its_history() {
    let app = spawn().await;
    let t = team(&app, "招商一处", "Asia/Shanghai").await;
    let c = company(&app, "永荣锦江", json!({})).await;
    let contact = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "王伟", "email": "wang.wei@example.cn", "company_id": c }),
        )
        .await;
    let contact = id(&contact.body);
    let it = intention(
        &app,
        &c,
        &t,
        json!({ "contact_id": contact, "next_follow_up_on": "2024-03-10" }),
    )
    .await;
    let path = format!("/api/v1/intentions/{}", id(&it));
    let r = app
        .post(
            &format!("{path}/activities"),
            json!({ "kind": "site_visit", "happened_at": "2024-03-08T10:00:00+08:00", "summary": "考察舟山基地",
                    "contact_id": contact, "next_follow_up_on": "2024-04-01" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.body["kind"].as_str(), r.body["created_by"].as_str()),
        (Some("site_visit"), Some("test-organiser"))
    );
    assert_eq!(r.body["happened_at"], "2024-03-08T02:00:00Z");
    let now = app.get(&path).await.body;
    assert_eq!(
        (now["next_follow_up_on"].as_str(), now["version"].as_i64()),
        (Some("2024-04-01"), Some(2))
    );
    let last = history(&app, &id(&it)).await.pop().unwrap();
    assert_eq!(
        (last["field"].as_str(), last["old"].as_str(), last["new"].as_str()),
        (Some("next_follow_up_on"), Some("2024-03-10"), Some("2024-04-01"))
    );
    assert!(last["note"].as_str().unwrap().contains("考察舟山基地"));
    app.post(
        &format!("{path}/activities"),
        json!({ "kind": "call", "happened_at": "2024-03-09T10:00:00+08:00", "summary": "电话跟进" }),
    )
    .await;
    let bad = app
        .post(
            &format!("{path}/activities"),
            json!({ "kind": "fax", "happened_at": "2024-03-09T10:00:00+08:00", "summary": "x" }),
        )
        .await;
    bad.assert_problem(422);
    let bad = app.post(&format!("{path}/activities"), json!({ "kind": "call" })).await;
    assert_eq!(bad.error_fields(), ["happened_at", "summary"]);
    let listed = app.get(&format!("{path}/activities")).await;
    let summaries: Vec<_> = items(&listed)
        .iter()
        .map(|a| a["summary"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(summaries, ["电话跟进", "考察舟山基地"]);
    assert_eq!(history(&app, &id(&it)).await.len(), 5);

    // The contact's and company's intentions; erasing the contact keeps them.
    assert_eq!(
        names(&app.get(&format!("/api/v1/contacts/{contact}/intentions")).await).len(),
        1
    );
    assert_eq!(
        names(&app.get(&format!("/api/v1/companies/{c}/intentions")).await).len(),
        1
    );
    assert_eq!(app.delete(&format!("/api/v1/contacts/{contact}")).await.status, 204);
    let kept = app.get(&format!("/api/v1/contacts/{contact}/intentions")).await;
    assert_eq!(items(&kept)[0]["contact_id"], contact.as_str());
    assert_eq!(app.get(&path).await.body["company_id"], c.as_str());
    app.get("/api/v1/companies/00000000-0000-4000-8000-000000000000/intentions")
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn overdue_is_read_in_each_owner_team_zone() {
    let app = spawn().await;
    let shanghai = team(&app, "招商一处", "Asia/Shanghai").await;
    let la = team(&app, "West Coast Desk", "America/Los_Angeles").await;
    let c = company(&app, "永荣锦江", json!({})).await;
    // 07:30 UTC on 5 March: already the 5th in Shanghai, still the 4th in Los Angeles.
    app.clock.set(Utc.with_ymd_and_hms(2024, 3, 5, 7, 30, 0).unwrap());
    let sh = intention(
        &app,
        &c,
        &shanghai,
        json!({ "project_name": "上海处项目", "next_follow_up_on": "2024-03-04" }),
    )
    .await;
    let us = intention(
        &app,
        &c,
        &la,
        json!({ "project_name": "LA project", "next_follow_up_on": "2024-03-04" }),
    )
    .await;
    let landed = intention(
        &app,
        &c,
        &shanghai,
        json!({ "project_name": "已落地", "stage": "landed", "next_follow_up_on": "2024-03-01" }),
    )
    .await;
    let signed = intention(
        &app,
        &c,
        &shanghai,
        json!({ "project_name": "已签约", "stage": "signed", "next_follow_up_on": "2024-03-01" }),
    )
    .await;
    assert_eq!(sh["overdue"], true);
    assert_eq!(us["overdue"], false);
    assert_eq!(landed["overdue"], false);
    assert_eq!(signed["overdue"], true);
    let mut overdue = names(&app.get("/api/v1/intentions?overdue=true").await);
    overdue.sort();
    assert_eq!(overdue, ["上海处项目", "已签约"]);
    assert_eq!(
        names(
            &app.get(&format!("/api/v1/intentions?overdue=true&owner_team_id={la}"))
                .await
        )
        .len(),
        0
    );
    let not_overdue = names(&app.get("/api/v1/intentions?overdue=false").await);
    assert_eq!(not_overdue.len(), 2, "{not_overdue:?}");
    let stats = app.get("/api/v1/stats/pipeline").await;
    let per_team: Vec<_> = stats.body["overdue_by_team"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["team_name"].as_str().unwrap().to_string(),
                t["overdue"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        per_team,
        [("West Coast Desk".to_string(), 0), ("招商一处".to_string(), 2)]
    );

    // Eight hours later it is the 5th in Los Angeles too.
    app.clock.set(Utc.with_ymd_and_hms(2024, 3, 5, 8, 0, 0).unwrap());
    assert_eq!(
        app.get(&format!("/api/v1/intentions/{}", id(&us))).await.body["overdue"],
        true
    );
    assert_eq!(
        names(
            &app.get(&format!("/api/v1/intentions?overdue=true&owner_team_id={la}"))
                .await
        ),
        ["LA project"]
    );
    // Just before that, at 07:59:59 UTC, it is still the 4th there.
    app.clock.set(Utc.with_ymd_and_hms(2024, 3, 5, 7, 59, 59).unwrap());
    assert_eq!(
        app.get(&format!("/api/v1/intentions/{}", id(&us))).await.body["overdue"],
        false
    );
}

#[tokio::test]
async fn filters_sorting_and_pagination_over_120_intentions() {
    let app = spawn().await;
    let teams = [
        team(&app, "招商一处", "Asia/Shanghai").await,
        team(&app, "招商二处", "Asia/Shanghai").await,
        team(&app, "招商三处", "Asia/Shanghai").await,
    ];
    let companies = [
        company(&app, "永荣锦江", json!({})).await,
        company(&app, "Toray Industries", json!({ "name_en": "Toray" })).await,
        company(&app, "舟山膜材料", json!({})).await,
    ];
    let rs = app.roadshow("2024 New Materials").await;
    let ev_in = id(&app.event(json!({ "roadshow_id": id(&rs) })).await);
    let ev_out = id(&app.event(json!({})).await);
    app.clock.set(Utc.with_ymd_and_hms(2024, 6, 15, 4, 0, 0).unwrap());
    for i in 0..120usize {
        let stage = STAGES[i % 6];
        let mut body = json!({
            "company_id": companies[i % 3],
            "owner_team_id": teams[(i / 3) % 3],
            "project_name": format!("项目{i:03}{}", if i % 10 == 0 { " 聚酰胺" } else { "" }),
            "stage": stage,
            "industry_chain": if i % 2 == 0 { "石化新材料" } else { "电子化学品" },
            "investment_amount": format!("{}.{:02}", i * 1000, i % 100),
            "investment_currency": if i % 4 == 0 { "USD" } else { "CNY" },
            "event_id": if i % 5 == 0 { ev_in.clone() } else { ev_out.clone() },
        });
        if i % 3 != 2 {
            body["next_follow_up_on"] = json!(format!("2024-06-{:02}", 1 + i % 28));
        }
        let r = app.post("/api/v1/intentions", body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        app.clock.advance(chrono::Duration::seconds(1));
    }
    let count = |query: &str| {
        let query = query.to_string();
        let app = &app;
        async move {
            let mut all = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let sep = if query.is_empty() { "" } else { "&" };
                let page = match &cursor {
                    Some(c) => {
                        app.get(&format!("/api/v1/intentions?{query}{sep}limit=50&cursor={c}"))
                            .await
                    }
                    None => app.get(&format!("/api/v1/intentions?{query}{sep}limit=50")).await,
                };
                all.extend(items(&page));
                match page.body["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break,
                }
            }
            all
        }
    };
    let everything = count("").await;
    assert_eq!(everything.len(), 120);
    let mut ids: Vec<_> = everything.iter().map(|i| i["id"].as_str().unwrap()).collect();
    // Newest change first.
    assert_eq!(everything[0]["project_name"], "项目119");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 120);

    assert_eq!(count("stage=lead").await.len(), 20);
    assert_eq!(count("stage=lead&stage=landed").await.len(), 40);
    assert_eq!(count("stage=signed,landed").await.len(), 40);
    // (i / 3) % 3 == 0 for i / 3 in 0, 3, …, 39: 14 values, three intentions each.
    assert_eq!(count(&format!("owner_team_id={}", teams[0])).await.len(), 42);
    assert_eq!(count(&format!("company_id={}", companies[1])).await.len(), 40);
    assert_eq!(count(&format!("event_id={ev_in}")).await.len(), 24);
    assert_eq!(count(&format!("roadshow_id={}", id(&rs))).await.len(), 24);
    assert_eq!(count("industry_chain=电子化学品").await.len(), 60);
    assert_eq!(count("q=聚酰胺").await.len(), 12);
    assert_eq!(count("q=toray").await.len(), 40);
    assert_eq!(count("q=项目11").await.len(), 10);
    // CNY amounts of at least 100,000: i ≥ 100 and i % 4 != 0.
    assert_eq!(count("min_amount=100000").await.len(), 15);
    assert_eq!(count("min_amount=100000&currency=USD").await.len(), 5);
    assert_eq!(count("currency=USD").await.len(), 30);
    assert_eq!(count("due_before=2024-06-03").await.len(), count("due_before=2024-06-03&stage=lead&stage=assessing&stage=engaged&stage=negotiating&stage=signed&stage=landed").await.len());
    let due = count("due_before=2024-06-03").await;
    assert!(due
        .iter()
        .all(|i| i["next_follow_up_on"].as_str().unwrap() < "2024-06-03"));
    // Overdue: a date before the 15th, not landed (no dropped here).
    let overdue = count("overdue=true").await;
    assert!(!overdue.is_empty());
    assert!(overdue.iter().all(|i| i["overdue"] == true && i["stage"] != "landed"));
    let expected = everything.iter().filter(|i| i["overdue"] == true).count();
    assert_eq!(overdue.len(), expected);

    // By follow-up date: soonest first, those without a date last, across pages.
    let by_date = count("sort=next_follow_up_on").await;
    assert_eq!(by_date.len(), 120);
    let dates: Vec<Option<&str>> = by_date.iter().map(|i| i["next_follow_up_on"].as_str()).collect();
    let dated = dates.iter().take_while(|d| d.is_some()).count();
    assert_eq!(dated, 80);
    assert!(dates[dated..].iter().all(|d| d.is_none()));
    assert!(dates[..dated].windows(2).all(|w| w[0] <= w[1]));

    // Bad filters.
    app.get("/api/v1/intentions?stage=won").await.assert_problem(422);
    app.get("/api/v1/intentions?overdue=maybe").await.assert_problem(400);
    app.get("/api/v1/intentions?colour=red").await.assert_problem(400);
    app.get("/api/v1/intentions?sort=size").await.assert_problem(422);
    app.get("/api/v1/intentions?min_amount=1.234").await.assert_problem(422);
    app.get("/api/v1/intentions?cursor=nope").await.assert_problem(400);
}

#[tokio::test]
async fn the_csv_has_a_bom_chinese_headers_exact_amounts_and_no_formulas() {
    let app = spawn().await;
    let t = team(&app, "招商一处", "Asia/Shanghai").await;
    let c = company(&app, "永荣锦江", json!({})).await;
    intention(
        &app,
        &c,
        &t,
        json!({ "project_name": "高端聚酰胺", "investment_amount": "1000000000.07", "next_follow_up_on": "2030-03-04" }),
    )
    .await;
    intention(
        &app,
        &c,
        &t,
        json!({ "project_name": "=HYPERLINK(\"http://x\")", "stage": "engaged" }),
    )
    .await;
    let r = app.get("/api/v1/intentions.csv?headers=zh&stage=lead").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert!(r.text.starts_with('\u{feff}'));
    let mut lines = r.text.trim_start_matches('\u{feff}').lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("编号,项目名称,企业,联系人,来源活动,阶段"),
        "{header}"
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains("高端聚酰胺") && row.contains("永荣锦江") && row.contains("招商一处"),
        "{row}"
    );
    assert!(
        row.contains(",1000000000.07,CNY,") && row.contains("2030-03-04"),
        "{row}"
    );
    assert!(lines.next().is_none());
    let en = app.get("/api/v1/intentions.csv").await;
    assert!(en
        .text
        .trim_start_matches('\u{feff}')
        .starts_with("id,project_name,company"));
    assert!(en.text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{}", en.text);
    app.get("/api/v1/intentions.csv?headers=fr").await.assert_problem(422);
}

#[tokio::test]
async fn pipeline_statistics_match_a_hand_computed_fixture() {
    let app = spawn().await;
    let a = team(&app, "招商一处", "Asia/Shanghai").await;
    let b = team(&app, "招商二处", "Asia/Shanghai").await;
    let target = company(&app, "永荣锦江", json!({ "is_target": true, "assessment_score": 80 })).await;
    let target2 = company(&app, "Toray Industries", json!({ "is_target": true })).await;
    company(&app, "Unassessed Target", json!({ "is_target": true })).await;
    let plain = company(&app, "舟山膜材料", json!({})).await;
    app.clock.set(Utc.with_ymd_and_hms(2024, 6, 15, 4, 0, 0).unwrap());
    // lead: 0.10 + 0.20 + 1000000000.07 CNY (a float gets this wrong), 5 USD, one without amount.
    for amount in ["0.10", "0.20", "1000000000.07"] {
        intention(&app, &target, &a, json!({ "investment_amount": amount })).await;
    }
    intention(
        &app,
        &plain,
        &b,
        json!({ "investment_amount": "5", "investment_currency": "USD" }),
    )
    .await;
    intention(&app, &plain, &b, json!({ "next_follow_up_on": "2024-06-01" })).await;
    // signed: one major (1,000,000,000 CNY), one just below; landed: a major of 2.5 billion, one in USD.
    intention(
        &app,
        &target2,
        &a,
        json!({ "stage": "signed", "investment_amount": "1000000000", "next_follow_up_on": "2024-06-14" }),
    )
    .await;
    intention(
        &app,
        &plain,
        &a,
        json!({ "stage": "signed", "investment_amount": "999999999.99" }),
    )
    .await;
    intention(
        &app,
        &plain,
        &b,
        json!({ "stage": "landed", "investment_amount": "2500000000.50", "next_follow_up_on": "2024-06-01" }),
    )
    .await;
    intention(
        &app,
        &plain,
        &b,
        json!({ "stage": "landed", "investment_amount": "3000000000", "investment_currency": "USD" }),
    )
    .await;
    intention(&app, &plain, &b, json!({ "stage": "dropped", "dropped_reason": "外迁", "investment_amount": "1.01", "next_follow_up_on": "2024-06-01" })).await;

    let s = app.get("/api/v1/stats/pipeline").await;
    assert_eq!(s.status, 200, "{}", s.text);
    let stage = |name: &str| {
        s.body["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["stage"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(stage("lead")["count"], 5);
    assert_eq!(
        stage("lead")["amounts"],
        json!([{ "currency": "CNY", "amount": "1000000000.37" }, { "currency": "USD", "amount": "5" }])
    );
    assert_eq!(stage("signed")["count"], 2);
    assert_eq!(
        stage("signed")["amounts"],
        json!([{ "currency": "CNY", "amount": "1999999999.99" }])
    );
    assert_eq!(
        stage("landed")["amounts"],
        json!([{ "currency": "CNY", "amount": "2500000000.50" }, { "currency": "USD", "amount": "3000000000" }])
    );
    assert_eq!(
        (stage("dropped")["count"].as_i64(), stage("assessing")["count"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(stage("assessing")["amounts"], json!([]));
    let stage_names: Vec<_> = s.body["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stage_names,
        [
            "lead",
            "assessing",
            "engaged",
            "negotiating",
            "signed",
            "landed",
            "dropped"
        ]
    );
    assert_eq!(
        s.body["major_projects"],
        json!({ "threshold": "1000000000",
                "signed": { "count": 1, "amount": "1000000000" },
                "landed": { "count": 1, "amount": "2500000000.50" } })
    );
    // Overdue (before 15 June, not landed or dropped): team a's signed one (14th), team b's lead (1st).
    let per_team: Vec<_> = s.body["overdue_by_team"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["overdue"].as_i64().unwrap())
        .collect();
    assert_eq!(per_team, [1, 1]);
    assert_eq!(
        s.body["targets"],
        json!({ "companies": 3, "assessed": 1, "with_intention": 2 })
    );

    let only_a = app.get(&format!("/api/v1/stats/pipeline?owner_team_id={a}")).await;
    assert_eq!(only_a.body["targets"]["with_intention"], 2);
    assert_eq!(only_a.body["overdue_by_team"].as_array().unwrap().len(), 1);
    let only_b = app.get(&format!("/api/v1/stats/pipeline?owner_team_id={b}")).await;
    assert_eq!(only_b.body["targets"]["with_intention"], 0);
    let later = app.get("/api/v1/stats/pipeline?from=2024-06-16").await;
    assert!(later.body["stages"].as_array().unwrap().iter().all(|x| x["count"] == 0));
    let today = app.get("/api/v1/stats/pipeline?from=2024-06-15&to=2024-06-15").await;
    assert_eq!(today.body["stages"][0]["count"], 5);
    app.get("/api/v1/stats/pipeline?owner_team_id=nope")
        .await
        .assert_problem(422);
}

/// The unfiltered (and per-team) statistics come from the summary the write triggers keep;
/// after many moves of stage, owner, amount and currency they must equal the scan of the
/// intentions themselves (`from` far in the past takes the scanning path and matches all).
#[tokio::test]
async fn pipeline_summary_matches_a_scan_after_many_changes() {
    let app = spawn().await;
    let a = team(&app, "招商一处", "Asia/Shanghai").await;
    let b = team(&app, "招商二处", "America/Los_Angeles").await;
    let target = company(&app, "永荣锦江", json!({ "is_target": true })).await;
    let plain = company(&app, "舟山膜材料", json!({})).await;
    app.clock.set(Utc.with_ymd_and_hms(2024, 6, 15, 4, 0, 0).unwrap());
    let amounts = [
        None,
        Some("0.10"),
        Some("999999999.99"),
        Some("1000000000"),
        Some("2500000000.50"),
    ];
    let mut made = Vec::new();
    for i in 0..15usize {
        let mut extra = json!({ "next_follow_up_on": "2024-06-01" });
        if let Some(amount) = amounts[i % amounts.len()] {
            extra["investment_amount"] = json!(amount);
        }
        if i % 4 == 3 {
            extra["investment_currency"] = json!("USD");
        }
        let (c, t) = if i % 2 == 0 { (&target, &a) } else { (&plain, &b) };
        made.push(id(&intention(&app, c, t, extra).await));
    }
    let compare = |label: String, summary: Resp, scan: Resp| {
        assert_eq!(summary.status, 200, "{}", summary.text);
        assert_eq!(summary.body, scan.body, "{label}: the summary differs from the scan");
    };
    for round in 0..6usize {
        for (i, intention) in made.iter().enumerate() {
            let k = i + round * 7;
            // `j` varies the choice within a branch from round to round (`k` alone is
            // fixed by the branch).
            let j = i + round;
            let mut body = match k % 6 {
                0 => json!({ "stage": STAGES[j % 6] }),
                1 => json!({ "stage": "dropped", "dropped_reason": "外迁" }),
                2 => json!({ "stage": STAGES[(j + 3) % 6], "investment_amount": amounts[j % 5] }),
                3 => json!({ "owner_team_id": if j % 2 == 0 { &a } else { &b } }),
                4 => json!({ "investment_currency": if j % 2 == 0 { "USD" } else { "CNY" }, "stage": "signed" }),
                _ => json!({ "investment_amount": amounts[(j + 3) % 5], "stage": "landed" }),
            };
            // A note allows every move (backwards, out of dropped).
            body["note"] = json!("round");
            let r = app.patch(&format!("/api/v1/intentions/{intention}"), body).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        for q in [
            "".to_string(),
            format!("owner_team_id={a}"),
            format!("owner_team_id={b}"),
        ] {
            let summary = app.get(&format!("/api/v1/stats/pipeline?{q}")).await;
            let scan = app.get(&format!("/api/v1/stats/pipeline?{q}&from=2000-01-01")).await;
            compare(format!("round {round}, {q:?}"), summary, scan);
        }
    }
    let s = app.get("/api/v1/stats/pipeline").await;
    let total: i64 = s.body["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, made.len() as i64);
    // The unfiltered answers above came from the summary table: it holds every intention.
    let summarised: Vec<i64> = app
        .database
        .write::<_, roadshow::error::Error, _>(|c| {
            use diesel::prelude::*;
            use roadshow::db::schema::pipeline_summary;
            Ok(pipeline_summary::table.select(pipeline_summary::n).load(c)?)
        })
        .await
        .unwrap();
    assert_eq!(summarised.iter().sum::<i64>(), made.len() as i64);
}

#[tokio::test]
async fn outcomes_of_an_event_and_its_roadshow() {
    let app = spawn().await;
    let t = team(&app, "招商一处", "Asia/Shanghai").await;
    let rs = app.roadshow("2024 New Materials").await;
    let ev = app.open_event(json!({ "roadshow_id": id(&rs), "capacity": 10 })).await;
    let other = app.open_event(json!({ "roadshow_id": id(&rs) })).await;
    let mut regs = Vec::new();
    for (name, email, company) in [
        ("王伟", "wang@example.cn", "永荣锦江"),
        ("李娜", "lina@example.cn", "永荣锦江"),
        ("陈教授", "chen@scu.edu.cn", "四川大学"),
    ] {
        let r = app
            .register(&ev, json!({ "name": name, "email": email, "company_name": company }))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        regs.push(id(&r.body));
    }
    let r = app
        .register(
            &other,
            json!({ "name": "田中", "email": "tanaka@toray.co.jp", "company_name": "Toray" }),
        )
        .await;
    assert_eq!(r.status, 201);
    for reg in &regs[..2] {
        assert_eq!(
            app.post(&format!("/api/v1/registrations/{reg}/check-in"), json!({}))
                .await
                .status,
            200
        );
    }
    let yong = app.get("/api/v1/companies?q=永荣").await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let toray = app.get("/api/v1/companies?q=toray").await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = intention(&app, &yong, &t, json!({ "event_id": ev, "investment_amount": "0.10" })).await;
    intention(
        &app,
        &yong,
        &t,
        json!({ "event_id": ev, "stage": "signed", "investment_amount": "0.20" }),
    )
    .await;
    intention(
        &app,
        &toray,
        &t,
        json!({ "event_id": other, "stage": "landed", "investment_amount": "1000000000.07" }),
    )
    .await;
    // One moved up to negotiating and then dropped: it still reached negotiating.
    let path = format!("/api/v1/intentions/{}", id(&a));
    app.patch(&path, json!({ "stage": "negotiating" })).await;
    app.patch(&path, json!({ "stage": "dropped", "dropped_reason": "预算" }))
        .await;

    let o = app.get(&format!("/api/v1/events/{ev}/outcomes")).await;
    assert_eq!(o.status, 200, "{}", o.text);
    assert_eq!(
        (o.body["registered"].as_i64(), o.body["checked_in"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(o.body["companies_represented"], 2);
    assert_eq!(o.body["intentions"]["total"], 2);
    let reached: Vec<_> = o.body["intentions"]["reached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_i64().unwrap())
        .collect();
    assert_eq!(reached, [2, 2, 2, 2, 1, 0]);
    let stages = o.body["intentions"]["stages"].as_array().unwrap();
    let dropped = stages.iter().find(|s| s["stage"] == "dropped").unwrap();
    assert_eq!(dropped["amounts"], json!([{ "currency": "CNY", "amount": "0.10" }]));

    let r = app.get(&format!("/api/v1/roadshows/{}/outcomes", id(&rs))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["registered"].as_i64(), r.body["companies_represented"].as_i64()),
        (Some(4), Some(3))
    );
    assert_eq!(r.body["intentions"]["total"], 3);
    let landed = r.body["intentions"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "landed")
        .unwrap()
        .clone();
    assert_eq!(
        landed["amounts"],
        json!([{ "currency": "CNY", "amount": "1000000000.07" }])
    );
    let total: Vec<String> = r.body["intentions"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["amounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["amount"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(total, ["0.20", "1000000000.07", "0.10"]);
    app.get("/api/v1/events/00000000-0000-4000-8000-000000000000/outcomes")
        .await
        .assert_problem(404);
    app.get("/api/v1/roadshows/00000000-0000-4000-8000-000000000000/outcomes")
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn the_demo_loads_the_divisions_and_their_intentions_once() {
    let db = crate::helpers::TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_roadshow"))
            .arg("demo")
            .current_dir(dir.path())
            .env("DATABASE_URL", &db.url)
            .env_remove("ROADSHOW_ENV")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let app = crate::helpers::spawn_on(db, |_| {}).await;
    let teams: Vec<_> = items(&app.get("/api/v1/teams").await)
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(teams, ["招商一处", "招商二处", "招商三处", "招商四处", "招商五处"]);
    let all = items(&app.get("/api/v1/intentions?limit=200").await);
    assert_eq!(all.len(), 4);
    let mut stages: Vec<_> = all.iter().map(|i| i["stage"].as_str().unwrap()).collect();
    stages.sort();
    assert_eq!(stages, ["assessing", "dropped", "engaged", "landed"]);
    let stats = app.get("/api/v1/stats/pipeline").await;
    assert_eq!(
        stats.body["major_projects"]["landed"],
        json!({ "count": 1, "amount": "1000000000" })
    );
    let fuzhou = app
        .get(&format!(
            "/api/v1/events/{}/outcomes",
            roadshow::demo::ROADSHOW_ID.replace("000000000000", "000000000001")
        ))
        .await;
    assert_eq!(fuzhou.body["intentions"]["total"], 1, "{}", fuzhou.text);
}
