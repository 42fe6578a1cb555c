//! What every route shares: probes, problem+json for unknown routes and methods,
//! CORS, request ids, and the OpenAPI document and docs page.

use reqwest::Method;
use serde_json::Value;

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
    let r = app
        .send(Method::PUT, "/api/v1/events", Some(&app.organiser), None, &[])
        .await;
    r.assert_problem(405);
    assert_eq!(r.header("allow"), Some("GET, POST, OPTIONS"));
    let r = app
        .send(Method::DELETE, "/api/v1/public/events/x/registrations", None, None, &[])
        .await;
    r.assert_problem(405);
    assert_eq!(r.header("allow"), Some("POST, OPTIONS"));
    let r = app.send(Method::POST, "/healthz", None, None, &[]).await;
    r.assert_problem(405);
    assert_eq!(r.header("allow"), Some("GET, OPTIONS"));
    let r = app
        .send(
            Method::from_bytes(b"TRACE").unwrap(),
            "/api/v1/events/x/cancel",
            None,
            None,
            &[],
        )
        .await;
    r.assert_problem(405);
    assert_eq!(r.header("allow"), Some("POST, OPTIONS"));
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
    app.get("/api/v1/public/events/not-a-uuid").await.assert_problem(404);
    app.get("/api/v1/events/").await.assert_problem(404);
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

/// Where the served document is kept; `UPDATE_SNAPSHOTS=1 cargo test` rewrites it.
const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");

/// Every documented operation as (method, path template, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    ops
}

#[tokio::test]
async fn openapi_document_matches_its_snapshot() {
    let app = spawn().await;
    let doc = app.send(Method::GET, "/api/v1/openapi.json", None, None, &[]).await;
    assert_eq!(doc.status, 200);
    let served = serde_json::to_string_pretty(&doc.body).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(std::path::Path::new(SNAPSHOT).parent().unwrap()).unwrap();
        std::fs::write(SNAPSHOT, &served).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if committed != served {
        let diff = similar::TextDiff::from_lines(&committed, &served);
        panic!(
            "the OpenAPI document differs from tests/snapshots/openapi.json (- committed, + served); \
             if the change is intended, run `UPDATE_SNAPSHOTS=1 cargo test openapi_document` and commit the file\n{}",
            diff.unified_diff().context_radius(3).header("committed", "served")
        );
    }
}

#[tokio::test]
async fn operation_ids_are_unique_and_explicit() {
    let app = spawn().await;
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None, &[])
        .await
        .body;
    let mut seen = std::collections::BTreeMap::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        // verbResource, never a handler's snake_case function name.
        assert!(
            id.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{method} {path}: operationId {id:?} is not in verbResource form"
        );
        if let Some(other) = seen.insert(id.to_string(), format!("{method} {path}")) {
            panic!("operationId {id:?} is used by both {other} and {method} {path}");
        }
    }
    assert!(seen.len() >= 43, "{} operations", seen.len());
}

/// The router and the document come from the same route macros (utoipa-actix-web), so
/// they cannot list different routes; this checks the wiring: every documented operation
/// reaches a handler, and the rules every operation follows are in the document.
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn().await;
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None, &[])
        .await
        .body;
    for (method, path, op) in operations(&doc) {
        let url = path
            .replace("{id}", "3f1c2b6e-0d4a-4c8e-9f1a-2b3c4d5e6f70")
            .replace("{token}", "rs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = app.send(m, &url, Some(&app.admin), None, &[]).await;
        assert_ne!(r.status, 405, "{method} {path}: {}", r.text);
        assert!(
            !(r.status == 404
                && r.body["detail"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("no such route"))),
            "{method} {path} is documented but not routed"
        );
        let documented = op["responses"][r.status.to_string()].is_object();
        assert!(
            documented,
            "{method} {path} answered an undocumented {}: {}",
            r.status, r.text
        );
        if path.starts_with("/api/") && !path.starts_with("/api/v1/public/") {
            assert!(op["responses"]["401"].is_object(), "{method} {path} lacks its 401");
            assert_eq!(op["security"][0]["bearer"], serde_json::json!([]), "{method} {path}");
        }
        if path.starts_with("/api/v1/public/") {
            let h = &op["responses"]["429"]["headers"]["Retry-After"];
            assert!(h.is_object(), "{method} {path} lacks 429 with Retry-After");
        }
        for (code, response) in op["responses"].as_object().unwrap() {
            if code.starts_with('4') || code.starts_with('5') {
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{method} {path} {code} is not documented as problem+json"
                );
            }
        }
    }
}

/// What a generated client sees must match what the server does: required request
/// fields, always-present (if nullable) response fields, named pages, a real `Problem`.
#[tokio::test]
async fn schemas_are_exact() {
    let app = spawn().await;
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None, &[])
        .await
        .body;
    let schemas = &doc["components"]["schemas"];
    let required = |name: &str| -> Vec<String> {
        let mut r: Vec<String> = schemas[name]["required"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        r.sort();
        r
    };
    assert_eq!(required("NewEvent"), ["city", "starts_at", "timezone", "title"]);
    assert_eq!(required("NewContact"), ["email", "name"]);
    assert_eq!(required("PublicRegistrationRequest"), ["email", "name"]);
    for patch in [
        "EventPatch",
        "RoadshowPatch",
        "ContactPatch",
        "CompanyPatch",
        "RegistrationPatch",
    ] {
        assert!(required(patch).is_empty(), "{patch} requires {:?}", required(patch));
    }
    assert_eq!(
        schemas["NewEvent"]["properties"]["title"]["type"], "string",
        "not nullable"
    );
    let event = &schemas["Event"];
    assert!(required("Event").contains(&"capacity".to_string()));
    assert_eq!(
        event["properties"]["capacity"]["type"],
        serde_json::json!(["integer", "null"])
    );
    assert_eq!(event["properties"]["id"]["format"], "uuid");
    assert_eq!(event["properties"]["starts_at"]["format"], "date-time");
    for (page, item) in [
        ("EventPage", "Event"),
        ("RegistrationPage", "Registration"),
        ("ContactPage", "Contact"),
    ] {
        assert_eq!(required(page), ["items", "next_cursor"]);
        let items = &schemas[page]["properties"]["items"]["items"]["$ref"];
        assert_eq!(items.as_str(), Some(format!("#/components/schemas/{item}").as_str()));
    }
    let list = &doc["paths"]["/api/v1/events"]["get"];
    assert_eq!(
        list["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/EventPage"
    );
    let limit = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(
        (limit["schema"]["minimum"].as_i64(), limit["schema"]["maximum"].as_i64()),
        (Some(1), Some(200))
    );
    let get = &doc["paths"]["/api/v1/events/{id}"]["get"]["parameters"][0];
    assert_eq!(
        (get["name"].as_str(), get["schema"]["format"].as_str()),
        (Some("id"), Some("uuid"))
    );
    let problem = &schemas["Problem"];
    assert_eq!(required("Problem"), ["detail", "status", "title", "type"]);
    assert_eq!(problem["properties"]["existing_id"]["format"], "uuid");
    assert!(
        problem.get("allOf").is_none(),
        "Problem is one object, not allOf with an empty map"
    );
    for (path, method) in [
        ("/api/v1/registrations/{id}/cancel", "post"),
        ("/api/v1/registrations/{id}/check-in", "post"),
        ("/api/v1/registrations/{id}/check-in", "delete"),
        ("/api/v1/events/{id}/cancel", "post"),
        ("/api/v1/registrations/{id}", "patch"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(
            op["responses"]["200"]["headers"]["ETag"].is_object(),
            "{method} {path} ETag"
        );
        assert!(op["responses"]["412"].is_object(), "{method} {path} 412");
        let params = op["parameters"].as_array().unwrap();
        assert!(
            params.iter().any(|p| p["name"] == "If-Match"),
            "{method} {path} If-Match"
        );
    }
}

#[tokio::test]
async fn docs_work_offline() {
    let app = spawn().await;
    let doc = app.send(Method::GET, "/api/v1/openapi.json", None, None, &[]).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    for schema in [
        "Event",
        "EventPage",
        "Roadshow",
        "Problem",
        "FieldError",
        "NewEvent",
        "EventPatch",
        "Registration",
        "Contact",
        "Company",
        "ImportReport",
        "PublicRegistrationAccepted",
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
