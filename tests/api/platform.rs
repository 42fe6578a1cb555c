//! What every route shares: probes, problem+json for unknown routes and methods,
//! CORS, request ids, and the OpenAPI document and docs page.

use reqwest::Method;

use crate::helpers::{spawn, spawn_with};

#[tokio::test]
async fn probes_answer() {
    let app = spawn().await;
    let r = app.send(Method::GET, "/healthz", None, None, &[]).await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
    let r = app.send(Method::GET, "/readyz", None, None, &[]).await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ready")));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = spawn().await;
    app.get("/api/v1/nothing-here").await.assert_problem(404);
    app.get("/favicon.ico").await.assert_problem(404);
    app.send(Method::PUT, "/api/v1/events", Some(&app.organiser), None, &[])
        .await
        .assert_problem(405);
    app.send(
        Method::POST,
        "/api/v1/roadshows/x/calendar.ics",
        Some(&app.organiser),
        None,
        &[],
    )
    .await
    .assert_problem(405);
    app.get("/api/v1/events/not-a-uuid").await.assert_problem(404);
    app.get("/api/v1/events?limit=ten").await.assert_problem(400);
    let r = app.get("/api/v1/events").await;
    assert!(r.header("x-request-id").is_some_and(|id| id.len() >= 32));
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_with(|s| s.server.cors_origins = vec!["https://app.example.org".into()]).await;
    let preflight = app
        .send(
            Method::OPTIONS,
            "/api/v1/events",
            None,
            None,
            &[
                ("origin", "https://app.example.org"),
                ("access-control-request-method", "PATCH"),
                (
                    "access-control-request-headers",
                    "authorization, if-match, content-type",
                ),
            ],
        )
        .await;
    assert_eq!(preflight.status, 200, "{}", preflight.text);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
    let r = app
        .send(
            Method::GET,
            "/api/v1/events",
            Some(&app.viewer),
            None,
            &[("origin", "https://app.example.org")],
        )
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example.org"));
    let exposed = r.header("access-control-expose-headers").unwrap().to_ascii_lowercase();
    assert!(exposed.contains("etag") && exposed.contains("location"), "{exposed}");
    let other = app
        .send(
            Method::GET,
            "/api/v1/events",
            Some(&app.viewer),
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert!(other.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn openapi_covers_every_route_and_docs_work_offline() {
    let app = spawn().await;
    let doc = app.send(Method::GET, "/api/v1/openapi.json", None, None, &[]).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let routes = [
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/api/v1/events", "get"),
        ("/api/v1/events", "post"),
        ("/api/v1/events/{id}", "get"),
        ("/api/v1/events/{id}", "patch"),
        ("/api/v1/events/{id}", "delete"),
        ("/api/v1/events/{id}/cancel", "post"),
        ("/api/v1/events/{id}/calendar.ics", "get"),
        ("/api/v1/roadshows", "get"),
        ("/api/v1/roadshows", "post"),
        ("/api/v1/roadshows/{id}", "get"),
        ("/api/v1/roadshows/{id}", "patch"),
        ("/api/v1/roadshows/{id}", "delete"),
        ("/api/v1/roadshows/{id}/events", "get"),
        ("/api/v1/roadshows/{id}/calendar.ics", "get"),
        ("/api/v1/events/{id}/registrations", "get"),
        ("/api/v1/events/{id}/registrations", "post"),
        ("/api/v1/events/{id}/registrations.csv", "get"),
        ("/api/v1/events/{id}/registrations/import", "post"),
        ("/api/v1/registrations/{id}", "get"),
        ("/api/v1/registrations/{id}", "patch"),
        ("/api/v1/registrations/{id}/cancel", "post"),
        ("/api/v1/registrations/{id}/check-in", "post"),
        ("/api/v1/registrations/{id}/check-in", "delete"),
        ("/api/v1/contacts", "get"),
        ("/api/v1/contacts", "post"),
        ("/api/v1/contacts/{id}", "get"),
        ("/api/v1/contacts/{id}", "patch"),
        ("/api/v1/contacts/{id}", "delete"),
        ("/api/v1/contacts/{id}/registrations", "get"),
        ("/api/v1/companies", "get"),
        ("/api/v1/companies", "post"),
        ("/api/v1/companies/{id}", "get"),
        ("/api/v1/companies/{id}", "patch"),
        ("/api/v1/public/events/{id}", "get"),
        ("/api/v1/public/events/{id}/registrations", "post"),
        ("/api/v1/public/registrations/{token}", "get"),
        ("/api/v1/public/registrations/{token}/cancel", "post"),
        ("/api/v1/public/registrations/{token}/calendar.ics", "get"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens/{id}", "delete"),
        ("/api/v1/teams", "get"),
        ("/api/v1/teams", "post"),
        ("/api/v1/teams/{id}", "get"),
        ("/api/v1/teams/{id}", "patch"),
        ("/api/v1/intentions", "get"),
        ("/api/v1/intentions", "post"),
        ("/api/v1/intentions.csv", "get"),
        ("/api/v1/intentions/{id}", "get"),
        ("/api/v1/intentions/{id}", "patch"),
        ("/api/v1/intentions/{id}/history", "get"),
        ("/api/v1/intentions/{id}/activities", "get"),
        ("/api/v1/intentions/{id}/activities", "post"),
        ("/api/v1/companies/{id}/intentions", "get"),
        ("/api/v1/contacts/{id}/intentions", "get"),
        ("/api/v1/stats/pipeline", "get"),
        ("/api/v1/events/{id}/outcomes", "get"),
        ("/api/v1/roadshows/{id}/outcomes", "get"),
    ];
    for (path, method) in routes {
        let op = &doc.body["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        if path.starts_with("/api/") && !path.starts_with("/api/v1/public/") {
            assert!(op["responses"]["401"].is_object(), "{method} {path} lacks its 401");
        }
    }
    let documented: usize = doc.body["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, routes.len(), "a documented route is missing from this test");
    for schema in [
        "Event",
        "Roadshow",
        "Problem",
        "FieldError",
        "NewEvent",
        "EventPatch",
        "Registration",
        "Contact",
        "Company",
        "ImportReport",
        "PublicRegistrationCreated",
    ] {
        assert!(
            doc.body["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }

    let page = app.client.get(format!("{}/docs", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page must not load from the internet"
    );
    let js = app
        .client
        .get(format!("{}/docs/swagger-ui-bundle.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    let init = app
        .client
        .get(format!("{}/docs/swagger-initializer.js", app.base))
        .send()
        .await
        .unwrap();
    assert!(init.text().await.unwrap().contains("/api/v1/openapi.json"));
}
