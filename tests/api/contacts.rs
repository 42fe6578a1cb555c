//! Companies and contacts: deduplication, validation, filters and erasure.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{id, spawn};

#[tokio::test]
async fn companies_are_unique_by_folded_name_and_filterable() {
    let app = spawn().await;
    let toray = app
        .post("/api/v1/companies", json!({ "name": "Toray Industries", "name_en": "Toray", "country": "jp", "is_target": true, "industry_chain": "新材料", "assessment_score": 86 }))
        .await;
    assert_eq!(toray.status, 201, "{}", toray.text);
    assert_eq!(
        (toray.body["country"].as_str(), toray.header("etag")),
        (Some("JP"), Some("\"1\""))
    );
    let dup = app
        .post("/api/v1/companies", json!({ "name": "  TORAY   industries " }))
        .await;
    dup.assert_problem(409);
    assert_eq!(dup.body["existing_id"], toray.body["id"]);
    app.post(
        "/api/v1/companies",
        json!({ "name": "永荣锦江", "country": "CN", "industry_chain": "聚酰胺" }),
    )
    .await;
    app.post("/api/v1/companies", json!({ "name": "四川大学" })).await;

    let names = |r: &crate::helpers::Resp| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&app.get("/api/v1/companies?is_target=true").await),
        ["Toray Industries"]
    );
    assert_eq!(names(&app.get("/api/v1/companies?country=cn").await), ["永荣锦江"]);
    assert_eq!(
        names(&app.get("/api/v1/companies?industry_chain=聚酰胺").await),
        ["永荣锦江"]
    );
    assert_eq!(names(&app.get("/api/v1/companies?q=大学").await), ["四川大学"]);
    assert_eq!(names(&app.get("/api/v1/companies?q=TORAY").await), ["Toray Industries"]);
    assert_eq!(names(&app.get("/api/v1/companies?limit=2").await).len(), 2);

    let bad = app
        .post(
            "/api/v1/companies",
            json!({ "name": "", "country": "XX", "assessment_score": 150, "website": "toray" }),
        )
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.error_fields(), ["name", "country", "website", "assessment_score"]);

    let path = format!("/api/v1/companies/{}", id(&toray.body));
    let r = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.organiser),
            Some(json!({ "assessment_score": null, "is_target": false })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(
        (r.body["assessment_score"].is_null(), r.body["is_target"].as_bool()),
        (true, Some(false))
    );
    app.patch(&path, json!({ "name": "永荣锦江" }))
        .await
        .assert_problem(409);
    app.patch(&path, json!({ "assessment_score": -1 }))
        .await
        .assert_problem(422);
    app.get(&format!("/api/v1/companies/{}", uuid::Uuid::new_v4()))
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn contacts_are_unique_by_email_ignoring_case() {
    let app = spawn().await;
    let c = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "山田太郎", "email": "Yamada@Mitsui.co.jp", "language": "ja", "timezone": "Asia/Tokyo" }),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.text);
    assert_eq!(
        (c.body["language"].as_str(), c.body["consent_reminders"].as_bool()),
        (Some("ja"), Some(true))
    );
    let dup = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "Taro", "email": " yamada@mitsui.CO.JP " }),
        )
        .await;
    dup.assert_problem(409);
    assert_eq!(dup.body["existing_id"], c.body["id"]);

    let bad = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "x", "email": "x@", "language": "de", "company_id": uuid::Uuid::new_v4() }),
        )
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.error_fields(), ["email", "language"]);
    let missing_company = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "x", "email": "x@y.cn", "company_id": uuid::Uuid::new_v4() }),
        )
        .await;
    missing_company.assert_problem(422);
    assert_eq!(missing_company.error_fields(), ["company_id"]);

    let other = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "李娜", "email": "lina@scu.edu.cn" }),
        )
        .await;
    let path = format!("/api/v1/contacts/{}", id(&other.body));
    app.patch(&path, json!({ "email": "YAMADA@mitsui.co.jp" }))
        .await
        .assert_problem(409);
    let r = app
        .patch(&path, json!({ "title": "教授", "consent_reminders": false }))
        .await;
    assert_eq!(
        (r.body["title"].as_str(), r.body["version"].as_i64()),
        (Some("教授"), Some(2))
    );
    let found = app.get("/api/v1/contacts?q=LINA@").await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    let found = app.get("/api/v1/contacts?q=山田").await;
    assert_eq!(found.body["items"][0]["email"], "Yamada@Mitsui.co.jp");
}

#[tokio::test]
async fn erasure_anonymises_the_person_and_keeps_counts() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "capacity": 5 })).await;
    let reg = app
        .register(
            &ev,
            json!({ "name": "王伟", "email": "wang@x.cn", "phone": "138", "title": "总经理", "notes": "素食" }),
        )
        .await;
    app.post(&format!("/api/v1/registrations/{}/check-in", id(&reg.body)), json!({}))
        .await;
    let contact = reg.body["contact_id"].as_str().unwrap().to_string();
    let before = app.counts(&ev).await;

    assert_eq!(app.delete(&format!("/api/v1/contacts/{contact}")).await.status, 204);
    assert_eq!(app.delete(&format!("/api/v1/contacts/{contact}")).await.status, 204);
    let c = app.get(&format!("/api/v1/contacts/{contact}")).await.body;
    assert_eq!(
        (c["name"].as_str(), c["email"].as_str()),
        (Some("[erased]"), Some("[erased]"))
    );
    assert!(c["phone"].is_null() && c["title"].is_null() && !c["erased_at"].is_null());
    assert_eq!(app.counts(&ev).await, before, "counts must not change");
    let r = app.get(&format!("/api/v1/registrations/{}", id(&reg.body))).await.body;
    assert_eq!(
        (r["contact"]["name"].as_str(), r["notes"].is_null()),
        (Some("[erased]"), true)
    );
    let csv = app.get(&format!("/api/v1/events/{ev}/registrations.csv")).await.text;
    assert!(!csv.contains("王伟") && !csv.contains("wang@x.cn"), "{csv}");

    // The email is free again, and the erased record cannot be edited or registered.
    assert_eq!(
        app.post("/api/v1/contacts", json!({ "name": "王伟", "email": "wang@x.cn" }))
            .await
            .status,
        201
    );
    app.patch(&format!("/api/v1/contacts/{contact}"), json!({ "name": "x" }))
        .await
        .assert_problem(409);
    let other = app.open_event(json!({})).await;
    app.register(&other, json!({ "contact_id": contact }))
        .await
        .assert_problem(422);
}
