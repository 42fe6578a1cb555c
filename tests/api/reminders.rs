//! Reminder emails end to end: planned by the API, delivered by a worker through real
//! SMTP to a server started in-process on a loopback port, read back and parsed.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use mailin_embedded::{response, Handler, Response, Server, SslConfig};
use reqwest::Method;
use roadshow::config::{MailTransport, SmtpTls};
use roadshow::db::Database;
use roadshow::mail::worker::{Report, Worker};
use roadshow::mail::Mailer;
use serde_json::{json, Value};

use crate::helpers::{id, spawn, Running, TestApp};

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) to: Vec<String>,
    pub(crate) raw: Vec<u8>,
}

/// The SMTP server's session handler: keeps every message, refuses listed recipients
/// with 550, and waits `delay` after keeping a message before it answers.
#[derive(Clone)]
struct Sink {
    inbox: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<Vec<String>>,
    delay: Duration,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Sink {
    fn rcpt(&mut self, to: &str) -> Response {
        if self.refuse.iter().any(|r| to.contains(r.as_str())) {
            return response::NO_MAILBOX;
        }
        self.to.push(to.to_string());
        response::OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = Received {
            to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.data),
        };
        self.inbox.lock().unwrap().push(message);
        // Kept before the answer: a client that dies meanwhile never learns it was accepted.
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        response::OK
    }
}

/// A real SMTP server on a loopback port (the public self-service tests use it too).
pub(crate) struct Smtp {
    pub(crate) port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl Smtp {
    /// Starts a server on a free port.
    pub(crate) fn start(refuse: &[&str]) -> Smtp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        Smtp::on(listener, refuse)
    }

    /// Starts a server on a free port that takes `delay` to answer each message.
    fn slow(delay: Duration) -> Smtp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        Smtp::serve(listener, &[], delay)
    }

    /// Starts a server on `listener`.
    fn on(listener: TcpListener, refuse: &[&str]) -> Smtp {
        Smtp::serve(listener, refuse, Duration::ZERO)
    }

    fn serve(listener: TcpListener, refuse: &[&str], delay: Duration) -> Smtp {
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink {
            inbox: inbox.clone(),
            refuse: Arc::new(refuse.iter().map(|s| s.to_string()).collect()),
            delay,
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = Server::new(sink);
        server
            .with_name("sink.test")
            .with_num_threads(8)
            .with_ssl(SslConfig::None)
            .unwrap()
            .with_tcp_listener(listener);
        // Runs until the test process ends.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Smtp { port, inbox }
    }

    pub(crate) fn messages(&self) -> Vec<Mail> {
        self.inbox.lock().unwrap().iter().map(Mail::parse).collect()
    }

    fn count(&self) -> usize {
        self.inbox.lock().unwrap().len()
    }
}

/// A received message, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub(crate) to: Vec<String>,
    pub(crate) subject: String,
    pub(crate) message_id: String,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) text: String,
    pub(crate) html: String,
    pub(crate) ics: String,
}

impl Mail {
    pub(crate) fn parse(r: &Received) -> Mail {
        use mailparse::MailHeaderMap;
        let parsed = mailparse::parse_mail(&r.raw).expect("a parseable message");
        let mut parts = (String::new(), String::new(), String::new());
        collect(&parsed, &mut parts);
        let headers = parsed
            .get_headers()
            .into_iter()
            .map(|h| (h.get_key().to_lowercase(), h.get_value()))
            .collect();
        Mail {
            to: r.to.clone(),
            subject: parsed.get_headers().get_first_value("Subject").unwrap_or_default(),
            message_id: parsed.get_headers().get_first_value("Message-ID").unwrap_or_default(),
            headers,
            text: parts.0,
            html: parts.1,
            ics: parts.2,
        }
    }
}

fn collect(part: &mailparse::ParsedMail, out: &mut (String, String, String)) {
    match part.ctype.mimetype.as_str() {
        "text/plain" => out.0 = part.get_body().unwrap(),
        "text/html" => out.1 = part.get_body().unwrap(),
        "text/calendar" => out.2 = part.get_body().unwrap(),
        _ => {}
    }
    for sub in &part.subparts {
        collect(sub, out);
    }
}

/// A worker on the app's database that sends through SMTP on `port`.
pub(crate) fn worker_on(app: &TestApp, db: Database, port: u16, owner: &str) -> Worker {
    worker_with(app, db, port, owner, |_| {})
}

/// [`worker_on`] with its settings changed by `tweak`.
pub(crate) fn worker_with(
    app: &TestApp,
    db: Database,
    port: u16,
    owner: &str,
    tweak: impl FnOnce(&mut roadshow::config::Settings),
) -> Worker {
    let mut settings = (*app.settings).clone();
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp.host = "127.0.0.1".into();
    settings.mail.smtp.port = port;
    settings.mail.smtp.tls = SmtpTls::None;
    settings.mail.smtp.timeout_secs = 5;
    settings.server.public_base_url = "https://roadshow.test".into();
    tweak(&mut settings);
    let mailer = Mailer::new(&settings.mail).unwrap();
    Worker::new(db, mailer, app.clock.clone(), Arc::new(settings), owner)
}

pub(crate) fn worker(app: &TestApp, smtp: &Smtp) -> Worker {
    worker_on(app, app.database.clone(), smtp.port, "test-worker")
}

/// Sets the app's clock to a UTC time.
pub(crate) fn set_clock(app: &TestApp, y: i32, m: u32, d: u32, h: u32, min: u32) {
    app.clock.set(Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap());
}

pub(crate) async fn emails(app: &TestApp, path: &str) -> Vec<Value> {
    let r = app.get(path).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

pub(crate) fn kinds(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|e| match e["rule"].as_str() {
            Some(rule) => format!(
                "{}:{}:{}",
                e["kind"].as_str().unwrap(),
                rule,
                e["status"].as_str().unwrap()
            ),
            None => format!("{}:{}", e["kind"].as_str().unwrap(), e["status"].as_str().unwrap()),
        })
        .collect()
}

fn attendee(name: &str, email: &str, language: &str, timezone: Option<&str>) -> Value {
    json!({ "name": name, "email": email, "language": language, "timezone": timezone })
}

/// The Fuzhou forum on 4 March 2030, 14:00 in Shanghai (06:00 UTC).
pub(crate) async fn forum(app: &TestApp, fields: Value) -> String {
    let mut body = json!({ "venue": "福州香格里拉大酒店", "address": "福州市鼓楼区新权路9号" });
    crate::helpers::merge(&mut body, fields);
    app.open_event(body).await
}

/// Parses an .ics text and answers its METHOD and the event's SEQUENCE and UID.
pub(crate) fn calendar(ics: &str) -> (String, String, String) {
    let unfolded = icalendar::parser::unfold(ics);
    let cal = icalendar::parser::read_calendar(&unfolded).expect("a parseable calendar");
    let prop = |props: &[icalendar::parser::Property], name: &str| {
        props
            .iter()
            .find(|p| p.name.as_str() == name)
            .map(|p| p.val.as_str().to_string())
            .unwrap_or_default()
    };
    let event = cal
        .components
        .iter()
        .find(|c| c.name.as_str() == "VEVENT")
        .expect("a VEVENT");
    (
        prop(&cal.properties, "METHOD"),
        prop(&event.properties, "SEQUENCE"),
        prop(&event.properties, "UID"),
    )
}

#[tokio::test]
async fn confirmations_and_reminders_arrive_once_in_the_readers_language_and_zones() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let w = worker(&app, &smtp);
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    let ja = app
        .register(
            &ev,
            attendee("山田太郎", "yamada@toray.co.jp", "ja", Some("Asia/Tokyo")),
        )
        .await;
    assert_eq!(ja.status, 201, "{}", ja.text);
    let zh = app
        .register(&ev, attendee("王伟", "wang@example.cn", "zh-CN", None))
        .await;
    let reg = id(&ja.body);
    assert_eq!(
        kinds(&emails(&app, &format!("/api/v1/registrations/{reg}/emails")).await),
        vec![
            "confirmation:pending",
            "reminder:P7D:pending",
            "reminder:P1D:pending",
            "reminder:PT2H:pending"
        ]
    );

    let report = w.deliver_due().await.unwrap();
    assert_eq!(report.sent, 2, "{report:?}");
    assert_eq!(
        w.deliver_due().await.unwrap(),
        Report::default(),
        "nothing is sent twice"
    );
    let mails = smtp.messages();
    assert_eq!(mails.len(), 2);
    let to_ja = mails.iter().find(|m| m.to[0].contains("yamada")).unwrap();
    assert_eq!(
        to_ja.subject,
        "【参加登録完了】高端聚酰胺产业机遇座谈会 · 3月4日 14:00 · 福州"
    );
    assert!(
        to_ja
            .text
            .contains("2030年3月4日（月）14:00（Asia/Shanghai、UTC+08:00）"),
        "{}",
        to_ja.text
    );
    assert!(to_ja.text.contains("15:00（Asia/Tokyo、UTC+09:00）"), "{}", to_ja.text);
    assert!(to_ja.text.contains("福州香格里拉大酒店") && to_ja.html.contains("新权路9号"));
    let (method, sequence, uid) = calendar(&to_ja.ics);
    assert_eq!((method.as_str(), sequence.as_str()), ("REQUEST", "0"));
    assert_eq!(uid, format!("{ev}@roadshow"));
    let to_zh = mails.iter().find(|m| m.to[0].contains("wang")).unwrap();
    assert!(to_zh.subject.starts_with("【报名成功】"), "{}", to_zh.subject);
    assert!(!to_zh.text.contains("您所在时区"), "one zone only: {}", to_zh.text);

    // The listed email names the Message-ID it went out with.
    let listed = emails(&app, &format!("/api/v1/registrations/{reg}/emails?status=sent")).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["message_id"], to_ja.message_id.as_str());
    assert_eq!(listed[0]["attempts"], 1);
    assert!(listed[0]["sent_at"].as_str().unwrap().ends_with("+08:00"));

    // A week before, 14:00 Shanghai time: the first reminder, once per attendee.
    set_clock(&app, 2030, 2, 25, 5, 59);
    assert_eq!(w.deliver_due().await.unwrap().sent, 0, "not due yet");
    set_clock(&app, 2030, 2, 25, 6, 0);
    assert_eq!(w.deliver_due().await.unwrap().sent, 2);
    let mails = smtp.messages();
    let reminder = mails
        .iter()
        .find(|m| m.to[0].contains("wang") && m.subject.contains("提醒"))
        .unwrap();
    assert_eq!(
        reminder.subject,
        "【活动提醒】高端聚酰胺产业机遇座谈会 · 3月4日 14:00 · 福州"
    );
    assert!(reminder.headers["list-unsubscribe"].starts_with("<https://roadshow.test/api/v1/public/unsubscribe/"));
    assert_eq!(reminder.headers["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
    assert_eq!(zh.status, 201);
    let ev_emails = emails(&app, &format!("/api/v1/events/{ev}/emails?kind=reminder&status=sent")).await;
    assert_eq!(ev_emails.len(), 2);
    app.get(&format!("/api/v1/events/{ev}/emails?status=lost"))
        .await
        .assert_problem(422);
}

#[tokio::test]
async fn a_late_registration_gets_only_the_reminders_still_ahead() {
    let app = spawn().await;
    set_clock(&app, 2030, 3, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    let r = app.register(&ev, attendee("Li Na", "li@example.cn", "en", None)).await;
    let listed = kinds(&emails(&app, &format!("/api/v1/registrations/{}/emails", id(&r.body))).await);
    assert_eq!(
        listed,
        vec!["confirmation:pending", "reminder:P1D:pending", "reminder:PT2H:pending"]
    );
    // Someone who does not consent to reminders still gets the confirmation.
    let contact = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "Zhao", "email": "zhao@example.cn", "consent_reminders": false }),
        )
        .await;
    assert_eq!(contact.status, 201, "{}", contact.text);
    let quiet = app.register(&ev, json!({ "contact_id": id(&contact.body) })).await;
    let listed = kinds(&emails(&app, &format!("/api/v1/registrations/{}/emails", id(&quiet.body))).await);
    assert_eq!(listed, vec!["confirmation:pending"]);
}

#[tokio::test]
async fn rules_are_read_replaced_and_checked() {
    let app = spawn().await;
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    let path = format!("/api/v1/events/{ev}/reminder-rules");
    assert_eq!(app.get(&path).await.body, json!({ "rules": ["P7D", "P1D", "PT2H"] }));
    let reg = id(&app.register(&ev, attendee("A", "a@example.cn", "en", None)).await.body);
    let put = app
        .send(
            Method::PUT,
            &path,
            Some(&app.organiser),
            Some(json!({ "rules": ["pt30m", "P2D"] })),
            &[],
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body, json!({ "rules": ["P2D", "PT30M"] }));
    // Pending reminders follow the new rules.
    let pending = kinds(
        &emails(
            &app,
            &format!("/api/v1/registrations/{reg}/emails?kind=reminder&status=pending"),
        )
        .await,
    );
    assert_eq!(pending, vec!["reminder:P2D:pending", "reminder:PT30M:pending"]);
    let bad = app
        .send(
            Method::PUT,
            &path,
            Some(&app.organiser),
            Some(json!({ "rules": ["P1D", "soon"] })),
            &[],
        )
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.error_fields(), vec!["rules[1]"]);
    assert!(bad.text.contains("soon"), "{}", bad.text);
    app.send(Method::PUT, &path, Some(&app.viewer), Some(json!({ "rules": [] })), &[])
        .await
        .assert_problem(403);
}

#[tokio::test]
async fn a_reschedule_replans_reminders_and_sends_the_new_calendar() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let w = worker(&app, &smtp);
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    let reg = id(&app
        .register(&ev, attendee("Li Na", "li@example.cn", "en", Some("Europe/Berlin")))
        .await
        .body);
    w.deliver_due().await.unwrap();
    let moved = app
        .patch(
            &format!("/api/v1/events/{ev}"),
            json!({ "starts_at": "2030-03-11T09:30:00" }),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let all = emails(&app, &format!("/api/v1/registrations/{reg}/emails")).await;
    let cancelled: Vec<&Value> = all.iter().filter(|e| e["status"] == "cancelled").collect();
    assert_eq!(cancelled.len(), 3, "the old reminders are dropped: {all:?}");
    let p1d = all
        .iter()
        .find(|e| e["rule"] == "P1D" && e["status"] == "pending")
        .expect("a new P1D reminder");
    assert_eq!(p1d["due_at"], "2030-03-10T09:30:00+08:00");
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let updated = smtp.messages().pop().unwrap();
    assert_eq!(
        updated.subject,
        "Event updated: 高端聚酰胺产业机遇座谈会 · 11 Mar 09:30 · 福州"
    );
    assert!(
        updated
            .text
            .contains("Monday 11 March 2030, 09:30 (Asia/Shanghai, UTC+08:00)"),
        "{}",
        updated.text
    );
    assert!(
        updated.text.contains("02:30 (Europe/Berlin, UTC+01:00)"),
        "{}",
        updated.text
    );
    let (method, sequence, _) = calendar(&updated.ics);
    assert_eq!((method.as_str(), sequence.as_str()), ("REQUEST", "1"));
    // The old time's reminder never goes out: at the old P1D time nothing is due.
    set_clock(&app, 2030, 3, 3, 6, 0);
    assert_eq!(w.deliver_due().await.unwrap().sent, 0);
    // The new time's week-before and day-before reminders.
    set_clock(&app, 2030, 3, 10, 1, 30);
    assert_eq!(w.deliver_due().await.unwrap().sent, 2);
}

#[tokio::test]
async fn cancelling_the_event_drops_reminders_and_sends_a_calendar_cancellation() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let w = worker(&app, &smtp);
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({ "capacity": 1 })).await;
    app.register(&ev, attendee("A", "a@example.cn", "zh-CN", None)).await;
    app.register(&ev, attendee("B", "b@example.cn", "zh-CN", None)).await;
    w.deliver_due().await.unwrap();
    let r = app
        .post(&format!("/api/v1/events/{ev}/cancel"), json!({ "reason": "台风" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(emails(
        &app,
        &format!("/api/v1/events/{ev}/emails?status=pending&kind=reminder")
    )
    .await
    .is_empty());
    assert_eq!(
        w.deliver_due().await.unwrap().sent,
        2,
        "the seated and the waiting are told"
    );
    let mails = smtp.messages();
    let cancel = mails.iter().find(|m| m.subject.starts_with("【活动取消】")).unwrap();
    assert!(cancel.text.contains("台风"), "{}", cancel.text);
    let (method, sequence, _) = calendar(&cancel.ics);
    assert_eq!((method.as_str(), sequence.as_str()), ("CANCEL", "1"));
    set_clock(&app, 2030, 3, 3, 6, 0);
    assert_eq!(w.deliver_due().await.unwrap(), Report::default());
}

#[tokio::test]
async fn a_promotion_from_the_waitlist_says_so_and_plans_reminders() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let w = worker(&app, &smtp);
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({ "capacity": 1 })).await;
    let first = id(&app.register(&ev, attendee("A", "a@example.cn", "en", None)).await.body);
    let second = id(&app.register(&ev, attendee("B", "b@example.cn", "en", None)).await.body);
    assert_eq!(w.deliver_due().await.unwrap().sent, 2);
    let waiting = smtp.messages().into_iter().find(|m| m.to[0].contains("b@")).unwrap();
    assert!(waiting.subject.starts_with("Waitlisted: "), "{}", waiting.subject);
    assert!(waiting.text.contains("position 1"), "{}", waiting.text);
    assert_eq!(
        kinds(&emails(&app, &format!("/api/v1/registrations/{second}/emails")).await),
        vec!["waitlisted:sent"]
    );
    let r = app
        .post(&format!("/api/v1/registrations/{first}/cancel"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        kinds(&emails(&app, &format!("/api/v1/registrations/{first}/emails?status=pending")).await).is_empty(),
        "a cancelled registration gets nothing more"
    );
    let promoted = kinds(&emails(&app, &format!("/api/v1/registrations/{second}/emails?status=pending")).await);
    assert_eq!(
        promoted,
        vec![
            "promoted:pending",
            "reminder:P7D:pending",
            "reminder:P1D:pending",
            "reminder:PT2H:pending"
        ]
    );
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    let seat = smtp.messages().pop().unwrap();
    assert!(seat.subject.starts_with("You have a seat: "), "{}", seat.subject);
}

#[tokio::test]
async fn the_one_click_unsubscribe_stops_reminders_but_not_transactional_emails() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let w = worker(&app, &smtp);
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    let reg = app.register(&ev, attendee("A", "a@example.cn", "en", None)).await;
    let contact = reg.body["contact"]["id"].as_str().unwrap().to_string();
    w.deliver_due().await.unwrap();
    let mail = smtp.messages().pop().unwrap();
    let url = mail.headers["list-unsubscribe"].trim_matches(['<', '>']).to_string();
    let path = url.strip_prefix("https://roadshow.test").unwrap().to_string();
    assert!(!path.contains(&contact), "the link does not carry the contact id");
    // Opening the link changes nothing (mail scanners open links); the button does.
    let page = app.send(Method::GET, &path, None, None, &[]).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{contact}")).await.body["consent_reminders"],
        true
    );
    let res = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{contact}")).await.body["consent_reminders"],
        false
    );
    let pending = emails(&app, &format!("/api/v1/events/{ev}/emails?status=pending")).await;
    assert!(pending.is_empty(), "{pending:?}");
    app.send(Method::POST, "/api/v1/public/unsubscribe/nonsense", None, None, &[])
        .await
        .assert_problem(404);
    // Cancelling the event still reaches them.
    app.post(&format!("/api/v1/events/{ev}/cancel"), json!({})).await;
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
}

#[tokio::test]
async fn an_smtp_server_down_then_back_loses_nothing() {
    let app = spawn().await;
    // A port with nothing listening yet: connections are refused.
    let reserved = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = reserved.local_addr().unwrap().port();
    drop(reserved);
    let w = worker_on(&app, app.database.clone(), port, "test-worker");
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    for n in 0..3 {
        app.register(&ev, attendee("A", &format!("a{n}@example.cn"), "en", None))
            .await;
    }
    let report = w.deliver_due().await.unwrap();
    assert_eq!((report.sent, report.retried), (0, 3), "{report:?}");
    let listed = emails(&app, &format!("/api/v1/events/{ev}/emails?kind=confirmation")).await;
    assert!(
        listed.iter().all(|e| e["status"] == "pending" && e["attempts"] == 1),
        "{listed:?}"
    );
    assert!(listed[0]["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    // Still down a few minutes later: the backoff grows, nothing is given up.
    app.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(w.deliver_due().await.unwrap().retried, 3);
    // Back after ten minutes.
    let smtp = Smtp::on(TcpListener::bind(("127.0.0.1", port)).unwrap(), &[]);
    app.clock.advance(chrono::Duration::minutes(10));
    assert_eq!(w.deliver_due().await.unwrap().sent, 3);
    assert_eq!(smtp.messages().len(), 3);
    let listed = emails(&app, &format!("/api/v1/events/{ev}/emails?kind=confirmation")).await;
    assert!(
        listed.iter().all(|e| e["status"] == "sent" && e["attempts"] == 3),
        "{listed:?}"
    );
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once_and_others_still_go() {
    let app = spawn().await;
    let smtp = Smtp::start(&["nobody@"]);
    let w = worker(&app, &smtp);
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    let bad = id(&app
        .register(&ev, attendee("X", "nobody@example.cn", "en", None))
        .await
        .body);
    app.register(&ev, attendee("Y", "somebody@example.cn", "en", None))
        .await;
    let report = w.deliver_due().await.unwrap();
    assert_eq!((report.sent, report.failed, report.retried), (1, 1, 0), "{report:?}");
    let failed = emails(&app, &format!("/api/v1/registrations/{bad}/emails?status=failed")).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["attempts"], 1);
    assert!(
        failed[0]["last_error"].as_str().unwrap().contains("550"),
        "{}",
        failed[0]["last_error"]
    );
}

#[tokio::test]
async fn reminders_due_during_downtime_are_sent_before_the_start_and_cancelled_after_it() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    let w = worker(&app, &smtp);
    set_clock(&app, 2030, 2, 1, 0, 0);
    // 4 March 14:00 and 5 March 14:00 in Shanghai (06:00 UTC).
    let started = forum(&app, json!({})).await;
    let ahead = forum(&app, json!({ "starts_at": "2030-03-05T14:00:00" })).await;
    let late = id(&app
        .register(&started, attendee("A", "a@example.cn", "en", None))
        .await
        .body);
    let early = id(&app
        .register(&ahead, attendee("B", "b@example.cn", "en", None))
        .await
        .body);
    // No worker ran until an hour after the first event's start: everything of the
    // first event and the second's confirmation, week-before and day-before are due.
    set_clock(&app, 2030, 3, 4, 7, 0);
    let report = w.deliver_due().await.unwrap();
    assert_eq!((report.sent, report.cancelled), (3, 4), "{report:?}");
    let cancelled = emails(&app, &format!("/api/v1/registrations/{late}/emails?status=cancelled")).await;
    assert_eq!(cancelled.len(), 4, "{cancelled:?}");
    assert!(
        cancelled
            .iter()
            .all(|e| e["last_error"].as_str().unwrap().contains("had already started")),
        "{cancelled:?}"
    );
    assert_eq!(
        kinds(&emails(&app, &format!("/api/v1/registrations/{early}/emails")).await),
        vec![
            "confirmation:sent",
            "reminder:P7D:sent",
            "reminder:P1D:sent",
            "reminder:PT2H:pending"
        ]
    );
    let mails = smtp.messages();
    assert_eq!(mails.len(), 3);
    assert!(mails.iter().all(|m| m.to[0].contains("b@example.cn")), "{mails:?}");
}

#[tokio::test]
async fn two_workers_racing_over_500_due_reminders_send_each_exactly_once() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    // Four rules that all come due by 3 March: 4 reminders per attendee.
    let rules = app
        .send(
            Method::PUT,
            &format!("/api/v1/events/{ev}/reminder-rules"),
            Some(&app.organiser),
            Some(json!({ "rules": ["P3D", "P2D", "PT48H", "PT40H"] })),
            &[],
        )
        .await;
    assert_eq!(rules.status, 200, "{}", rules.text);
    let attendees = 125;
    for n in 0..attendees {
        let r = app
            .register(&ev, attendee("A", &format!("a{n}@example.cn"), "en", None))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // The confirmations go first, so that the race is over reminders only.
    let confirmations = worker(&app, &smtp).deliver_due().await.unwrap();
    assert_eq!(confirmations.sent, attendees);
    set_clock(&app, 2030, 3, 3, 6, 0);
    // Two replicas: separate connections and writers on one database.
    let url = app.settings.database.url.clone();
    let other = Database::open(&url, 4).unwrap();
    let (a, b) = (
        worker_on(&app, app.database.clone(), smtp.port, "replica-a"),
        worker_on(&app, other, smtp.port, "replica-b"),
    );
    let (ra, rb) = tokio::join!(a.deliver_due(), b.deliver_due());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let total = attendees * 4;
    assert_eq!(total, 500);
    assert_eq!(ra.sent + rb.sent, total, "{ra:?} {rb:?}");
    assert_eq!(ra.lost + rb.lost, 0);
    assert!(ra.sent > 0 && rb.sent > 0, "both raced: {ra:?} {rb:?}");
    let mails: Vec<Mail> = smtp.messages().into_iter().skip(attendees).collect();
    assert_eq!(mails.len(), total);
    assert!(
        mails.iter().all(|m| m.subject.starts_with("Reminder: ")),
        "only reminders"
    );
    let mut ids: Vec<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "each reminder arrived exactly once");
    let pending = emails(&app, &format!("/api/v1/events/{ev}/emails?status=pending")).await;
    assert!(pending.is_empty(), "{pending:?}");
}

#[tokio::test]
async fn a_crashed_workers_claims_are_taken_over_when_their_lease_ends() {
    let app = spawn().await;
    let smtp = Smtp::start(&[]);
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    app.register(&ev, attendee("A", "a@example.cn", "en", None)).await;
    // A worker claimed the confirmation and died before sending it.
    let now = app.clock.now();
    let lease = chrono::Duration::seconds(app.settings.reminders.lease_secs as i64);
    let claimed = app
        .database
        .write_blocking(|c| roadshow::reminders::queries::claim_due(c, "crashed", now, now + lease, 10))
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let w = worker(&app, &smtp);
    assert_eq!(
        w.deliver_due().await.unwrap(),
        Report::default(),
        "held by the crashed worker"
    );
    app.clock.advance(lease + chrono::Duration::seconds(1));
    assert_eq!(w.deliver_due().await.unwrap().sent, 1);
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn erasing_a_contact_drops_their_emails_and_previews_render_without_sending() {
    let app = spawn().await;
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    let r = app
        .register(
            &ev,
            attendee("山田太郎", "yamada@toray.co.jp", "ja", Some("Asia/Tokyo")),
        )
        .await;
    let reg = id(&r.body);
    let preview = app
        .get(&format!(
            "/api/v1/emails/preview?registration_id={reg}&kind=reminder&rule=P1D"
        ))
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert_eq!(
        preview.body["subject"],
        "【リマインダー】高端聚酰胺产业机遇座谈会 · 3月4日 14:00 · 福州"
    );
    assert_eq!(preview.body["language"], "ja");
    assert!(preview.body["text"].as_str().unwrap().contains("Asia/Tokyo"));
    assert!(preview.body["calendar"].as_str().unwrap().contains("METHOD:REQUEST"));
    app.get(&format!("/api/v1/emails/preview?registration_id={reg}&kind=postcard"))
        .await
        .assert_problem(422);
    app.get("/api/v1/emails/preview?registration_id=00000000-0000-0000-0000-000000000000&kind=reminder")
        .await
        .assert_problem(404);
    app.get("/api/v1/registrations/00000000-0000-0000-0000-000000000000/emails")
        .await
        .assert_problem(404);
    assert_eq!(
        emails(&app, &format!("/api/v1/registrations/{reg}/emails")).await.len(),
        4
    );

    let contact = r.body["contact"]["id"].as_str().unwrap().to_string();
    let erased = app.delete(&format!("/api/v1/contacts/{contact}")).await;
    assert!(erased.status < 300, "{}", erased.text);
    let listed = emails(&app, &format!("/api/v1/registrations/{reg}/emails")).await;
    assert!(listed.iter().all(|e| e["status"] == "cancelled"), "{listed:?}");
    let text = serde_json::to_string(&listed).unwrap();
    assert!(!text.contains("yamada"), "{text}");
}

#[tokio::test]
async fn the_worker_command_writes_due_emails_as_files_and_stops_on_sigterm() {
    let app = spawn().await;
    let ev = forum(&app, json!({})).await;
    app.register(&ev, attendee("Li Na", "li@example.cn", "en", None)).await;
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    // Killed if the test fails while it runs.
    let mut child = Running(
        std::process::Command::new(env!("CARGO_BIN_EXE_roadshow"))
            .arg("worker")
            .current_dir(dir.path())
            .env("DATABASE_URL", &app.settings.database.url)
            .env("ROADSHOW__MAIL__FILE__DIR", &outbox)
            .env("ROADSHOW__REMINDERS__POLL_INTERVAL_SECS", "1")
            .env_remove("ROADSHOW_ENV")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = std::time::Instant::now();
    let file = loop {
        let found = std::fs::read_dir(&outbox).ok().and_then(|d| {
            d.filter_map(Result::ok)
                .find(|e| e.path().extension().is_some_and(|x| x == "eml"))
        });
        if let Some(entry) = found {
            break entry.path();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no .eml written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the worker ignored SIGTERM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(status.success(), "worker exited with {status}");
    // Read after the worker exited: the file is complete.
    let raw = std::fs::read(&file).unwrap();
    let mail = Mail::parse(&Received { to: vec![], raw });
    assert!(mail.subject.starts_with("Registered: "), "{}", mail.subject);
    let listed = emails(&app, &format!("/api/v1/events/{ev}/emails?status=sent")).await;
    assert_eq!(listed.len(), 1);
}

/// Starts the `roadshow worker` binary on the app's database, sending through SMTP on
/// `port` with the system clock; `env` adds settings. Its log goes to `dir/NAME.log`.
fn worker_command(app: &TestApp, dir: &std::path::Path, name: &str, port: u16, env: &[(&str, &str)]) -> Running {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_roadshow"));
    cmd.arg("worker")
        .current_dir(dir)
        .env("DATABASE_URL", app.db_url())
        .env("ROADSHOW__MAIL__TRANSPORT", "smtp")
        .env("ROADSHOW__MAIL__SMTP__HOST", "127.0.0.1")
        .env("ROADSHOW__MAIL__SMTP__PORT", port.to_string())
        .env("ROADSHOW__MAIL__SMTP__TLS", "none")
        .env("ROADSHOW__REMINDERS__POLL_INTERVAL_SECS", "1")
        .env("RUST_LOG", "info")
        .env_remove("ROADSHOW_ENV")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Running(cmd.spawn().unwrap())
}

/// Waits (polling) until `done` holds, failing after `secs` with the workers' logs.
async fn wait_until(dir: &std::path::Path, secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > Duration::from_secs(secs) {
            let logs: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect();
            panic!("{what} within {secs} s; logs:\n{}", logs.join("\n---\n"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for a worker to exit by itself.
async fn exit_of(child: &mut Running, secs: u64) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < Duration::from_secs(secs), "the worker did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The event's confirmations as the outbox holds them: (status, message id, leased).
fn outbox(app: &TestApp, event_id: &str) -> Vec<(String, Option<String>, bool)> {
    use diesel::prelude::*;
    use roadshow::db::schema::emails;
    let mut conn = app.database.connection().unwrap();
    emails::table
        .filter(emails::event_id.eq(event_id))
        .filter(emails::kind.eq("confirmation"))
        .select((emails::status, emails::message_id, emails::lease_owner.is_not_null()))
        .load(&mut *conn)
        .unwrap()
}

/// Registers `n` attendees (their confirmations are due at once, by the system clock).
async fn attendees(app: &TestApp, ev: &str, n: usize) {
    for i in 0..n {
        let r = app
            .register(ev, attendee("A", &format!("a{i}@example.cn"), "en", None))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
}

fn sigterm(child: &Running) {
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
}

#[tokio::test]
async fn a_worker_stopped_mid_batch_finishes_what_it_holds_and_a_restart_sends_the_rest() {
    let app = spawn().await;
    let smtp = Smtp::slow(Duration::from_millis(150));
    let ev = forum(&app, json!({})).await;
    let n = 40;
    attendees(&app, &ev, n).await;
    let dir = tempfile::tempdir().unwrap();
    // Small batches, two at a time: a batch takes about 0.6 s, all of them about 3 s.
    let settings = [
        ("ROADSHOW__REMINDERS__BATCH_SIZE", "8"),
        ("ROADSHOW__MAIL__SMTP__POOL_SIZE", "2"),
    ];
    let mut first = worker_command(&app, dir.path(), "first", smtp.port, &settings);
    wait_until(dir.path(), 60, "no email arrived", || smtp.count() >= 3).await;
    sigterm(&first);
    let status = exit_of(&mut first, 30).await;
    assert!(status.success(), "worker exited with {status}");
    // Everything it held is settled: sent (and received once) or still pending, unheld.
    let rows = outbox(&app, &ev);
    let sent: Vec<&str> = rows
        .iter()
        .filter(|r| r.0 == "sent")
        .map(|r| r.1.as_deref().unwrap())
        .collect();
    assert!(rows.iter().all(|r| !r.2), "no email is left leased: {rows:?}");
    assert!(rows.iter().all(|r| r.0 == "sent" || r.0 == "pending"), "{rows:?}");
    assert!(sent.len() < n, "stopped before the end: {} sent", sent.len());
    let mut received: Vec<String> = smtp.messages().into_iter().map(|m| m.message_id).collect();
    received.sort();
    let mut expected: Vec<String> = sent.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(received, expected, "what was sent is what arrived, once");

    // A restart (with the default two-minute lease) sends the rest at once.
    let mut second = worker_command(&app, dir.path(), "second", smtp.port, &settings);
    wait_until(dir.path(), 60, "the restart did not send the rest", || {
        outbox(&app, &ev).iter().all(|r| r.0 == "sent")
    })
    .await;
    sigterm(&second);
    assert!(exit_of(&mut second, 30).await.success());
    let mut ids: Vec<String> = smtp.messages().into_iter().map(|m| m.message_id).collect();
    assert_eq!(ids.len(), n);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "each email arrived exactly once");
}

#[tokio::test]
async fn a_worker_killed_mid_batch_loses_nothing_and_duplicates_keep_their_message_id() {
    let app = spawn().await;
    let smtp = Smtp::slow(Duration::from_millis(200));
    let ev = forum(&app, json!({})).await;
    let n = 40;
    attendees(&app, &ev, n).await;
    let dir = tempfile::tempdir().unwrap();
    // One batch of all 40, four at a time; a three-second lease.
    let settings = [("ROADSHOW__REMINDERS__LEASE_SECS", "3")];
    let mut first = worker_command(&app, dir.path(), "first", smtp.port, &settings);
    wait_until(dir.path(), 60, "no email arrived", || smtp.count() >= 5).await;
    first.0.kill().unwrap(); // SIGKILL: no chance to finish or release anything.
    first.0.wait().unwrap();
    let rows = outbox(&app, &ev);
    let held = rows.iter().filter(|r| r.0 == "pending" && r.2).count();
    assert!(held > 0, "killed mid-batch, holding emails: {rows:?}");

    // Another worker takes them over once the lease ends.
    let mut second = worker_command(&app, dir.path(), "second", smtp.port, &settings);
    wait_until(dir.path(), 60, "the emails were not taken over", || {
        outbox(&app, &ev).iter().all(|r| r.0 == "sent")
    })
    .await;
    sigterm(&second);
    assert!(exit_of(&mut second, 30).await.success());

    let rows = outbox(&app, &ev);
    let mut expected: Vec<String> = rows.iter().map(|r| r.1.clone().unwrap()).collect();
    expected.sort();
    let mails = smtp.messages();
    let mut by_id: HashMap<String, Vec<&Mail>> = HashMap::new();
    for m in &mails {
        by_id.entry(m.message_id.clone()).or_default().push(m);
    }
    let mut received: Vec<String> = by_id.keys().cloned().collect();
    received.sort();
    assert_eq!(
        received, expected,
        "every email arrived at least once, nothing else did"
    );
    // A duplicate is a copy the server accepted before the kill whose "sent" was not
    // committed yet: the worker keeps at most twice its connections (4) in the air,
    // and a copy is the same email under the same Message-ID.
    let duplicates = mails.len() - n;
    assert!(duplicates <= 8, "{duplicates} duplicates");
    for copies in by_id.values().filter(|c| c.len() > 1) {
        assert!(
            copies
                .iter()
                .all(|c| c.to == copies[0].to && c.subject == copies[0].subject),
            "{copies:?}"
        );
    }
}

#[tokio::test]
async fn a_slow_relay_never_lets_a_lease_run_out_under_a_send() {
    let app = spawn().await;
    let smtp = Smtp::slow(Duration::from_millis(250));
    let ev = forum(&app, json!({})).await;
    let n = 16;
    attendees(&app, &ev, n).await;
    // One connection, a two-second lease: the first worker claims all 16 at once, and
    // sending them takes twice its lease. The second looks for emails all the while.
    let slow = |s: &mut roadshow::config::Settings| {
        s.reminders.lease_secs = 2;
        s.mail.smtp.pool_size = 1;
    };
    let a = worker_with(&app, app.database.clone(), smtp.port, "a", slow);
    let b = worker_with(&app, app.database.clone(), smtp.port, "b", slow);
    let all_sent = || outbox(&app, &ev).iter().all(|r| r.0 == "sent");
    let started = Instant::now();
    let keep_going = |w: Worker| async move {
        while !all_sent() && started.elapsed() < Duration::from_secs(60) {
            w.deliver_due().await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::join!(keep_going(a), keep_going(b));
    assert!(all_sent(), "{:?}", outbox(&app, &ev));
    // An email whose lease was running out went back instead of out: the other worker
    // never took over one that was being sent.
    let mut ids: Vec<String> = smtp.messages().into_iter().map(|m| m.message_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((smtp.count(), ids.len()), (n, n), "each email arrived exactly once");
}

#[tokio::test]
async fn accepted_emails_are_recorded_only_while_their_lease_holds() {
    let app = spawn().await;
    set_clock(&app, 2030, 2, 1, 0, 0);
    let ev = forum(&app, json!({})).await;
    attendees(&app, &ev, 3).await;
    let now = app.clock.now();
    let lease = chrono::Duration::seconds(60);
    let recorded = app
        .database
        .write_blocking(|c| {
            use roadshow::reminders::queries::{claim_due, settle_sent};
            let held_by_a = claim_due(c, "a", now, now + lease, 2)?;
            let held_by_b = claim_due(c, "b", now, now + lease, 10)?;
            assert_eq!((held_by_a.len(), held_by_b.len()), (2, 1));
            let ids = [held_by_a.clone(), held_by_b].concat();
            // "a" recorded what it held, not what "b" holds.
            let kept = settle_sent(c, &ids, "a", ("<", "@roadshow.localhost>"), now)?;
            Ok::<_, roadshow::error::Error>((held_by_a, kept))
        })
        .unwrap();
    let (mut expected, mut kept) = recorded;
    kept.sort();
    expected.sort();
    assert_eq!(kept, expected);
    let sent = emails(&app, &format!("/api/v1/events/{ev}/emails?status=sent")).await;
    assert_eq!(sent.len(), 2);
    for e in &sent {
        let id = e["id"].as_str().unwrap();
        assert_eq!(e["message_id"], format!("<{id}@roadshow.localhost>"));
        assert_eq!(e["attempts"], 1);
    }
}
