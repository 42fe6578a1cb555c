//! What an email says: subject, plain-text and HTML parts from minijinja templates in the
//! contact's language, times in the event's zone (and the reader's, when it differs),
//! and the event as an `.ics` invitation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use minijinja::{context, Environment};

use crate::calendar::{self, Invitation, Method};
use crate::contacts::model::{ContactRow, Language};
use crate::events::model::EventRow;
use crate::reminders::model::EmailKind;
use crate::time::in_zone;

/// Everything an email is made from.
pub struct Facts<'a> {
    pub kind: EmailKind,
    pub event: &'a EventRow,
    pub contact: &'a ContactRow,
    pub waitlist_position: Option<i32>,
    /// The registration's manage token, when this email may show it.
    pub manage_token: Option<&'a str>,
    /// Whether the registration is cancelled (a `manage_link` email then offers to
    /// register again, and its calendar file removes the event).
    pub registration_cancelled: bool,
    pub unsubscribe_token: Option<&'a str>,
    /// `server.public_base_url` without a trailing slash.
    pub base_url: &'a str,
    /// `mail.from`.
    pub from: &'a Mailbox,
}

/// A rendered email, before it becomes a MIME message.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub language: Language,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub calendar: String,
    pub method: Method,
    pub unsubscribe_url: Option<String>,
}

/// A template failed: a bug in a template, not the reader's data.
#[derive(Debug, thiserror::Error)]
#[error("rendering an email failed: {0}")]
pub struct RenderError(String);

/// Every email template, attendee emails (`en.txt`) and digests (`digest.en.txt`).
pub(super) fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // `.html` names are auto-escaped; the text parts are not.
        let sources = [
            ("zh-CN.txt", include_str!("templates/zh-CN.txt")),
            ("zh-CN.html", include_str!("templates/zh-CN.html")),
            ("en.txt", include_str!("templates/en.txt")),
            ("en.html", include_str!("templates/en.html")),
            ("ja.txt", include_str!("templates/ja.txt")),
            ("ja.html", include_str!("templates/ja.html")),
            ("digest.zh-CN.txt", include_str!("templates/digest.zh-CN.txt")),
            ("digest.zh-CN.html", include_str!("templates/digest.zh-CN.html")),
            ("digest.en.txt", include_str!("templates/digest.en.txt")),
            ("digest.en.html", include_str!("templates/digest.en.html")),
            ("digest.ja.txt", include_str!("templates/digest.ja.txt")),
            ("digest.ja.html", include_str!("templates/digest.ja.html")),
        ];
        for (name, source) in sources {
            // The sources are compiled in and covered by tests.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "email template does not compile");
            }
        }
        env
    })
}

/// Invitations prepared per event and method, for a run of emails about few events
/// (a worker's batch): the calendar part of each email is then a copy, not a rebuild.
#[derive(Default)]
pub struct Invitations(Mutex<HashMap<(String, Method), Arc<Invitation>>>);

impl Invitations {
    /// The invitation to `f`'s event with `method`, prepared now unless the event is
    /// as it was when it last was.
    fn get(&self, f: &Facts, method: Method) -> Arc<Invitation> {
        let key = (f.event.id.clone(), method);
        let organizer = f.from.email.as_ref();
        let lock = || self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = lock().get(&key) {
            if found.is_for(f.event, f.base_url, organizer) {
                return found.clone();
            }
        }
        let made = Arc::new(Invitation::new(f.event, f.base_url, method, organizer));
        lock().insert(key, made.clone());
        made
    }
}

/// Renders an email from its facts.
pub fn render(f: &Facts) -> Result<Rendered, RenderError> {
    render_with(f, None)
}

/// Like [`render`], taking the calendar part from `invitations` when given.
pub fn render_with(f: &Facts, invitations: Option<&Invitations>) -> Result<Rendered, RenderError> {
    let language = Language::from_checked(&f.contact.language);
    let lang = language.as_str();
    let event_tz = f.event.tz();
    let event_time = long_time(f.event.starts_at, f.event.ends_at, event_tz, language);
    let own_zone = f
        .contact
        .timezone
        .as_deref()
        .and_then(|z| z.parse::<Tz>().ok())
        .filter(|tz| *tz != event_tz);
    let own_time = own_zone.map(|tz| long_time(f.event.starts_at, f.event.ends_at, tz, language));
    let manage_url = f
        .manage_token
        .map(|t| format!("{}/api/v1/public/registrations/{t}", f.base_url));
    let unsubscribe_url = f
        .unsubscribe_token
        .map(|t| format!("{}/api/v1/public/unsubscribe/{t}", f.base_url));
    let subject = subject(f.kind, language, f.event);
    let sender = sender_name(f.from);
    // Other kinds never go to a cancelled registration, except an event's cancellation
    // racing the registration's (which says nothing about registering again).
    let registration_cancelled = f.kind == EmailKind::ManageLink && f.registration_cancelled;
    let method = match f.kind {
        EmailKind::Cancelled => Method::Cancel,
        _ if registration_cancelled => Method::Cancel,
        _ => Method::Request,
    };
    let ctx = context! {
        kind => f.kind.as_str(),
        subject => &subject,
        name => &f.contact.name,
        title => &f.event.title,
        event_time => event_time,
        own_time => own_time,
        city => &f.event.city,
        venue => &f.event.venue,
        address => &f.event.address,
        position => f.waitlist_position,
        cancel_reason => &f.event.cancel_reason,
        manage_url => manage_url,
        registration_cancelled => registration_cancelled,
        removes => method == Method::Cancel,
        unsubscribe_url => &unsubscribe_url,
        sender => sender,
    };
    let part = |suffix: &str| {
        templates()
            .get_template(&format!("{lang}.{suffix}"))
            .and_then(|t| t.render(&ctx))
            .map_err(|e| RenderError(e.to_string()))
    };
    Ok(Rendered {
        language,
        text: part("txt")?,
        html: part("html")?,
        calendar: match invitations {
            Some(prepared) => prepared.get(f, method).to((&f.contact.name, &f.contact.email)),
            None => calendar::invitation(
                f.event,
                f.base_url,
                method,
                f.from.email.as_ref(),
                (&f.contact.name, &f.contact.email),
            ),
        },
        method,
        subject,
        unsubscribe_url,
    })
}

/// How an email signs off: `mail.from`'s display name, else its address.
pub(super) fn sender_name(from: &Mailbox) -> String {
    from.name.clone().unwrap_or_else(|| from.email.to_string())
}

/// `【活动提醒】高端聚酰胺产业机遇座谈会 · 3月4日 14:00 · 福州`, and its en/ja equivalents.
pub fn subject(kind: EmailKind, language: Language, event: &EventRow) -> String {
    use EmailKind::*;
    let local = in_zone(event.starts_at, event.tz());
    let (month, day, time) = (local.month(), local.day(), local.format("%H:%M"));
    let (title, city) = (&event.title, &event.city);
    match language {
        Language::ZhCn => {
            let tag = match kind {
                Reminder => "活动提醒",
                Confirmation => "报名成功",
                Waitlisted => "候补登记",
                Promoted => "候补转正",
                Updated => "活动变更",
                Cancelled => "活动取消",
                ManageLink => "报名管理",
                Digest => "跟进提醒",
            };
            format!("【{tag}】{title} · {month}月{day}日 {time} · {city}")
        }
        Language::Ja => {
            let tag = match kind {
                Reminder => "リマインダー",
                Confirmation => "参加登録完了",
                Waitlisted => "キャンセル待ち",
                Promoted => "参加確定",
                Updated => "イベント変更",
                Cancelled => "イベント中止",
                ManageLink => "登録の管理",
                Digest => "フォローアップ",
            };
            format!("【{tag}】{title} · {month}月{day}日 {time} · {city}")
        }
        Language::En => {
            let tag = match kind {
                Reminder => "Reminder",
                Confirmation => "Registered",
                Waitlisted => "Waitlisted",
                Promoted => "You have a seat",
                Updated => "Event updated",
                Cancelled => "Event cancelled",
                ManageLink => "Manage your registration",
                Digest => "Follow-ups",
            };
            format!("{tag}: {title} · {} {time} · {city}", local.format("%-d %b"))
        }
    }
}

/// The start (and end) in `tz`, written out for the language, with the zone and offset:
/// `2024年3月4日（星期一）14:00–17:00（Asia/Shanghai，UTC+08:00）`.
fn long_time(start: NaiveDateTime, end: Option<NaiveDateTime>, tz: Tz, language: Language) -> String {
    let s = in_zone(start, tz);
    let end = end.map(|e| in_zone(e, tz)).map(|e| {
        if e.date_naive() == s.date_naive() {
            e.format("%H:%M").to_string()
        } else {
            e.format("%Y-%m-%d %H:%M").to_string()
        }
    });
    let span = match end {
        Some(e) => format!("{}–{e}", s.format("%H:%M")),
        None => s.format("%H:%M").to_string(),
    };
    let offset = s.format("UTC%:z");
    let day = long_date(s.date_naive(), language);
    match language {
        Language::ZhCn => format!("{day}{span}（{}，{offset}）", tz.name()),
        Language::Ja => format!("{day}{span}（{}、{offset}）", tz.name()),
        Language::En => format!("{day}, {span} ({}, {offset})", tz.name()),
    }
}

/// The day written out: `2024年3月4日（星期一）`, `Monday 4 March 2024`, `2024年3月4日（月）`.
pub(super) fn long_date(day: NaiveDate, language: Language) -> String {
    let (y, m, d) = (day.year(), day.month(), day.day());
    let wd = day.weekday().num_days_from_monday() as usize;
    match language {
        Language::ZhCn => {
            let names = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"];
            format!("{y}年{m}月{d}日（{}）", names[wd])
        }
        Language::Ja => {
            let names = ["月", "火", "水", "木", "金", "土", "日"];
            format!("{y}年{m}月{d}日（{}）", names[wd])
        }
        Language::En => day.format("%A %-d %B %Y").to_string(),
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

/// `List-Unsubscribe: <url>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.trim_matches(['<', '>']).to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// The `Message-ID` of an outbox row: the same for every attempt, so a copy sent twice
/// (a crash between the server's acceptance and the "sent" mark) is recognisable.
pub fn message_id(email_id: &str, from: &Mailbox) -> String {
    let (before, after) = message_id_around(from);
    format!("{before}{email_id}{after}")
}

/// What surrounds the email's id in its `Message-ID` (so storage can write many at once).
pub fn message_id_around(from: &Mailbox) -> (&'static str, String) {
    ("<", format!("@{}>", from.email.domain()))
}

/// The MIME message: text and HTML alternatives, the `.ics` attached.
pub fn message(r: &Rendered, from: &Mailbox, to: Mailbox, message_id: &str) -> Result<Message, lettre::error::Error> {
    let method = match r.method {
        Method::Request => "REQUEST",
        Method::Cancel => "CANCEL",
    };
    let ics_type = ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
        .unwrap_or(ContentType::TEXT_PLAIN);
    let body = MultiPart::mixed()
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(r.text.clone()))
                .singlepart(SinglePart::html(r.html.clone())),
        )
        .singlepart(Attachment::new("invite.ics".into()).body(r.calendar.clone(), ics_type));
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(r.subject.clone())
        .message_id(Some(message_id.to_string()));
    if let Some(url) = &r.unsubscribe_url {
        builder = builder.header(ListUnsubscribe(url.clone())).header(ListUnsubscribePost);
    }
    builder.multipart(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> EventRow {
        let start = NaiveDateTime::parse_from_str("2024-03-04 06:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        EventRow {
            id: "e1".into(),
            title: "高端聚酰胺产业机遇座谈会".into(),
            summary: None,
            kind: "forum".into(),
            industry_chain: None,
            platform: None,
            city: "福州".into(),
            venue: Some("福州香格里拉 <3楼>".into()),
            address: Some("新权路9号".into()),
            timezone: "Asia/Shanghai".into(),
            starts_at: start,
            starts_local: start,
            ends_at: None,
            capacity: None,
            registration_closes_at: None,
            status: "scheduled".into(),
            cancel_reason: None,
            roadshow_id: None,
            sequence: 2,
            created_at: start,
            updated_at: start,
            version: 1,
            public_registration: false,
            tags: "[]".into(),
        }
    }

    fn contact(language: &str, timezone: Option<&str>) -> ContactRow {
        let now = NaiveDateTime::default();
        ContactRow {
            id: "c1".into(),
            name: "Wang Wei".into(),
            email: "wang.wei@toray.co.jp".into(),
            email_key: "wang.wei@toray.co.jp".into(),
            phone: None,
            title: None,
            company_id: None,
            language: language.into(),
            timezone: timezone.map(String::from),
            consent_reminders: true,
            erased_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    fn facts<'a>(kind: EmailKind, e: &'a EventRow, c: &'a ContactRow, from: &'a Mailbox) -> Facts<'a> {
        Facts {
            kind,
            event: e,
            contact: c,
            waitlist_position: Some(3),
            manage_token: Some("tok"),
            registration_cancelled: false,
            unsubscribe_token: Some("unsub"),
            base_url: "https://rs.example",
            from,
        }
    }

    #[test]
    fn subjects_name_the_event_its_local_time_and_city() {
        let e = event();
        assert_eq!(
            subject(EmailKind::Reminder, Language::ZhCn, &e),
            "【活动提醒】高端聚酰胺产业机遇座谈会 · 3月4日 14:00 · 福州"
        );
        assert_eq!(
            subject(EmailKind::Reminder, Language::En, &e),
            "Reminder: 高端聚酰胺产业机遇座谈会 · 4 Mar 14:00 · 福州"
        );
        assert!(subject(EmailKind::Cancelled, Language::Ja, &e).starts_with("【イベント中止】"));
    }

    #[test]
    fn bodies_show_both_zones_links_and_escape_html() {
        let (e, from) = (event(), "Roadshow <noreply@rs.example>".parse::<Mailbox>().unwrap());
        let c = contact("ja", Some("Asia/Tokyo"));
        let r = render(&facts(EmailKind::Waitlisted, &e, &c, &from)).unwrap();
        assert!(
            r.text.contains("2024年3月4日（月）14:00（Asia/Shanghai、UTC+08:00）"),
            "{}",
            r.text
        );
        assert!(r.text.contains("15:00（Asia/Tokyo、UTC+09:00）"), "{}", r.text);
        assert!(r.text.contains("3 番目"), "{}", r.text);
        assert!(r.text.contains("https://rs.example/api/v1/public/registrations/tok"));
        assert!(
            r.html.contains("&lt;3楼&gt;") && !r.html.contains("<3楼>"),
            "{}",
            r.html
        );
        assert!(r.calendar.contains("METHOD:REQUEST") && r.calendar.contains("SEQUENCE:2"));
        let same = contact("en", Some("Asia/Shanghai"));
        let r = render(&facts(EmailKind::Cancelled, &e, &same, &from)).unwrap();
        assert!(!r.text.contains("Your time"), "{}", r.text);
        assert!(
            r.text.contains("Monday 4 March 2024, 14:00 (Asia/Shanghai, UTC+08:00)"),
            "{}",
            r.text
        );
        assert!(r.calendar.contains("METHOD:CANCEL") && r.calendar.contains("STATUS:CANCELLED"));
    }

    #[test]
    fn manage_links_say_whether_the_registration_stands_in_every_language() {
        let (e, from) = (event(), "Roadshow <noreply@rs.example>".parse::<Mailbox>().unwrap());
        for (lang, stands, again) in [
            ("en", "Nothing has changed", "register again"),
            ("zh-CN", "报名没有任何变化", "重新报名"),
            ("ja", "ご登録に変更はありません", "再登録"),
        ] {
            let c = contact(lang, None);
            let mut f = facts(EmailKind::ManageLink, &e, &c, &from);
            let r = render(&f).unwrap();
            assert!(r.text.contains(stands) && !r.text.contains(again), "{}", r.text);
            assert!(r.html.contains(stands), "{}", r.html);
            assert_eq!(r.method, Method::Request);
            f.registration_cancelled = true;
            let r = render(&f).unwrap();
            assert!(r.text.contains(again) && !r.text.contains(stands), "{}", r.text);
            assert!(r.html.contains(again), "{}", r.html);
            assert!(r.text.contains("https://rs.example/api/v1/public/registrations/tok"));
            assert_eq!(
                r.method,
                Method::Cancel,
                "the calendar entry goes with the registration"
            );
            // Other kinds never offer to register again.
            f.kind = EmailKind::Cancelled;
            assert!(!render(&f).unwrap().text.contains(again));
        }
    }

    #[test]
    fn messages_carry_the_deterministic_id_and_one_click_unsubscribe() {
        let (e, from) = (event(), "Roadshow <noreply@rs.example>".parse::<Mailbox>().unwrap());
        let c = contact("zh-CN", None);
        let r = render(&facts(EmailKind::Reminder, &e, &c, &from)).unwrap();
        let id = message_id("abc", &from);
        assert_eq!(id, "<abc@rs.example>");
        let to: Mailbox = c.email.parse().unwrap();
        let raw = String::from_utf8(message(&r, &from, to, &id).unwrap().formatted()).unwrap();
        assert!(raw.contains("Message-ID: <abc@rs.example>"), "{raw}");
        assert!(raw.contains("List-Unsubscribe: <https://rs.example/api/v1/public/unsubscribe/unsub>"));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("method=REQUEST"));
    }
}
