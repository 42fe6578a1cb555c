//! Daily follow-up digests end to end: planned at 08:30 in each team's zone by the mail
//! worker's rounds, once per team and day however many workers plan, delivered through
//! real SMTP, and listing exactly the team's overdue and due-today intentions.

use chrono::{TimeZone, Utc};
use reqwest::Method;
use roadshow::db::Database;
use roadshow::digests::queries;
use roadshow::digests::service::Planned;
use serde_json::{json, Value};

use crate::helpers::{id, spawn, TestApp};
use crate::reminders::{set_clock, worker_on, Smtp};

async fn team(app: &TestApp, name: &str, timezone: &str, email: Option<&str>) -> String {
    let r = app
        .send(
            Method::POST,
            "/api/v1/teams",
            Some(&app.admin),
            Some(json!({ "name": name, "timezone": timezone, "email": email })),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    id(&r.body)
}

async fn company(app: &TestApp, name: &str) -> String {
    let r = app.post("/api/v1/companies", json!({ "name": name })).await;
    assert_eq!(r.status, 201, "{}", r.text);
    id(&r.body)
}

async fn intention(app: &TestApp, company: &str, team: &str, project: &str, on: &str, extra: Value) {
    let mut body = json!({ "company_id": company, "owner_team_id": team, "project_name": project,
                           "next_follow_up_on": on });
    crate::helpers::merge(&mut body, extra);
    let r = app.post("/api/v1/intentions", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

fn planned(days: usize, emails: usize) -> Planned {
    Planned { days, emails }
}

/// Shanghai's 招商一处 and Los Angeles' 招商五处 (both with an address), 招商二处 without
/// one; intentions overdue, due, later, landed and dropped.
async fn pipeline(app: &TestApp) -> (String, String) {
    let sh = team(app, "招商一处", "Asia/Shanghai", Some("div1@example.cn")).await;
    let la = team(app, "招商五处", "America/Los_Angeles", Some("div5@example.com")).await;
    let quiet = team(app, "招商二处", "Asia/Shanghai", None).await;
    team(app, "招商三处", "Asia/Shanghai", Some("div3@example.cn")).await; // nothing to follow up
    let yr = company(app, "永荣锦江").await;
    let toray = company(app, "东丽").await;
    intention(
        app,
        &yr,
        &sh,
        "高端聚酰胺项目",
        "2030-03-02",
        json!({ "stage": "negotiating" }),
    )
    .await;
    intention(
        app,
        &toray,
        &sh,
        "功能膜材料项目",
        "2030-03-05",
        json!({ "stage": "engaged" }),
    )
    .await;
    intention(app, &toray, &sh, "下周再谈项目", "2030-03-06", json!({})).await;
    intention(app, &yr, &sh, "已落地项目", "2030-03-01", json!({ "stage": "landed" })).await;
    intention(
        app,
        &yr,
        &sh,
        "已放弃项目",
        "2030-03-01",
        json!({ "stage": "dropped", "dropped_reason": "资金不足" }),
    )
    .await;
    intention(
        app,
        &toray,
        &la,
        "West Coast membranes",
        "2030-03-03",
        json!({ "stage": "assessing" }),
    )
    .await;
    intention(app, &yr, &quiet, "无人接收项目", "2030-03-01", json!({})).await;
    (sh, la)
}

#[tokio::test]
async fn each_team_gets_one_digest_a_day_at_half_past_eight_in_its_zone() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let w = worker_on(&app, app.database.clone(), smtp.port, "digest-worker");
    pipeline(&app).await;

    // 16:10 UTC on 4 March: 00:10 on the 5th in Shanghai, 08:10 on the 4th in Los Angeles.
    set_clock(&app, 2030, 3, 4, 16, 10);
    assert_eq!(
        w.plan_digests().await.unwrap(),
        Planned::default(),
        "before 08:30 everywhere"
    );

    // 08:31 in Los Angeles: its digest; Shanghai's day is still young.
    set_clock(&app, 2030, 3, 4, 16, 31);
    assert_eq!(w.plan_digests().await.unwrap(), planned(1, 1));
    assert_eq!(w.plan_digests().await.unwrap(), Planned::default(), "once a day");
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["div5@example.com"]);
    assert_eq!(
        mails[0].subject,
        "【跟进提醒】招商五处 · 3月4日 · 逾期 1 项 · 今日到期 0 项"
    );
    assert!(
        mails[0].text.contains("【逾期 1 天】West Coast membranes"),
        "{}",
        mails[0].text
    );

    // 08:30 in Shanghai on the 5th: 招商一处 gets one, 招商三处 (nothing due) and 招商二处
    // (no address) none; Los Angeles has had its day.
    set_clock(&app, 2030, 3, 5, 0, 30);
    assert_eq!(w.plan_digests().await.unwrap(), planned(2, 1));
    assert_eq!(w.plan_digests().await.unwrap(), Planned::default());
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let mails = smtp.messages();
    assert_eq!(mails.len(), 2);
    let sh = &mails[1];
    assert_eq!(sh.to, vec!["div1@example.cn"]);
    assert_eq!(sh.subject, "【跟进提醒】招商一处 · 3月5日 · 逾期 1 项 · 今日到期 1 项");
    assert!(sh.text.contains("2030年3月5日（星期二）"), "{}", sh.text);
    assert!(sh.text.contains("【逾期 3 天】高端聚酰胺项目"), "{}", sh.text);
    assert!(
        sh.text.contains("企业：永荣锦江 · 阶段：洽谈 · 跟进日期：2030-03-02"),
        "{}",
        sh.text
    );
    assert!(sh.text.contains("【今日到期】功能膜材料项目"), "{}", sh.text);
    for absent in ["下周再谈项目", "已落地项目", "已放弃项目", "无人接收项目", "West Coast"] {
        assert!(
            !sh.text.contains(absent) && !sh.html.contains(absent),
            "{absent}: {}",
            sh.text
        );
    }
    assert!(sh.html.contains("<td>功能膜材料项目</td>"), "{}", sh.html);
    assert!(
        sh.headers["content-type"].starts_with("multipart/alternative"),
        "{:?}",
        sh.headers
    );
    assert!(sh.ics.is_empty() && !sh.headers.contains_key("list-unsubscribe"));

    // The next day: a new digest each, with yesterday's due-today now overdue.
    set_clock(&app, 2030, 3, 6, 0, 31);
    assert_eq!(
        w.plan_digests().await.unwrap(),
        planned(3, 2),
        "Shanghai's two, Los Angeles' 5 March"
    );
    assert_eq!(w.deliver_due().await.unwrap().sent, 2);
    let mails = smtp.messages();
    let sh = mails.iter().rfind(|m| m.to[0] == "div1@example.cn").unwrap();
    assert_eq!(sh.subject, "【跟进提醒】招商一处 · 3月6日 · 逾期 2 项 · 今日到期 1 项");
    assert!(sh.text.contains("【逾期 1 天】功能膜材料项目") && sh.text.contains("【今日到期】下周再谈项目"));
    assert_eq!(mails.iter().filter(|m| m.to[0] == "div1@example.cn").count(), 2);
    assert_eq!(mails.iter().filter(|m| m.to[0] == "div5@example.com").count(), 2);
}

#[tokio::test]
async fn two_workers_planning_at_once_make_one_digest_per_team() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let (sh, _) = pipeline(&app).await;
    // Two workers on their own connections, as two replicas would be.
    let other = Database::open(app.db_url(), 2).expect("open database");
    let a = worker_on(&app, app.database.clone(), smtp.port, "replica-a");
    let b = worker_on(&app, other, smtp.port, "replica-b");
    // 08:30 on 5 March in Shanghai, 16:30 on the 4th in Los Angeles: both due.
    set_clock(&app, 2030, 3, 5, 0, 30);
    let mut queued = 0;
    for _ in 0..3 {
        let (x, y) = tokio::join!(a.plan_digests(), b.plan_digests());
        queued += x.unwrap().emails + y.unwrap().emails;
    }
    assert_eq!(queued, 2);
    let (x, y) = tokio::join!(a.deliver_due(), b.deliver_due());
    assert_eq!(x.unwrap().sent + y.unwrap().sent, 2);
    let mut to: Vec<String> = smtp.messages().into_iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    assert_eq!(to, vec!["div1@example.cn", "div5@example.com"]);

    // The key itself: claiming a day already planned answers false without an error,
    // and the transaction goes on (PostgreSQL would abort it on a unique violation).
    let day = chrono::NaiveDate::from_ymd_opt(2030, 3, 5).unwrap();
    let now = app.clock.now();
    let (claimed, counts) = app
        .database
        .write_blocking(|c| {
            let claimed = queries::claim_day(c, &sh, day, 2, now)?;
            Ok::<_, roadshow::error::Error>((claimed, queries::counts(c, &sh, day)?))
        })
        .unwrap();
    assert_eq!((claimed, counts), (false, (1, 1)));
}

#[tokio::test]
async fn a_digest_whose_team_lost_its_address_or_its_day_is_not_sent() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let w = worker_on(&app, app.database.clone(), smtp.port, "digest-worker");
    let (sh, _) = pipeline(&app).await;
    set_clock(&app, 2030, 3, 5, 0, 30);
    assert_eq!(w.plan_digests().await.unwrap().emails, 2);
    let r = app
        .send(
            Method::PATCH,
            &format!("/api/v1/teams/{sh}"),
            Some(&app.admin),
            Some(json!({ "email": null })),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Los Angeles' digest (for 4 March) waited past its day's end: dropped too.
    app.clock.set(Utc.with_ymd_and_hms(2030, 3, 5, 8, 1, 0).unwrap());
    let report = w.deliver_due().await.unwrap();
    assert_eq!((report.sent, report.cancelled), (0, 2), "{report:?}");
    assert!(smtp.messages().is_empty());
    // A digest has no registration to preview it for.
    let r = app
        .get("/api/v1/emails/preview?registration_id=00000000-0000-4000-8000-000000000000&kind=digest")
        .await;
    r.assert_problem(422);
    assert_eq!(r.error_fields(), vec!["kind"]);
}

#[tokio::test]
async fn an_email_that_cannot_be_written_fails_alone_and_the_rest_go_out() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let w = worker_on(&app, app.database.clone(), smtp.port, "digest-worker");
    let (sh, _) = pipeline(&app).await;
    // Shanghai's day (5 March) and Los Angeles' (4 March) at once.
    set_clock(&app, 2030, 3, 5, 0, 30);
    assert_eq!(w.plan_digests().await.unwrap().emails, 2);
    // Shanghai's digest loses what it lists (as if its record were damaged).
    app.raw_sql(&format!("DELETE FROM team_digests WHERE team_id = '{sh}'"));
    let report = w.deliver_due().await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 1), "{report:?}");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["div5@example.com"]);
    // The broken one is failed with its reason, not retried every round.
    let report = w.deliver_due().await.unwrap();
    assert_eq!(report, Default::default());
}
