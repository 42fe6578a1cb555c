//! The demo roadshow: the four events of the seed article, the five investment divisions
//! (招商一处…五处) and four follow-up intentions, loadable any number of times.

use crate::db::Database;
use crate::error::Error;
use crate::events::model::NewEvent;
use crate::events::{queries as event_queries, rules};
use crate::roadshows::model::{new_roadshow, NewRoadshow};
use crate::roadshows::queries as roadshow_queries;
use crate::{companies, intentions, teams};

/// The demo roadshow's fixed id, so a second run finds the first run's data.
pub const ROADSHOW_ID: &str = "2024d3e0-0000-4000-8000-000000000000";

struct DemoEvent {
    id: &'static str,
    title: &'static str,
    summary: &'static str,
    kind: &'static str,
    city: &'static str,
    venue: &'static str,
    starts_at: &'static str,
    ends_at: &'static str,
    capacity: i64,
    tags: &'static [&'static str],
}

const EVENTS: [DemoEvent; 4] = [
    DemoEvent {
        id: "2024d3e0-0000-4000-8000-000000000001",
        title: "“投资浙里”舟山高端聚酰胺产业机遇座谈会",
        summary: "Forum on high-end polyamide with about 20 executives, researchers and professors: \
                  industry direction, paths to industrialisation, and Zhoushan's petrochemical new-materials environment.",
        kind: "forum",
        city: "福州",
        venue: "福州会议中心",
        starts_at: "2024-03-04T14:00:00",
        ends_at: "2024-03-04T17:00:00",
        capacity: 30,
        tags: &["聚酰胺", "新材料"],
    },
    DemoEvent {
        id: "2024d3e0-0000-4000-8000-000000000002",
        title: "舟山功能膜材料推介会",
        summary: "Promotion of Zhoushan's functional-membrane materials chain and its industrial platforms to target companies.",
        kind: "promotion",
        city: "舟山",
        venue: "舟山市投资促进中心",
        starts_at: "2024-04-18T09:30:00",
        ends_at: "2024-04-18T11:30:00",
        capacity: 60,
        tags: &["功能膜", "新材料"],
    },
    DemoEvent {
        id: "2024d3e0-0000-4000-8000-000000000003",
        title: "日本化工企业交流会",
        summary: "Exchange with Japanese chemical companies on electronic chemicals and new materials projects in Zhoushan.",
        kind: "exchange",
        city: "上海",
        venue: "上海国际会议中心",
        starts_at: "2024-05-16T14:00:00",
        ends_at: "2024-05-16T17:30:00",
        capacity: 40,
        tags: &["电子化学品", "日资"],
    },
    DemoEvent {
        id: "2024d3e0-0000-4000-8000-000000000004",
        title: "资本项目对接会",
        summary: "Matchmaking between investment funds and projects under negotiation in the new-materials chains.",
        kind: "matchmaking",
        city: "宁波",
        venue: "宁波南苑饭店",
        starts_at: "2024-06-13T14:30:00",
        ends_at: "2024-06-13T17:00:00",
        capacity: 50,
        tags: &["资本", "项目对接"],
    },
];

/// Loads the demo roadshow, its events, the divisions and their intentions; what already
/// exists is left as it is.
pub fn load(db: &Database, now: chrono::NaiveDateTime) -> Result<String, Error> {
    db.write_blocking(|c| {
        let mut created = 0;
        if roadshow_queries::find(c, ROADSHOW_ID)?.is_none() {
            let input = NewRoadshow {
                name: Some("2024 New Materials Investment Roadshow".into()),
                description: Some(
                    "小切口招商活动系列: four events in Fuzhou, Zhoushan, Shanghai and Ningbo on the \
                     petrochemical new-materials chains (first half of 2024)."
                        .into(),
                ),
                theme: Some("石化新材料".into()),
            };
            roadshow_queries::insert(c, &new_roadshow(input, ROADSHOW_ID.into(), now)?)?;
            created += 1;
        }
        for e in &EVENTS {
            if event_queries::find(c, e.id)?.is_some() {
                continue;
            }
            let input = NewEvent {
                title: Some(e.title.into()),
                summary: Some(e.summary.into()),
                kind: Some(e.kind.into()),
                industry_chain: Some("石化新材料".into()),
                platform: Some("舟山绿色石化基地".into()),
                city: Some(e.city.into()),
                venue: Some(e.venue.into()),
                timezone: Some("Asia/Shanghai".into()),
                starts_at: Some(e.starts_at.into()),
                ends_at: Some(e.ends_at.into()),
                capacity: Some(e.capacity),
                status: Some("scheduled".into()),
                public_registration: Some(true),
                roadshow_id: Some(ROADSHOW_ID.into()),
                tags: Some(e.tags.iter().map(|t| t.to_string()).collect()),
                ..Default::default()
            };
            let row = rules::new_event(input, e.id.into(), now)?;
            event_queries::insert(c, &row)?;
            created += 1;
        }
        created += load_pipeline(c, now)?;
        Ok(if created == 0 {
            "demo data already present; nothing changed".to_string()
        } else {
            format!("demo roadshow {ROADSHOW_ID} loaded ({created} records created)")
        })
    })
}

/// The five investment divisions (招商一处…五处), with fixed ids.
const TEAMS: [(&str, &str); 5] = [
    ("2024d3e0-0000-4000-8000-0000000000a1", "招商一处"),
    ("2024d3e0-0000-4000-8000-0000000000a2", "招商二处"),
    ("2024d3e0-0000-4000-8000-0000000000a3", "招商三处"),
    ("2024d3e0-0000-4000-8000-0000000000a4", "招商四处"),
    ("2024d3e0-0000-4000-8000-0000000000a5", "招商五处"),
];

struct DemoIntention {
    id: &'static str,
    company: &'static str,
    event: usize,
    team: usize,
    project: &'static str,
    chain: &'static str,
    stage: &'static str,
    amount: Option<&'static str>,
    next: Option<&'static str>,
    signed_on: Option<&'static str>,
    landed_on: Option<&'static str>,
    dropped_reason: Option<&'static str>,
}

/// Follow-ups from the seed article's events, one per kind of ending.
const INTENTIONS: [DemoIntention; 4] = [
    DemoIntention {
        id: "2024d3e0-0000-4000-8000-0000000000b1",
        company: "永荣锦江",
        event: 0,
        team: 0,
        project: "高端聚酰胺新材料项目",
        chain: "石化新材料",
        stage: "engaged",
        amount: Some("800000000"),
        next: Some("2024-07-15"),
        signed_on: None,
        landed_on: None,
        dropped_reason: None,
    },
    DemoIntention {
        id: "2024d3e0-0000-4000-8000-0000000000b2",
        company: "浙江功能膜材料有限公司",
        event: 1,
        team: 1,
        project: "功能膜材料生产基地",
        chain: "功能膜材料",
        stage: "assessing",
        amount: None,
        next: Some("2024-06-30"),
        signed_on: None,
        landed_on: None,
        dropped_reason: None,
    },
    DemoIntention {
        id: "2024d3e0-0000-4000-8000-0000000000b3",
        company: "日华电子化学株式会社",
        event: 2,
        team: 2,
        project: "电子化学品项目",
        chain: "电子化学品",
        stage: "landed",
        amount: Some("1000000000"),
        next: None,
        signed_on: Some("2024-06-20"),
        landed_on: Some("2024-09-10"),
        dropped_reason: None,
    },
    DemoIntention {
        id: "2024d3e0-0000-4000-8000-0000000000b4",
        company: "甬江新材料投资有限公司",
        event: 3,
        team: 3,
        project: "聚烯烃弹性体项目",
        chain: "石化新材料",
        stage: "dropped",
        amount: Some("300000000"),
        next: None,
        signed_on: None,
        landed_on: None,
        dropped_reason: Some("企业决定在原址扩产，暂无外迁计划"),
    },
];

/// The divisions and a few intentions from the seed; what exists is left alone.
fn load_pipeline(c: &mut crate::db::Db, now: chrono::NaiveDateTime) -> Result<usize, Error> {
    let mut created = 0;
    for (id, name) in TEAMS {
        if teams::queries::find(c, id)?.is_some() {
            continue;
        }
        let input = teams::model::NewTeam {
            name: Some(name.into()),
            ..Default::default()
        };
        teams::queries::insert(c, &teams::rules::new_team(input, id.into(), now)?)?;
        created += 1;
    }
    let date = |s: Option<&str>| s.and_then(|s| s.parse().ok());
    let today = chrono::TimeZone::from_utc_datetime(&chrono_tz::Asia::Shanghai, &now).date_naive();
    for i in &INTENTIONS {
        if intentions::queries::find(c, i.id)?.is_some() {
            continue;
        }
        let company = companies::queries::find_or_create(c, i.company, now)?;
        let input = intentions::model::NewIntention {
            company_id: Some(company.id),
            event_id: Some(EVENTS[i.event].id.into()),
            project_name: Some(i.project.into()),
            industry_chain: Some(i.chain.into()),
            platform: Some("舟山绿色石化基地".into()),
            stage: Some(intentions::model::Stage::from_checked(i.stage)),
            interest_level: Some(intentions::model::InterestLevel::High),
            investment_amount: i.amount.map(String::from),
            next_follow_up_on: date(i.next),
            signed_on: date(i.signed_on),
            landed_on: date(i.landed_on),
            dropped_reason: i.dropped_reason.map(String::from),
            ..Default::default()
        };
        let row = intentions::rules::new_intention(input, i.id.into(), TEAMS[i.team].0.into(), today, now)?;
        intentions::queries::insert(c, &row)?;
        intentions::queries::record(c, &row.id, intentions::rules::changes(None, &row), "demo", None, now)?;
        created += 1;
    }
    Ok(created)
}
