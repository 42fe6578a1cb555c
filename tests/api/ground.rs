//! The holes found by probing: anonymous callers and someone else's data, lost updates,
//! check-then-act races, and preconditions on state-changing actions.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{id, spawn};

#[tokio::test]
async fn anonymous_callers_never_see_change_or_take_over_what_someone_else_entered() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "public_registration": true })).await;
    let other = app.open_event(json!({ "public_registration": true })).await;
    let url = |e: &str| format!("/api/v1/public/events/{e}/registrations");

    // The organiser knows 王伟, without phone, title or company.
    let known = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "王伟", "email": "wang.wei@toray.cn" }),
        )
        .await;
    assert_eq!(known.status, 201, "{}", known.text);
    let contact_id = id(&known.body);

    // An anonymous caller registers with that address: the answer is the one any new
    // address gets, made of the request alone (the link goes by email to 王伟).
    let impostor = json!({
        "name": "Mallory", "email": "WANG.WEI@toray.cn", "phone": "+1 555 0100",
        "title": "CEO", "company_name": "Mallory Holdings"
    });
    let r = app.send(Method::POST, &url(&ev), None, Some(impostor), &[]).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(!r.text.contains("王伟"), "the stored name leaked: {}", r.text);
    assert!(
        r.body.get("manage_token").is_none() && !r.text.contains("rs_"),
        "{}",
        r.text
    );
    assert_eq!(r.body["email"], "WANG.WEI@toray.cn");

    // The stored contact is untouched, and no company was made from anonymous input ...
    let contact = app.get(&format!("/api/v1/contacts/{contact_id}")).await.body;
    assert_eq!(
        (
            &contact["name"],
            &contact["phone"],
            &contact["title"],
            &contact["company_id"]
        ),
        (&json!("王伟"), &json!(null), &json!(null), &json!(null))
    );
    let companies = app.get("/api/v1/companies?q=mallory").await;
    assert_eq!(companies.body["items"], json!([]));
    // ... but the name typed is kept on the registration for an organiser to link.
    let regs = app.get(&format!("/api/v1/events/{ev}/registrations")).await;
    assert_eq!(regs.body["items"][0]["stated_company"], "Mallory Holdings");

    // The real owner registers at the other event; the registration is then cancelled.
    let owner = json!({ "name": "王伟", "email": "wang.wei@toray.cn" });
    let r = app.send(Method::POST, &url(&other), None, Some(owner), &[]).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let regs = app.get(&format!("/api/v1/events/{other}/registrations")).await;
    let reg_id = regs.body["items"][0]["id"].as_str().unwrap().to_string();
    let cancel = format!("/api/v1/registrations/{reg_id}/cancel");
    let cancelled = app.send(Method::POST, &cancel, Some(&app.organiser), None, &[]).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);

    // An anonymous caller cannot re-activate it or take the link over: the same answer
    // as ever, and the registration stays cancelled.
    let again = json!({ "name": "Mallory", "email": "wang.wei@toray.cn" });
    let r = app.send(Method::POST, &url(&other), None, Some(again), &[]).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(
        r.body.get("existing_id").is_none() && !r.text.contains("rs_"),
        "{}",
        r.text
    );
    let theirs = app.get(&format!("/api/v1/registrations/{reg_id}")).await;
    assert_eq!((theirs.status, &theirs.body["status"]), (200, &json!("cancelled")));
    assert_eq!(theirs.body["version"], 2, "nothing changed after the cancel");
}

#[tokio::test]
async fn state_changing_actions_honour_if_match_and_answer_the_new_etag() {
    let app = spawn().await;
    let ev = app.open_event(json!({})).await;
    let reg = app
        .register(&ev, json!({ "name": "李娜", "email": "lina@scu.edu.cn" }))
        .await;
    let reg_id = id(&reg.body);
    let stale = [("if-match", "\"7\"")];
    let current = [("if-match", "\"1\"")];
    let org = Some(app.organiser.as_str());

    let check_in = format!("/api/v1/registrations/{reg_id}/check-in");
    app.send(Method::POST, &check_in, org, None, &stale)
        .await
        .assert_problem(412);
    let r = app.send(Method::POST, &check_in, org, None, &current).await;
    assert_eq!((r.status, r.header("etag")), (200, Some("\"2\"")), "{}", r.text);
    app.send(Method::DELETE, &check_in, org, None, &current)
        .await
        .assert_problem(412);
    let r = app
        .send(Method::DELETE, &check_in, org, None, &[("if-match", "\"2\"")])
        .await;
    assert_eq!((r.status, r.header("etag")), (200, Some("\"3\"")), "{}", r.text);

    let cancel = format!("/api/v1/registrations/{reg_id}/cancel");
    app.send(Method::POST, &cancel, org, None, &current)
        .await
        .assert_problem(412);
    let r = app
        .send(Method::POST, &cancel, org, None, &[("if-match", "\"3\"")])
        .await;
    assert_eq!((r.status, r.header("etag")), (200, Some("\"4\"")), "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");

    let cancel_event = format!("/api/v1/events/{ev}/cancel");
    app.send(Method::POST, &cancel_event, org, None, &stale)
        .await
        .assert_problem(412);
    let version = app.get(&format!("/api/v1/events/{ev}")).await.body["version"].clone();
    let tag = format!("\"{version}\"");
    let r = app
        .send(Method::POST, &cancel_event, org, None, &[("if-match", tag.as_str())])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.header("etag").map(String::from),
        Some(format!("\"{}\"", r.body["version"]))
    );
    // Without the header the actions still work (no precondition).
    let ev2 = app.open_event(json!({})).await;
    let r = app
        .send(Method::POST, &format!("/api/v1/events/{ev2}/cancel"), org, None, &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn a_patch_racing_a_cancel_never_reverts_it() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "capacity": 100 })).await;
    let mut regs = Vec::new();
    for n in 0..30 {
        let r = app
            .register(
                &ev,
                json!({ "name": format!("Racer {n}"), "email": format!("racer{n}@example.cn") }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        regs.push(id(&r.body));
    }
    let org = Some(app.organiser.as_str());
    let paths: Vec<(String, String)> = regs
        .iter()
        .map(|r| {
            (
                format!("/api/v1/registrations/{r}"),
                format!("/api/v1/registrations/{r}/cancel"),
            )
        })
        .collect();
    let sends = paths.iter().flat_map(|(reg, cancel)| {
        [
            app.send(Method::PATCH, reg, org, Some(json!({ "notes": "VIP" })), &[]),
            app.send(Method::POST, cancel, org, None, &[]),
        ]
    });
    for answer in join_all(sends).await {
        // A PATCH that lost the race is told so; nothing fails on the server.
        assert!(matches!(answer.status, 200 | 409), "{}", answer.text);
    }
    for r in &regs {
        let reg = app.get(&format!("/api/v1/registrations/{r}")).await.body;
        assert_eq!(reg["status"], "cancelled", "a PATCH reverted a cancel: {reg}");
    }
    assert_eq!(app.counts(&ev).await.0, 0);
}

#[tokio::test]
async fn deleting_a_draft_racing_its_scheduling_is_never_a_server_error() {
    let app = spawn().await;
    let org = Some(app.organiser.as_str());
    for n in 0..40 {
        let ev = id(&app.event(json!({ "starts_at": "2030-03-04T14:00:00" })).await);
        let path = format!("/api/v1/events/{ev}");
        let schedule_and_register = async {
            let s = app
                .send(Method::PATCH, &path, org, Some(json!({ "status": "scheduled" })), &[])
                .await;
            let people =
                (0..4).map(|k| app.register(&ev, json!({ "name": "Racer", "email": format!("r{n}-{k}@example.cn") })));
            let registered: Vec<u16> = join_all(people).await.iter().map(|r| r.status).collect();
            (s.status, registered)
        };
        let deletes = join_all((0..2).map(|_| app.send(Method::DELETE, &path, org, None, &[])));
        let ((scheduled, registered), deleted) = futures_util::join!(schedule_and_register, deletes);
        for d in &deleted {
            assert!(matches!(d.status, 204 | 404 | 409), "{}", d.text);
        }
        assert!(matches!(scheduled, 200 | 404));
        assert!(
            registered.iter().all(|s| matches!(s, 201 | 404 | 409)),
            "{registered:?}"
        );
        if deleted.iter().any(|d| d.status == 204) {
            assert_eq!(app.get(&path).await.status, 404);
        }
    }
}
