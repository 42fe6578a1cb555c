//! Hostile input: NUL and other control characters, forged cursors, malformed path ids
//! and out-of-range values are the caller's mistake (4xx), never a 500, on both backends.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id, read, spawn};

/// Asserts a 422 whose `errors` name `field`.
fn assert_invalid(r: &crate::helpers::Resp, field: &str) {
    r.assert_problem(422);
    assert!(
        r.error_fields().iter().any(|f| f == field),
        "{field} not named: {}",
        r.text
    );
}

#[tokio::test]
async fn nul_in_json_text_is_a_422_naming_the_field() {
    let app = spawn().await;
    let event = |fields: Value| {
        let mut body = json!({ "title": "座谈会", "city": "福州", "timezone": "Asia/Shanghai", "starts_at": "2030-03-04T14:00:00" });
        crate::helpers::merge(&mut body, fields);
        body
    };
    assert_invalid(
        &app.post("/api/v1/events", event(json!({ "title": "a\u{0}b" }))).await,
        "title",
    );
    assert_invalid(
        &app.post("/api/v1/events", event(json!({ "venue": "\u{0}" }))).await,
        "venue",
    );
    assert_invalid(
        &app.post("/api/v1/events", event(json!({ "tags": ["ok", "x\u{0}"] })))
            .await,
        "tags[1]",
    );
    assert_invalid(
        &app.post("/api/v1/roadshows", json!({ "name": "巡回\u{0}" })).await,
        "name",
    );
    assert_invalid(
        &app.post(
            "/api/v1/contacts",
            json!({ "name": "张\u{0}伟", "email": "zhang@toray.cn" }),
        )
        .await,
        "name",
    );
    assert_invalid(
        &app.post(
            "/api/v1/contacts",
            json!({ "name": "张伟", "email": "zh\u{0}ang@toray.cn" }),
        )
        .await,
        "email",
    );
    assert_invalid(
        &app.post("/api/v1/companies", json!({ "name": "东丽\u{0}" })).await,
        "name",
    );
    let token = app
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(&app.admin),
            Some(json!({ "name": "ci\u{0}", "role": "viewer" })),
            &[],
        )
        .await;
    assert_invalid(&token, "name");

    // Changes too, and registrations (public ones included).
    let ev = app.open_event(json!({ "public_registration": true })).await;
    assert_invalid(
        &app.patch(&format!("/api/v1/events/{ev}"), json!({ "venue": "v\u{0}" }))
            .await,
        "venue",
    );
    assert_invalid(
        &app.register(
            &ev,
            json!({ "name": "李娜", "email": "lina@scu.edu.cn", "notes": "\u{0}" }),
        )
        .await,
        "notes",
    );
    let public = app
        .send(
            Method::POST,
            &format!("/api/v1/public/events/{ev}/registrations"),
            None,
            Some(json!({ "name": "陈\u{0}", "email": "chen@scu.edu.cn" })),
            &[],
        )
        .await;
    assert_invalid(&public, "name");
    let r = app
        .register(&ev, json!({ "name": "李娜", "email": "lina@scu.edu.cn" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_invalid(
        &app.patch(
            &format!("/api/v1/registrations/{}", id(&r.body)),
            json!({ "notes": "x\u{0}" }),
        )
        .await,
        "notes",
    );
}

#[tokio::test]
async fn control_characters_are_refused_but_tabs_and_newlines_in_long_text_are_kept() {
    let app = spawn().await;
    let base =
        json!({ "title": "座谈会", "city": "福州", "timezone": "Asia/Shanghai", "starts_at": "2030-03-04T14:00:00" });
    for bad in ["a\u{7}b", "a\u{1b}[31mb", "a\nb", "a\u{7f}b"] {
        let mut body = base.clone();
        body["title"] = json!(bad);
        assert_invalid(&app.post("/api/v1/events", body).await, "title");
    }
    let mut body = base.clone();
    body["summary"] = json!("第一行\n\t第二行\r\n");
    let r = app.post("/api/v1/events", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["summary"], "第一行\n\t第二行");
    let mut body = base.clone();
    body["summary"] = json!("bell\u{7}");
    assert_invalid(&app.post("/api/v1/events", body).await, "summary");
}

#[tokio::test]
async fn nul_in_list_filters_is_a_422_naming_the_parameter() {
    let app = spawn().await;
    let ev = id(&app.event(json!({})).await);
    let registrations = format!("/api/v1/events/{ev}/registrations?q=%00");
    for (path, field) in [
        ("/api/v1/events?q=a%00b", "q"),
        ("/api/v1/events?city=%00", "city"),
        ("/api/v1/events?tag=x%00", "tag"),
        ("/api/v1/events?industry_chain=%00", "industry_chain"),
        ("/api/v1/contacts?q=%00", "q"),
        ("/api/v1/companies?q=%00", "q"),
        ("/api/v1/companies?industry_chain=%00", "industry_chain"),
        (registrations.as_str(), "q"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 422, "{path}: {}", r.text);
        assert!(r.error_fields().iter().any(|f| f == field), "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn forged_cursors_are_a_400() {
    let app = spawn().await;
    let ev = app.event(json!({})).await;
    let ev = id(&ev);
    let forge = |v: Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap());
    let cursors = [
        "%00".to_string(),
        forge(json!(["2024-03-04T06:00:00", "a\u{0}b"])),
        forge(json!(["a\u{0}b", "x"])),
        forge(json!({ "a": "\u{0}" })),
        forge(json!("\u{0}")),
        forge(json!(["-10000-01-01T00:00:00", "x"])),
    ];
    for path in [
        "/api/v1/events".to_string(),
        "/api/v1/roadshows".to_string(),
        "/api/v1/contacts".to_string(),
        "/api/v1/companies".to_string(),
        format!("/api/v1/events/{ev}/registrations"),
    ] {
        for c in &cursors {
            let r = app
                .send(Method::GET, &format!("{path}?cursor={c}"), Some(&app.admin), None, &[])
                .await;
            assert!(r.status == 400 || r.status == 422, "{path}?cursor={c}: {}", r.text);
            r.assert_problem(r.status);
        }
    }
}

#[tokio::test]
async fn malformed_path_ids_are_a_404() {
    let app = spawn().await;
    let get = |path: &'static str, token: Option<String>| {
        let app = &app;
        async move { app.send(Method::GET, path, token.as_deref(), None, &[]).await }
    };
    for path in [
        "/api/v1/events/a%00b",
        "/api/v1/events/a%00b/calendar.ics",
        "/api/v1/events/a%00b/registrations",
        "/api/v1/roadshows/a%00b",
        "/api/v1/roadshows/a%00b/events",
        "/api/v1/contacts/a%00b",
        "/api/v1/contacts/a%00b/registrations",
        "/api/v1/companies/a%00b",
        "/api/v1/registrations/a%00b",
        "/api/v1/events/a%00b/registrations.csv",
        "/api/v1/roadshows/a%00b/calendar.ics",
        "/api/v1/events/not-a-uuid",
    ] {
        let r = get(path, Some(app.organiser.clone())).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        r.assert_problem(404);
    }
    for path in [
        "/api/v1/public/events/a%00b",
        "/api/v1/public/registrations/a%00b",
        "/api/v1/public/registrations/a%00b/calendar.ics",
    ] {
        let r = get(path, None).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        r.assert_problem(404);
    }
    let writes = [
        (Method::DELETE, "/api/v1/tokens/a%00b", None),
        (Method::DELETE, "/api/v1/events/a%00b", None),
        (Method::DELETE, "/api/v1/roadshows/a%00b", None),
        (Method::DELETE, "/api/v1/contacts/a%00b", None),
        (Method::PATCH, "/api/v1/events/a%00b", Some(json!({ "venue": "x" }))),
        (Method::PATCH, "/api/v1/contacts/a%00b", Some(json!({ "phone": "1" }))),
        (
            Method::PATCH,
            "/api/v1/companies/a%00b",
            Some(json!({ "website": "https://a.cn" })),
        ),
        (
            Method::PATCH,
            "/api/v1/registrations/a%00b",
            Some(json!({ "notes": "x" })),
        ),
        (Method::POST, "/api/v1/events/a%00b/cancel", None),
        (Method::POST, "/api/v1/registrations/a%00b/cancel", None),
        (Method::POST, "/api/v1/registrations/a%00b/check-in", Some(json!({}))),
        (Method::DELETE, "/api/v1/registrations/a%00b/check-in", None),
        (Method::POST, "/api/v1/public/registrations/a%00b/cancel", None),
        (
            Method::POST,
            "/api/v1/events/a%00b/registrations",
            Some(json!({ "name": "李娜", "email": "lina@scu.edu.cn" })),
        ),
        (
            Method::POST,
            "/api/v1/public/events/a%00b/registrations",
            Some(json!({ "name": "李娜", "email": "lina@scu.edu.cn" })),
        ),
    ];
    for (method, path, body) in writes {
        let r = app.send(method.clone(), path, Some(&app.admin), body, &[]).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
        r.assert_problem(404);
    }
}

#[tokio::test]
async fn nul_in_a_csv_cell_makes_that_row_invalid() {
    let app = spawn().await;
    let ev = app.open_event(json!({})).await;
    let csv = "name,email,company,notes\n张伟,zhang@toray.cn,东丽,ok\n李\u{0}娜,lina@scu.edu.cn,四川大学,\nYamada,yamada@mitsui.jp,Mitsui\u{0},\nSuzuki,suzuki@asahi.jp,,bad\u{0}note\n";
    let res = app
        .client
        .post(format!("{}/api/v1/events/{ev}/registrations/import", app.base))
        .bearer_auth(&app.organiser)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let r = read(res).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["created"].as_i64(), r.body["invalid"].as_i64()),
        (Some(1), Some(3)),
        "{}",
        r.text
    );
    for (i, field) in [(1, "name"), (2, "company_name"), (3, "notes")] {
        assert_eq!(r.body["rows"][i]["outcome"], "invalid", "{}", r.text);
        assert!(
            r.body["rows"][i]["reason"].as_str().unwrap().contains(field),
            "{}",
            r.text
        );
    }
    let res = app
        .client
        .post(format!("{}/api/v1/events/a%00b/registrations/import", app.base))
        .bearer_auth(&app.organiser)
        .header("content-type", "text/csv")
        .body("name,email\nLi,li@scu.edu.cn\n")
        .send()
        .await
        .unwrap();
    read(res).await.assert_problem(404);
}

#[tokio::test]
async fn out_of_range_times_are_not_a_500() {
    let app = spawn().await;
    for starts_at in [
        "+99999-01-01T00:00:00Z",
        "2030-03-04T14:00:00\u{0}",
        "2030-03-04T14:00:00+25:00",
    ] {
        let r = app
            .post(
                "/api/v1/events",
                json!({ "title": "t", "city": "c", "timezone": "UTC", "starts_at": starts_at }),
            )
            .await;
        assert_invalid(&r, "starts_at");
    }
    let r = app.get("/api/v1/events?from=-10000-01-01").await;
    assert!(r.status == 200 || r.status == 422, "{}", r.text);
    // Year bounds are checked elsewhere; here only: never a 500, whatever the backend.
    let r = app
        .post(
            "/api/v1/events",
            json!({ "title": "t", "city": "c", "timezone": "UTC", "starts_at": "-10000-01-01T00:00:00" }),
        )
        .await;
    assert!(r.status == 201 || r.status == 422, "{}", r.text);
}

/// The last line of defence: a value PostgreSQL refuses is a 422, not a 500.
#[test]
fn database_value_errors_are_the_callers_mistake() {
    use diesel::sql_types::{Text, Timestamp};
    use diesel::RunQueryDsl;
    use roadshow::error::Error;

    let db = crate::helpers::TestDb::new();
    if !db.url.starts_with("postgres") {
        return; // SQLite stores any text and any time: nothing to refuse.
    }
    let database = roadshow::db::Database::open(&db.url, 1).expect("open");
    let mut conn = database.connection().expect("connection");
    let nul = diesel::sql_query("SELECT $1 AS x")
        .bind::<Text, _>("a\u{0}b")
        .execute(&mut *conn)
        .map_err(Error::from);
    assert!(matches!(nul, Err(Error::Validation(_))), "{nul:?}");
    let t = chrono::NaiveDate::from_ymd_opt(-10000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a date chrono can hold");
    let far = diesel::sql_query("SELECT $1 AS x")
        .bind::<Timestamp, _>(t)
        .execute(&mut *conn)
        .map_err(Error::from);
    assert!(matches!(far, Err(Error::Validation(_))), "{far:?}");
}

#[tokio::test]
async fn an_unknown_stored_status_is_a_500_not_a_wrong_value() {
    let app = spawn().await;
    let ev = app.open_event(json!({})).await;
    let r = app
        .register(&ev, json!({ "name": "李娜", "email": "lina@scu.edu.cn" }))
        .await;
    let reg = id(&r.body);
    app.raw_sql(&format!("UPDATE events SET status = 'bogus' WHERE id = '{ev}'"));
    for path in [
        format!("/api/v1/events/{ev}"),
        "/api/v1/events".to_string(),
        format!("/api/v1/registrations/{reg}"),
    ] {
        let r = app.get(&path).await;
        r.assert_problem(500);
        assert!(!r.text.contains("bogus"), "no internals: {}", r.text);
    }
    app.raw_sql(&format!("UPDATE events SET status = 'scheduled' WHERE id = '{ev}'"));
    app.raw_sql(&format!("UPDATE registrations SET role = 'emperor' WHERE id = '{reg}'"));
    app.get(&format!("/api/v1/registrations/{reg}"))
        .await
        .assert_problem(500);
    app.get(&format!("/api/v1/events/{ev}/registrations"))
        .await
        .assert_problem(500);
    assert_eq!(app.get(&format!("/api/v1/events/{ev}")).await.status, 200);
}
