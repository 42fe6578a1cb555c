//! What a follow-up digest says: a subject with the team, day and counts, and a
//! plain-text and an HTML part from minijinja templates in `digest.language`.

use chrono::{Datelike, NaiveTime};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use minijinja::context;
use serde::Serialize;

use super::content::{long_date, templates};
use crate::contacts::model::Language;
use crate::digests::model::Digest;
use crate::intentions::model::Stage;

/// A rendered digest, before it becomes a MIME message.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One line of the list, as the templates see it.
#[derive(Serialize)]
struct Line<'a> {
    project: &'a str,
    company: &'a str,
    stage: &'static str,
    date: String,
    overdue: bool,
    days_late: i64,
}

/// Renders a digest in `language`; `local_time` is `digest.local_time`, `sender` the
/// name the emails are signed with.
pub fn render(d: &Digest, language: Language, local_time: NaiveTime, sender: &str) -> Result<Rendered, String> {
    let lang = language.as_str();
    let subject = subject(d, language);
    let lines: Vec<Line> = d
        .items
        .iter()
        .map(|i| Line {
            project: &i.project_name,
            company: &i.company_name,
            stage: stage_label(i.stage, language),
            date: i.next_follow_up_on.format("%Y-%m-%d").to_string(),
            overdue: i.next_follow_up_on < d.day,
            days_late: (d.day - i.next_follow_up_on).num_days(),
        })
        .collect();
    let ctx = context! {
        subject => &subject,
        team => &d.team.name,
        date => long_date(d.day, language),
        overdue => d.overdue,
        due_today => d.due_today,
        items => lines,
        more => (d.total() - d.items.len() as i64).max(0),
        local_time => local_time.format("%H:%M").to_string(),
        timezone => &d.team.timezone,
        sender => sender,
    };
    let part = |suffix: &str| {
        templates()
            .get_template(&format!("digest.{lang}.{suffix}"))
            .and_then(|t| t.render(&ctx))
            .map_err(|e| format!("rendering a digest failed: {e}"))
    };
    Ok(Rendered {
        text: part("txt")?,
        html: part("html")?,
        subject,
    })
}

/// `【跟进提醒】招商四处 · 3月4日 · 逾期 2 项 · 今日到期 1 项`, and its en/ja equivalents.
pub fn subject(d: &Digest, language: Language) -> String {
    let (team, month, day) = (&d.team.name, d.day.month(), d.day.day());
    let (overdue, due) = (d.overdue, d.due_today);
    match language {
        Language::ZhCn => format!("【跟进提醒】{team} · {month}月{day}日 · 逾期 {overdue} 项 · 今日到期 {due} 项"),
        Language::Ja => {
            format!("【フォローアップ】{team} · {month}月{day}日 · 期限超過 {overdue} 件 · 本日期限 {due} 件")
        }
        Language::En => format!(
            "Follow-ups: {team} · {} · {overdue} overdue · {due} due today",
            d.day.format("%-d %b")
        ),
    }
}

/// The pipeline stage in the reader's words (the seed's 挖掘、评判、对接、洽谈、签约、落地).
fn stage_label(stage: Stage, language: Language) -> &'static str {
    use Stage::*;
    match language {
        Language::ZhCn => match stage {
            Lead => "挖掘",
            Assessing => "评判",
            Engaged => "对接",
            Negotiating => "洽谈",
            Signed => "签约",
            Landed => "落地",
            Dropped => "放弃",
        },
        Language::Ja => match stage {
            Lead => "発掘",
            Assessing => "評価",
            Engaged => "接触",
            Negotiating => "交渉",
            Signed => "契約",
            Landed => "着地",
            Dropped => "中止",
        },
        // The API's own stage names read as English.
        Language::En => stage.as_str(),
    }
}

/// The MIME message: text and HTML alternatives (no calendar, no unsubscribe link: it
/// goes to the team's own mailbox).
pub fn message(r: &Rendered, from: &Mailbox, to: Mailbox, message_id: &str) -> Result<Message, lettre::error::Error> {
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(r.subject.clone())
        .message_id(Some(message_id.to_string()))
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(r.text.clone()))
                .singlepart(SinglePart::html(r.html.clone())),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digests::model::Item;
    use crate::teams::model::TeamRow;
    use chrono::NaiveDate;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, m, d).unwrap()
    }

    fn digest() -> Digest {
        let now = chrono::NaiveDateTime::default();
        let item = |project: &str, company: &str, stage, on| Item {
            intention_id: "i".into(),
            project_name: project.into(),
            company_name: company.into(),
            stage,
            next_follow_up_on: on,
        };
        Digest {
            team: TeamRow {
                id: "t".into(),
                name: "招商四处".into(),
                name_key: "招商四处".into(),
                email: Some("div4@example.cn".into()),
                timezone: "Asia/Shanghai".into(),
                created_at: now,
                updated_at: now,
                version: 1,
            },
            day: date(3, 4),
            items: vec![
                item("高端聚酰胺 <A>", "永荣锦江", Stage::Negotiating, date(3, 1)),
                item("功能膜材料", "东丽", Stage::Engaged, date(3, 4)),
            ],
            overdue: 2,
            due_today: 1,
        }
    }

    #[test]
    fn subjects_name_the_team_the_day_and_the_counts() {
        let d = digest();
        assert_eq!(
            subject(&d, Language::ZhCn),
            "【跟进提醒】招商四处 · 3月4日 · 逾期 2 项 · 今日到期 1 项"
        );
        assert_eq!(
            subject(&d, Language::En),
            "Follow-ups: 招商四处 · 4 Mar · 2 overdue · 1 due today"
        );
        assert!(subject(&d, Language::Ja).starts_with("【フォローアップ】招商四处 · 3月4日"));
    }

    #[test]
    fn bodies_list_each_intention_mark_the_overdue_and_count_the_rest() {
        let d = digest();
        let at = NaiveTime::from_hms_opt(8, 30, 0).unwrap();
        let r = render(&d, Language::ZhCn, at, "Roadshow").unwrap();
        assert!(r.text.contains("2024年3月4日（星期一）"), "{}", r.text);
        assert!(r.text.contains("【逾期 3 天】高端聚酰胺 <A>"), "{}", r.text);
        assert!(
            r.text.contains("企业：永荣锦江 · 阶段：洽谈 · 跟进日期：2024-03-01"),
            "{}",
            r.text
        );
        assert!(r.text.contains("【今日到期】功能膜材料"), "{}", r.text);
        assert!(r.text.contains("另有 1 项未列出"), "{}", r.text);
        assert!(
            r.html.contains("高端聚酰胺 &lt;A&gt;") && !r.html.contains("<A>"),
            "{}",
            r.html
        );
        let en = render(&d, Language::En, at, "Roadshow").unwrap();
        assert!(en.text.contains("[OVERDUE 3 d] 高端聚酰胺 <A>"), "{}", en.text);
        assert!(en.text.contains("Stage: engaged"), "{}", en.text);
        assert!(en.text.contains("Monday 4 March 2024"), "{}", en.text);
        let ja = render(&d, Language::Ja, at, "Roadshow").unwrap();
        assert!(
            ja.text.contains("【3 日超過】") && ja.text.contains("段階：交渉"),
            "{}",
            ja.text
        );
        let from: Mailbox = "Roadshow <noreply@rs.example>".parse().unwrap();
        let to: Mailbox = "div4@example.cn".parse().unwrap();
        let raw = String::from_utf8(message(&r, &from, to, "<x@rs.example>").unwrap().formatted()).unwrap();
        assert!(raw.contains("Message-ID: <x@rs.example>") && !raw.contains("text/calendar"));
    }
}
