//! Teams: admins write, everyone reads; names unique ignoring case and spacing; tokens
//! that act for a team.

use std::process::{Command, Stdio};

use reqwest::Method;
use serde_json::json;

use crate::helpers::{id, spawn};

#[tokio::test]
async fn admins_make_teams_everyone_reads_names_are_unique() {
    let app = spawn().await;
    let as_admin = |method: Method, path: &str, body: Option<serde_json::Value>| {
        let path = path.to_string();
        let app = &app;
        async move { app.send(method, &path, Some(&app.admin), body, &[]).await }
    };
    let made = as_admin(
        Method::POST,
        "/api/v1/teams",
        Some(json!({ "name": "招商四处", "email": "div4@example.cn" })),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.body["timezone"], "Asia/Shanghai");
    assert_eq!(made.header("etag"), Some("\"1\""));
    let team = id(&made.body);
    assert_eq!(made.header("location"), Some(format!("/api/v1/teams/{team}").as_str()));

    let dup = as_admin(Method::POST, "/api/v1/teams", Some(json!({ "name": "  招商四处 " }))).await;
    dup.assert_problem(409);
    assert_eq!(dup.body["existing_id"], team.as_str());
    let dup = as_admin(Method::POST, "/api/v1/teams", Some(json!({ "name": "Team  West" }))).await;
    assert_eq!(dup.status, 201);
    as_admin(Method::POST, "/api/v1/teams", Some(json!({ "name": "team west" })))
        .await
        .assert_problem(409);

    let bad = as_admin(
        Method::POST,
        "/api/v1/teams",
        Some(json!({ "name": "x", "timezone": "Mars/Base", "email": "nope" })),
    )
    .await;
    bad.assert_problem(422);
    assert_eq!(bad.error_fields(), ["email", "timezone"]);

    // Organisers and viewers read but do not write.
    app.post("/api/v1/teams", json!({ "name": "招商五处" }))
        .await
        .assert_problem(403);
    let path = format!("/api/v1/teams/{team}");
    app.send(
        Method::PATCH,
        &path,
        Some(&app.viewer),
        Some(json!({ "email": null })),
        &[],
    )
    .await
    .assert_problem(403);
    let listed = app
        .send(Method::GET, "/api/v1/teams?limit=1", Some(&app.viewer), None, &[])
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "{}", listed.text);
    let cursor = listed.body["next_cursor"].as_str().unwrap().to_string();
    let rest = app.get(&format!("/api/v1/teams?cursor={cursor}")).await;
    assert_eq!(rest.body["items"][0]["name"], "Team  West");
    assert_eq!(app.get(&path).await.body["email"], "div4@example.cn");

    // PATCH honours If-Match and the zone is validated.
    let stale = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.admin),
            Some(json!({ "timezone": "America/Los_Angeles" })),
            &[("If-Match", "\"7\"")],
        )
        .await;
    stale.assert_problem(412);
    let moved = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.admin),
            Some(json!({ "timezone": "America/Los_Angeles", "email": null })),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(
        (moved.body["timezone"].as_str(), moved.body["version"].as_i64()),
        (Some("America/Los_Angeles"), Some(2))
    );
    assert!(moved.body["email"].is_null());
    let renamed = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.admin),
            Some(json!({ "name": "TEAM WEST" })),
            &[],
        )
        .await;
    renamed.assert_problem(409);
    app.get("/api/v1/teams/00000000-0000-4000-8000-000000000000")
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn a_token_can_act_for_a_team() {
    let app = spawn().await;
    let team = app
        .send(
            Method::POST,
            "/api/v1/teams",
            Some(&app.admin),
            Some(json!({ "name": "招商一处" })),
            &[],
        )
        .await;
    let team = id(&team.body);
    let made = app
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(&app.admin),
            Some(json!({ "name": "div-1", "role": "organiser", "team_id": team })),
            &[],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.body["team_id"], team.as_str());
    let listed = app
        .send(Method::GET, "/api/v1/tokens", Some(&app.admin), None, &[])
        .await;
    let div1 = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "div-1")
        .unwrap()
        .clone();
    assert_eq!(div1["team_id"], team.as_str());
    let missing = app
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(&app.admin),
            Some(json!({ "name": "div-x", "role": "organiser", "team_id": "00000000-0000-4000-8000-000000000000" })),
            &[],
        )
        .await;
    missing.assert_problem(422);
    assert_eq!(missing.error_fields(), ["team_id"]);
}

#[tokio::test]
async fn the_cli_makes_team_tokens_by_team_name() {
    let app = spawn().await;
    let team = app
        .send(
            Method::POST,
            "/api/v1/teams",
            Some(&app.admin),
            Some(json!({ "name": "招商二处" })),
            &[],
        )
        .await;
    let team = id(&team.body);
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_roadshow"))
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", app.db_url())
            .env_remove("ROADSHOW_ENV")
            .stdin(Stdio::null())
            .output()
            .expect("run roadshow")
    };
    let out = cli(&[
        "token",
        "create",
        "--name",
        "div-2",
        "--role",
        "organiser",
        "--team",
        " 招商二处",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(
        app.send(Method::GET, "/api/v1/teams", Some(&token), None, &[])
            .await
            .status,
        200
    );
    let listed = app
        .send(Method::GET, "/api/v1/tokens", Some(&app.admin), None, &[])
        .await;
    let div2 = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "div-2")
        .unwrap()
        .clone();
    assert_eq!(div2["team_id"], team.as_str());
    let out = cli(&[
        "token",
        "create",
        "--name",
        "div-9",
        "--role",
        "organiser",
        "--team",
        "招商九处",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("招商九处"));
}
