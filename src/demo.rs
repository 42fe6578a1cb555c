//! The demo roadshow: the four events of the seed article, loadable any number of times.

use crate::db::Database;
use crate::error::Error;
use crate::events::model::NewEvent;
use crate::events::{queries as event_queries, rules};
use crate::roadshows::model::{new_roadshow, NewRoadshow};
use crate::roadshows::queries as roadshow_queries;

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

/// Loads the demo roadshow and its events; what already exists is left as it is.
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
        Ok(if created == 0 {
            "demo data already present; nothing changed".to_string()
        } else {
            format!("demo roadshow {ROADSHOW_ID} loaded ({created} records created)")
        })
    })
}
