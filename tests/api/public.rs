//! Public self-service: register by email (every answer alike, the manage link only in
//! the email), then view, cancel, register again and fetch the calendar with the link.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id, spawn, spawn_with, Resp, TestApp};
use crate::reminders::{calendar, emails, forum, kinds, set_clock, worker, Mail, Smtp};
use roadshow::mail::worker::Worker;

/// An app at 2030-02-01 00:00 UTC with an SMTP server and a worker delivering to it.
async fn with_mail() -> (TestApp, Smtp, Worker) {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let w = worker(&app, &smtp);
    set_clock(&app, 2030, 2, 1, 0, 0);
    (app, smtp, w)
}

/// The registrant whose address others resubmit.
fn li_na() -> Value {
    json!({ "name": "Li Na", "email": "li@example.cn", "language": "en" })
}

/// Registers anonymously at `event`.
async fn register(app: &TestApp, event: &str, body: Value) -> Resp {
    let url = format!("/api/v1/public/events/{event}/registrations");
    let r = app.send(Method::POST, &url, None, Some(body), &[]).await;
    assert!(!r.text.contains("rs_"), "an answer carried a manage token: {}", r.text);
    r
}

/// A public route on a manage link: `GET` when `action` is empty, else `POST …/action`.
async fn with_link(app: &TestApp, token: &str, action: &str) -> Resp {
    match action {
        "" => {
            let path = format!("/api/v1/public/registrations/{token}");
            app.send(Method::GET, &path, None, None, &[]).await
        }
        _ => {
            let path = format!("/api/v1/public/registrations/{token}/{action}");
            app.send(Method::POST, &path, None, None, &[]).await
        }
    }
}

/// What an answer says besides the echoed address: its status, its headers but those
/// that differ per request or with the address's length, and its body without `email`.
fn shape(r: &Resp) -> (u16, Vec<(String, String)>, Value) {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "date" | "x-request-id" | "content-length"))
        .map(|(k, v)| {
            // actix-cors lists its exposed headers in any order.
            let mut items: Vec<&str> = v.to_str().unwrap_or_default().split(", ").collect();
            items.sort();
            (k.to_string(), items.join(", "))
        })
        .collect();
    headers.sort();
    let mut body = r.body.clone();
    if let Some(o) = body.as_object_mut() {
        o.remove("email");
    }
    (r.status, headers, body)
}

/// The manage token in an email's text (the path segment after `/public/registrations/`).
fn token_in(text: &str) -> String {
    let marker = "/public/registrations/";
    let at = text.find(marker).unwrap_or_else(|| panic!("no manage link in {text}")) + marker.len();
    let token: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect();
    assert!(token.starts_with("rs_") && token.len() == 46, "{token}");
    token
}

/// The emails the SMTP server received for `address`, in order.
fn mails_to(smtp: &Smtp, address: &str) -> Vec<Mail> {
    smtp.messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.contains(address)))
        .collect()
}

/// The one registration of the event, as an organiser sees it.
async fn only_registration(app: &TestApp, event: &str, email: &str) -> Value {
    let list = app
        .get(&format!("/api/v1/events/{event}/registrations?q={email}"))
        .await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", list.text);
    items[0].clone()
}

#[tokio::test]
async fn every_answer_is_alike_and_the_manage_link_travels_only_by_email() {
    let (app, smtp, w) = with_mail().await;
    let ev = forum(&app, json!({ "capacity": 1, "public_registration": true })).await;
    let me = json!({ "name": "陈教授", "email": "chen@scu.edu.cn", "company_name": "四川大学", "language": "zh-CN" });

    let shown = app
        .send(Method::GET, &format!("/api/v1/public/events/{ev}"), None, None, &[])
        .await;
    assert_eq!(
        (shown.status, shown.body["venue"].as_str()),
        (200, Some("福州香格里拉大酒店"))
    );
    assert!(shown.body.get("registered_count").is_none());

    // A new address: 202, an answer made of the request alone, the link by email.
    let first = register(&app, &ev, me.clone()).await;
    assert_eq!(first.status, 202, "{}", first.text);
    let message = first.body["message"].clone();
    assert!(message.as_str().is_some_and(|m| m.contains("inbox")));
    assert_eq!(
        first.body,
        json!({ "status": "accepted", "event_id": ev, "email": "chen@scu.edu.cn", "message": message })
    );
    assert_eq!(first.header("location"), None);
    assert_eq!(first.header("etag"), None);
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let confirmation = mails_to(&smtp, "chen@scu.edu.cn").pop().unwrap();
    assert!(
        confirmation.subject.starts_with("【报名成功】"),
        "{}",
        confirmation.subject
    );
    let token = token_in(&confirmation.text);
    let mine = with_link(&app, &token, "").await;
    assert_eq!(
        (mine.status, &mine.body["status"]),
        (200, &json!("registered")),
        "{}",
        mine.text
    );
    assert_eq!(mine.body["email"], "chen@scu.edu.cn");
    assert_eq!(
        mine.body["event"]["starts_at"], "2030-03-04T14:00:00+08:00",
        "{}",
        mine.text
    );
    let reg_id = mine.body["id"].clone();

    // The same address again (another case, another name): the same answer, nothing
    // changes, and the registration's link goes to the address.
    let again = register(
        &app,
        &ev,
        json!({ "name": "Someone Else", "email": "CHEN@scu.edu.cn", "phone": "+1 555 0100" }),
    )
    .await;
    assert_eq!(shape(&again), shape(&first), "{}", again.text);
    assert_eq!(again.body["email"], "CHEN@scu.edu.cn", "the address as sent");
    let stored = only_registration(&app, &ev, "chen").await;
    assert_eq!(
        (&stored["id"], &stored["status"], &stored["version"]),
        (&reg_id, &json!("registered"), &json!(1))
    );
    assert_eq!(
        (&stored["contact"]["name"], &stored["contact"]["phone"]),
        (&json!("陈教授"), &json!(null))
    );
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let link_mail = mails_to(&smtp, "chen@scu.edu.cn").pop().unwrap();
    assert!(link_mail.subject.starts_with("【报名管理】"), "{}", link_mail.subject);
    assert!(link_mail.text.contains("报名没有任何变化"), "{}", link_mail.text);
    assert!(link_mail.text.contains("查看或取消报名"), "{}", link_mail.text);
    assert_eq!(calendar(&link_mail.ics).0, "REQUEST");
    let reissued = token_in(&link_mail.text);
    assert_ne!(reissued, token);
    for t in [&token, &reissued] {
        let r = with_link(&app, t, "").await;
        assert_eq!((r.status, &r.body["id"]), (200, &reg_id), "{}", r.text);
    }

    // Waitlisted: the same answer again, first and second time.
    let suzuki = json!({ "name": "鈴木", "email": "suzuki@asahi.jp", "language": "ja" });
    let waiting = register(&app, &ev, suzuki.clone()).await;
    assert_eq!(shape(&waiting), shape(&first), "{}", waiting.text);
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let theirs = token_in(&mails_to(&smtp, "suzuki@asahi.jp").pop().unwrap().text);
    let view = with_link(&app, &theirs, "").await;
    assert_eq!(view.body["waitlist_position"], 1, "{}", view.text);
    assert!(!view.text.contains("chen"), "{}", view.text);
    let waiting_again = register(&app, &ev, suzuki).await;
    assert_eq!(shape(&waiting_again), shape(&first));
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let ja = mails_to(&smtp, "suzuki@asahi.jp").pop().unwrap();
    assert!(ja.subject.starts_with("【登録の管理】"), "{}", ja.subject);
    assert!(ja.text.contains("ご登録に変更はありません"), "{}", ja.text);
    assert_eq!(app.counts(&ev).await, (1, 1, 0, Some(0)));

    // Calendar, cancel (twice: idempotent); the waitlisted attendee gets the seat.
    let ics = app
        .send(
            Method::GET,
            &format!("/api/v1/public/registrations/{token}/calendar.ics"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(ics.status, 200);
    assert!(ics.text.contains("BEGIN:VEVENT") && ics.text.contains("DTSTART;TZID=Asia/Shanghai:20300304T140000"));
    for _ in 0..2 {
        let cancelled = with_link(&app, &reissued, "cancel").await;
        assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.text);
    }
    assert_eq!(with_link(&app, &theirs, "").await.body["status"], "registered");
    assert_eq!(w.deliver_due().await.unwrap().sent, 1, "the promotion");

    // Cancelled: the same answer; it is not re-activated, and (once the last link email
    // is ten minutes old) a link to register again goes to the address.
    let back = register(&app, &ev, me.clone()).await;
    assert_eq!(shape(&back), shape(&first), "{}", back.text);
    assert_eq!(w.deliver_due().await.unwrap().sent, 0, "a link went out minutes ago");
    set_clock(&app, 2030, 2, 1, 0, 11);
    let back = register(&app, &ev, me.clone()).await;
    assert_eq!(shape(&back), shape(&first), "{}", back.text);
    assert_eq!(only_registration(&app, &ev, "chen").await["status"], "cancelled");
    assert_eq!(app.counts(&ev).await, (1, 0, 0, Some(0)));
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let renew = mails_to(&smtp, "chen@scu.edu.cn").pop().unwrap();
    assert!(renew.subject.starts_with("【报名管理】"), "{}", renew.subject);
    assert!(
        renew.text.contains("该报名已取消") && renew.text.contains("查看报名或重新报名"),
        "{}",
        renew.text
    );
    assert_eq!(
        calendar(&renew.ics).0,
        "CANCEL",
        "the calendar entry goes with the registration"
    );
    let renewal = token_in(&renew.text);
    assert_eq!(with_link(&app, &renewal, "").await.body["status"], "cancelled");

    // The link's holder registers again: the seat is taken, so the waitlist.
    let r = with_link(&app, &renewal, "reactivate").await;
    assert_eq!(
        (r.status, &r.body["status"], &r.body["waitlist_position"]),
        (200, &json!("waitlisted"), &json!(1)),
        "{}",
        r.text
    );
    assert_eq!(r.body["id"], reg_id);
    assert_eq!(
        with_link(&app, &renewal, "reactivate").await.body["status"],
        "waitlisted"
    );
    assert_eq!(app.counts(&ev).await, (1, 1, 0, Some(0)));
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let note = mails_to(&smtp, "chen@scu.edu.cn").pop().unwrap();
    assert!(note.subject.starts_with("【候补登记】"), "{}", note.subject);
    assert_eq!(token_in(&note.text), renewal, "the link used is the one mailed");
    // Every link mailed still names the registration.
    for t in [&token, &renewal] {
        assert_eq!(with_link(&app, t, "").await.body["id"], reg_id);
    }

    // Cancelled again, and the organiser closes self-service: re-activation is refused.
    assert_eq!(with_link(&app, &renewal, "cancel").await.status, 200);
    let r = app
        .patch(&format!("/api/v1/events/{ev}"), json!({ "public_registration": false }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    with_link(&app, &renewal, "reactivate").await.assert_problem(409);
    with_link(&app, "rs_unknown", "").await.assert_problem(404);
    with_link(&app, &format!("rs_{}", "A".repeat(43)), "reactivate")
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn resubmitting_someones_address_never_cuts_them_off_nor_fills_their_inbox() {
    let (app, smtp, w) = with_mail().await;
    let ev = forum(&app, json!({ "public_registration": true })).await;
    let li = li_na();
    assert_eq!(register(&app, &ev, li.clone()).await.status, 202);
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let confirmation = mails_to(&smtp, "li@example.cn").pop().unwrap();
    let first = token_in(&confirmation.text);
    let link = format!("https://roadshow.test/api/v1/public/registrations/{first}");
    assert!(confirmation.text.contains(&link), "{}", confirmation.text);
    // In HTML the link is entity-escaped (`/` as `&#x2f;`), which browsers read back.
    assert!(
        confirmation.html.contains(&format!("&#x2f;registrations&#x2f;{first}")),
        "{}",
        confirmation.html
    );

    // Three more tries within minutes: one email.
    for minute in [1, 2, 9] {
        set_clock(&app, 2030, 2, 1, 0, minute);
        let r = register(&app, &ev, json!({ "name": "Mallory", "email": "li@example.cn" })).await;
        assert_eq!(r.status, 202, "{}", r.text);
        w.deliver_due().await.unwrap();
    }
    let mails = mails_to(&smtp, "li@example.cn");
    assert_eq!(mails.len(), 2, "{mails:?}");
    let link_mail = &mails[1];
    assert!(
        link_mail.subject.starts_with("Manage your registration: "),
        "{}",
        link_mail.subject
    );
    assert!(
        link_mail.text.contains("Dear Li Na") && !link_mail.text.contains("Mallory"),
        "the stored name, never the typed one: {}",
        link_mail.text
    );
    assert!(link_mail.text.contains("Nothing has changed"), "{}", link_mail.text);
    assert!(
        link_mail.text.contains("If you did not ask for this"),
        "{}",
        link_mail.text
    );
    let second = token_in(&link_mail.text);

    // Later, another: it replaces the previous re-sent link, never the first one.
    set_clock(&app, 2030, 2, 1, 0, 12);
    assert_eq!(register(&app, &ev, li).await.status, 202);
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let third = token_in(&mails_to(&smtp, "li@example.cn").pop().unwrap().text);
    assert_eq!(
        with_link(&app, &first, "").await.status,
        200,
        "the first link keeps working"
    );
    with_link(&app, &second, "").await.assert_problem(404);
    assert_eq!(with_link(&app, &third, "").await.status, 200);
    let reg = with_link(&app, &first, "").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        kinds(&emails(&app, &format!("/api/v1/registrations/{reg}/emails?kind=manage_link")).await),
        vec!["manage_link:sent", "manage_link:sent"]
    );

    // The week-before reminder shows the first link too; once sent, the outbox forgets it.
    set_clock(&app, 2030, 2, 25, 6, 0);
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    assert!(mails_to(&smtp, "li@example.cn").pop().unwrap().text.contains(&link));
}

#[tokio::test]
async fn a_link_still_waiting_to_be_sent_is_never_replaced() {
    let (app, smtp, w) = with_mail().await;
    let ev = forum(&app, json!({ "public_registration": true })).await;
    let li = li_na();
    assert_eq!(register(&app, &ev, li.clone()).await.status, 202);
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    // A re-sent link waits while the worker is down; twenty minutes later the form
    // is sent again: the waiting email's link must not be voided by a newer one.
    set_clock(&app, 2030, 2, 1, 0, 5);
    assert_eq!(register(&app, &ev, li.clone()).await.status, 202);
    set_clock(&app, 2030, 2, 1, 0, 25);
    assert_eq!(register(&app, &ev, li).await.status, 202);
    assert_eq!(w.deliver_due().await.unwrap().sent, 1, "one link email, not two");
    let link_mail = mails_to(&smtp, "li@example.cn").pop().unwrap();
    assert!(
        link_mail.subject.starts_with("Manage your registration: "),
        "{}",
        link_mail.subject
    );
    let token = token_in(&link_mail.text);
    assert_eq!(with_link(&app, &token, "").await.status, 200, "the mailed link works");
}

#[tokio::test]
async fn one_contact_gets_at_most_five_link_emails_an_hour_over_all_events() {
    let (app, _smtp, w) = with_mail().await;
    let li = li_na();
    let mut events = Vec::new();
    for _ in 0..6 {
        let ev = forum(&app, json!({ "public_registration": true })).await;
        assert_eq!(register(&app, &ev, li.clone()).await.status, 202);
        events.push(ev);
    }
    assert_eq!(w.deliver_due().await.unwrap().sent, 6, "six confirmations");
    // Someone sends her address to all six forms: five links, and the sixth answer
    // is the same 202 with no email.
    set_clock(&app, 2030, 2, 1, 0, 1);
    for ev in &events {
        assert_eq!(register(&app, ev, li.clone()).await.status, 202);
    }
    assert_eq!(w.deliver_due().await.unwrap().sent, 5);
    // An hour later the allowance is back.
    set_clock(&app, 2030, 2, 1, 1, 2);
    assert_eq!(register(&app, &events[5], li).await.status, 202);
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
}

#[tokio::test]
async fn an_organisers_registration_gets_its_first_link_by_email() {
    let (app, smtp, w) = with_mail().await;
    let ev = forum(&app, json!({ "public_registration": true })).await;
    let made = app
        .register(
            &ev,
            json!({ "name": "王伟", "email": "wang.wei@toray.cn", "language": "en" }),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    assert!(
        !mails_to(&smtp, "wang.wei@")
            .pop()
            .unwrap()
            .text
            .contains("/public/registrations/"),
        "an organiser's registration has no link yet"
    );

    let stranger = register(&app, &ev, json!({ "name": "New Person", "email": "new@toray.cn" })).await;
    let known = register(&app, &ev, json!({ "name": "Mallory", "email": "wang.wei@toray.cn" })).await;
    assert_eq!(shape(&known), shape(&stranger), "{}", known.text);
    assert!(!known.text.contains("王伟"), "{}", known.text);
    w.deliver_due().await.unwrap();
    let mail = mails_to(&smtp, "wang.wei@").pop().unwrap();
    assert!(
        mail.subject.starts_with("Manage your registration: "),
        "{}",
        mail.subject
    );
    let view = with_link(&app, &token_in(&mail.text), "").await;
    assert_eq!(
        (&view.body["id"], &view.body["name"]),
        (&made.body["id"], &json!("王伟")),
        "the organiser's record, to its owner: {}",
        view.text
    );
}

#[tokio::test]
async fn refusals_are_the_same_whatever_the_address() {
    let app = spawn().await;
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = app
        .open_event(json!({ "public_registration": true, "registration_closes_at": "2030-02-10T00:00:00" }))
        .await;
    let known = json!({ "name": "Known", "email": "known@example.cn" });
    assert_eq!(register(&app, &ev, known).await.status, 202);

    // Invalid input is judged before anything is looked up.
    let bad_known = register(&app, &ev, json!({ "name": " ", "email": "known@example.cn" })).await;
    let bad_new = register(&app, &ev, json!({ "name": " ", "email": "new@example.cn" })).await;
    bad_known.assert_problem(422);
    assert_eq!(bad_known.body, bad_new.body);

    // Closed: the same 409 for both.
    set_clock(&app, 2030, 2, 11, 0, 0);
    let closed_known = register(&app, &ev, json!({ "name": "Known", "email": "known@example.cn" })).await;
    let closed_new = register(&app, &ev, json!({ "name": "New", "email": "new@example.cn" })).await;
    closed_known.assert_problem(409);
    assert_eq!(closed_known.body, closed_new.body);

    // Started: no email could go out, so nobody registers.
    let started = app.open_event(json!({ "public_registration": true })).await;
    set_clock(&app, 2030, 2, 1, 0, 0);
    assert_eq!(
        register(&app, &started, json!({ "name": "K", "email": "known@example.cn" }))
            .await
            .status,
        202
    );
    set_clock(&app, 2030, 3, 4, 6, 0);
    let a = register(&app, &started, json!({ "name": "K", "email": "known@example.cn" })).await;
    let b = register(&app, &started, json!({ "name": "N", "email": "new@example.cn" })).await;
    a.assert_problem(409);
    assert_eq!(a.body, b.body);
    assert!(a.body["detail"].as_str().unwrap().contains("started"), "{}", a.text);
}

#[tokio::test]
async fn concurrent_registrations_with_one_new_address_make_one_registration() {
    let app = spawn().await;
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = app
        .open_event(json!({ "capacity": 3, "public_registration": true }))
        .await;
    let body = json!({ "name": "Racer", "email": "racer@example.cn" });
    // An Idempotency-Key changes nothing here: every answer is the same anyway.
    let key = [("idempotency-key", "k1")];
    let url = format!("/api/v1/public/events/{ev}/registrations");
    let answers = join_all((0..8).map(|i| {
        let headers: &[(&str, &str)] = if i % 2 == 0 { &key } else { &[] };
        app.send(Method::POST, &url, None, Some(body.clone()), headers)
    }))
    .await;
    for a in &answers {
        assert_eq!(shape(a), shape(&answers[0]), "{}", a.text);
        assert_eq!(a.status, 202, "{}", a.text);
    }
    assert_eq!(only_registration(&app, &ev, "racer").await["status"], "registered");
    assert_eq!(app.counts(&ev).await, (1, 0, 0, Some(2)));
}

#[tokio::test]
async fn events_without_public_registration_reveal_nothing() {
    let app = spawn().await;
    let private = app.open_event(json!({})).await;
    let body = json!({ "name": "x", "email": "x@y.cn" });
    register(&app, &private, body.clone()).await.assert_problem(404);
    app.send(
        Method::GET,
        &format!("/api/v1/public/events/{private}"),
        None,
        None,
        &[],
    )
    .await
    .assert_problem(404);
    let missing = uuid::Uuid::new_v4().to_string();
    let unknown = register(&app, &missing, body.clone()).await;
    unknown.assert_problem(404);
    let private_answer = register(&app, &private, body.clone()).await;
    assert_eq!(private_answer.body["detail"], unknown.body["detail"]);
    let draft = id(&app.event(json!({ "public_registration": true })).await);
    register(&app, &draft, body).await.assert_problem(409);
    let open = app.open_event(json!({ "public_registration": true })).await;
    let r = register(&app, &open, json!({ "name": "x", "email": "nope", "role": "host" })).await;
    r.assert_problem(422);
}

#[tokio::test]
async fn public_routes_are_rate_limited_per_client() {
    let app = spawn_with(|s| s.rate_limit.public_per_minute = 3).await;
    let url = format!("/api/v1/public/events/{}", uuid::Uuid::new_v4());
    for _ in 0..3 {
        assert_eq!(app.send(Method::GET, &url, None, None, &[]).await.status, 404);
    }
    let limited = app.send(Method::GET, &url, None, None, &[]).await;
    limited.assert_problem(429);
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    // Organiser routes are not limited.
    assert_eq!(app.get("/api/v1/events").await.status, 200);
}
