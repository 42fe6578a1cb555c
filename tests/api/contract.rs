//! The served contract and the server agree: what the OpenAPI document calls valid is
//! accepted, what it calls invalid is refused (issue 8, found by fuzzing).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{id, spawn, TestApp};

async fn company(app: &TestApp) -> String {
    let r = app.post("/api/v1/companies", json!({"name": "Toray"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    id(&r.body)
}

async fn patch_if(app: &TestApp, path: &str, body: serde_json::Value, etag: &str) -> crate::helpers::Resp {
    app.send(
        Method::PATCH,
        path,
        Some(&app.organiser),
        Some(body),
        &[("if-match", etag)],
    )
    .await
}

#[tokio::test]
async fn an_invalid_body_is_a_422_even_with_a_stale_if_match() {
    let app = spawn().await;
    let path = format!("/api/v1/companies/{}", company(&app).await);
    let stale = "\"7\"";
    patch_if(&app, &path, json!({"website": "ftp://x"}), stale)
        .await
        .assert_problem(422);
    patch_if(&app, &path, json!({"notes": "bell\u{7}"}), stale)
        .await
        .assert_problem(422);
    // A valid body still meets the precondition: 412, and nothing changed.
    patch_if(&app, &path, json!({"notes": "fine"}), stale)
        .await
        .assert_problem(412);
    assert_eq!(app.get(&path).await.body["notes"], serde_json::Value::Null);

    let event = id(&app.event(json!({})).await);
    let cancel = format!("/api/v1/events/{event}/cancel");
    for (reason, status) in [("\u{1b}[31m", 422), ("weather", 412)] {
        app.send(
            Method::POST,
            &cancel,
            Some(&app.organiser),
            Some(json!({ "reason": reason })),
            &[("if-match", stale)],
        )
        .await
        .assert_problem(status);
    }
    let roadshow = id(&app.roadshow("Nordic").await);
    patch_if(
        &app,
        &format!("/api/v1/roadshows/{roadshow}"),
        json!({"name": " "}),
        stale,
    )
    .await
    .assert_problem(422);
}

#[tokio::test]
async fn whole_numbers_sent_as_floats_are_integers() {
    let app = spawn().await;
    let path = format!("/api/v1/companies/{}", company(&app).await);
    let r = app
        .patch(&path, json!({"assessment_score": 94.0, "version": 1.0}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["assessment_score"], 94);
    let r = app.patch(&path, json!({"assessment_score": 94.5})).await;
    assert!(r.status == 400 || r.status == 422, "{}", r.text);
    // null still clears, an absent field still keeps.
    let r = app.patch(&path, json!({"notes": "kept"})).await;
    assert_eq!(r.body["assessment_score"], 94, "{}", r.text);
    let r = app.patch(&path, json!({"assessment_score": null})).await;
    assert_eq!(r.body["assessment_score"], serde_json::Value::Null, "{}", r.text);

    let event = app.event(json!({"capacity": 20.0})).await;
    assert_eq!(event["capacity"], 20);
}

#[tokio::test]
async fn a_blank_website_or_country_is_refused_and_null_clears() {
    let app = spawn().await;
    let r = app
        .post("/api/v1/companies", json!({"name": "Blank", "website": ""}))
        .await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), ["website"]);
    let r = app
        .post("/api/v1/companies", json!({"name": "Blank", "country": " "}))
        .await;
    assert_eq!(r.error_fields(), ["country"]);
    // Blank free text is still no text.
    let r = app
        .post(
            "/api/v1/companies",
            json!({"name": "Blank", "name_en": "", "website": "https://toray.com"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["name_en"], serde_json::Value::Null);
    let path = format!("/api/v1/companies/{}", id(&r.body));
    app.patch(&path, json!({"website": ""})).await.assert_problem(422);
    let r = app.patch(&path, json!({"website": null})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["website"], serde_json::Value::Null);
}

#[tokio::test]
async fn every_free_text_request_string_states_the_control_character_rule() {
    let app = spawn().await;
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None, &[])
        .await
        .body;
    let schemas = &doc["components"]["schemas"];
    let one_line = "^[^\\x00-\\x1F\\x7F-\\x9F]*$";
    let many = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$";
    assert_eq!(schemas["NewCompany"]["properties"]["name_en"]["pattern"], one_line);
    assert_eq!(schemas["NewCompany"]["properties"]["notes"]["pattern"], many);
    assert_eq!(schemas["NewEvent"]["properties"]["summary"]["pattern"], many);
    assert_eq!(schemas["NewEvent"]["properties"]["tags"]["items"]["pattern"], one_line);
    let title = schemas["NewEvent"]["properties"]["title"]["pattern"].as_str().unwrap();
    assert!(title.contains("\\s\\x00"), "{title}");
    let events = &doc["paths"]["/api/v1/events"]["get"]["parameters"];
    let param = |name: &str| events.as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
    assert_eq!(param("q")["pattern"], one_line);
    assert_eq!(param("city")["pattern"], one_line);
    assert_eq!(param("kind")["$ref"], "#/components/schemas/EventKind");
    // And the server holds to it.
    let r = app.get("/api/v1/events?q=a%16b").await;
    r.assert_problem(422);
}

#[tokio::test]
async fn the_pipeline_routes_keep_the_same_rules() {
    let app = spawn().await;
    let admin = Some(app.admin.as_str());
    let t = app
        .send(
            Method::POST,
            "/api/v1/teams",
            admin,
            Some(json!({ "name": "招商四处" })),
            &[],
        )
        .await;
    assert_eq!(t.status, 201, "{}", t.text);
    let path = format!("/api/v1/teams/{}", id(&t.body));
    // An invalid body is a 422 even with a stale If-Match; a valid one is the 412.
    let stale = [("if-match", "\"7\"")];
    app.send(Method::PATCH, &path, admin, Some(json!({ "name": "  " })), &stale)
        .await
        .assert_problem(422);
    app.send(Method::PATCH, &path, admin, Some(json!({ "name": "招商五处" })), &stale)
        .await
        .assert_problem(412);
    // A blank email is refused; null clears it.
    app.send(
        Method::POST,
        "/api/v1/teams",
        admin,
        Some(json!({ "name": "x", "email": "" })),
        &[],
    )
    .await
    .assert_problem(422);
    // Each list takes only its own parameters, in their exact form.
    app.get("/api/v1/intentions.csv?limit=5").await.assert_problem(400);
    app.get("/api/v1/intentions?headers=zh").await.assert_problem(400);
    app.get("/api/v1/intentions?min_amount=1&currency=cny")
        .await
        .assert_problem(422);
    assert_eq!(
        app.get("/api/v1/intentions?min_amount=1&currency=CNY").await.status,
        200
    );
}
