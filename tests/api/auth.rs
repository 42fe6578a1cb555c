//! The auth matrix: no token, bad token, viewer, organiser, admin, revoked.

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn;

#[tokio::test]
async fn no_or_bad_token_is_401_problem() {
    let app = spawn().await;
    let r = app.send(Method::GET, "/api/v1/events", None, None, &[]).await;
    r.assert_problem(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    app.send(Method::GET, "/api/v1/events", Some("rs_not-a-real-token"), None, &[])
        .await
        .assert_problem(401);
    let r = app
        .send(
            Method::GET,
            "/api/v1/events",
            None,
            None,
            &[("authorization", "Basic dXNlcjpwYXNz")],
        )
        .await;
    r.assert_problem(401);
    // Probes and docs stay open.
    assert_eq!(app.send(Method::GET, "/healthz", None, None, &[]).await.status, 200);
    assert_eq!(
        app.send(Method::GET, "/api/v1/openapi.json", None, None, &[])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn viewers_read_organisers_write_admins_manage_tokens() {
    let app = spawn().await;
    let event = json!({ "title": "t", "city": "c", "timezone": "Asia/Shanghai", "starts_at": "2024-03-04T14:00:00" });
    let as_ = |token: &str, method: Method, path: &str, body: Option<serde_json::Value>| {
        let token = token.to_string();
        let path = path.to_string();
        let app = &app;
        async move { app.send(method, &path, Some(&token), body, &[]).await }
    };

    // Viewer: reads, but every write is 403 naming the role needed.
    assert_eq!(as_(&app.viewer, Method::GET, "/api/v1/events", None).await.status, 200);
    let r = as_(&app.viewer, Method::POST, "/api/v1/events", Some(event.clone())).await;
    r.assert_problem(403);
    assert!(r.body["detail"].as_str().unwrap().contains("organiser"), "{}", r.text);
    as_(
        &app.viewer,
        Method::POST,
        "/api/v1/roadshows",
        Some(json!({ "name": "x" })),
    )
    .await
    .assert_problem(403);
    as_(&app.viewer, Method::GET, "/api/v1/tokens", None)
        .await
        .assert_problem(403);

    // Organiser: writes, but cannot manage tokens.
    let created = as_(&app.organiser, Method::POST, "/api/v1/events", Some(event.clone())).await;
    assert_eq!(created.status, 201);
    let path = format!("/api/v1/events/{}", created.body["id"].as_str().unwrap());
    as_(&app.viewer, Method::PATCH, &path, Some(json!({ "title": "x" })))
        .await
        .assert_problem(403);
    as_(&app.viewer, Method::DELETE, &path, None).await.assert_problem(403);
    as_(&app.organiser, Method::GET, "/api/v1/tokens", None)
        .await
        .assert_problem(403);
    as_(
        &app.organiser,
        Method::POST,
        "/api/v1/tokens",
        Some(json!({ "name": "x", "role": "admin" })),
    )
    .await
    .assert_problem(403);

    // Admin: everything, including making, listing and revoking tokens.
    assert_eq!(
        as_(&app.admin, Method::POST, "/api/v1/events", Some(event))
            .await
            .status,
        201
    );
    let made = as_(
        &app.admin,
        Method::POST,
        "/api/v1/tokens",
        Some(json!({ "name": "spreadsheet script", "role": "viewer" })),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let secret = made.body["token"].as_str().unwrap().to_string();
    assert_eq!(as_(&secret, Method::GET, "/api/v1/events", None).await.status, 200);
    let listed = as_(&app.admin, Method::GET, "/api/v1/tokens", None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 4);
    assert!(!listed.text.contains(&secret), "the list must never show secrets");
    let dup = as_(
        &app.admin,
        Method::POST,
        "/api/v1/tokens",
        Some(json!({ "name": "spreadsheet script", "role": "viewer" })),
    )
    .await;
    dup.assert_problem(409);
    let bad = as_(
        &app.admin,
        Method::POST,
        "/api/v1/tokens",
        Some(json!({ "name": "x", "role": "root" })),
    )
    .await;
    bad.assert_problem(422);
    let revoke = format!("/api/v1/tokens/{}", made.body["id"].as_str().unwrap());
    assert_eq!(as_(&app.admin, Method::DELETE, &revoke, None).await.status, 204);
    as_(&secret, Method::GET, "/api/v1/events", None)
        .await
        .assert_problem(401);
}
