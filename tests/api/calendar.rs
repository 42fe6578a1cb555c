//! Calendar files: parsed back, with zones, stable UIDs, rising SEQUENCE and cancellations.

use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventLike, EventStatus};
use serde_json::json;

use crate::helpers::{id, spawn, Resp};

fn parse(r: &Resp) -> Vec<icalendar::Event> {
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("text/calendar"));
    assert!(r.text.contains("\r\n"), "lines must end in CRLF");
    let cal: Calendar = r.text.parse().expect("a valid calendar");
    cal.components
        .into_iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn start(e: &icalendar::Event) -> (String, String) {
    match e.get_start() {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) => {
            (date_time.format("%Y%m%dT%H%M%S").to_string(), tzid)
        }
        other => panic!("expected a zoned start, got {other:?}"),
    }
}

#[tokio::test]
async fn event_calendar_has_zone_uid_sequence_and_status() {
    let app = spawn().await;
    let e = app.event(json!({ "ends_at": "2024-03-04T17:00:00", "venue": "福州会议中心", "summary": "Polyamide forum", "status": "scheduled" })).await;
    let path = format!("/api/v1/events/{}/calendar.ics", id(&e));
    let first = app.get(&path).await;
    let events = parse(&first);
    assert_eq!(events.len(), 1);
    let ev = &events[0];
    let uid = ev.get_uid().unwrap().to_string();
    assert!(uid.starts_with(&id(&e)));
    assert_eq!(start(ev), ("20240304T140000".to_string(), "Asia/Shanghai".to_string()));
    assert_eq!(ev.get_summary(), Some("高端聚酰胺产业机遇座谈会"));
    assert_eq!(ev.get_sequence(), Some(0));
    assert_eq!(ev.get_status(), Some(EventStatus::Confirmed));
    assert!(ev.get_location().unwrap().contains("福州会议中心"));
    assert!(
        first.text.contains("BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\n"),
        "{}",
        first.text
    );
    assert!(first.text.contains("TZOFFSETTO:+0800"));

    // A title change keeps the sequence; a time change raises it; the UID stays.
    app.patch(&format!("/api/v1/events/{}", id(&e)), json!({ "title": "座谈会" }))
        .await;
    assert_eq!(parse(&app.get(&path).await)[0].get_sequence(), Some(0));
    app.patch(
        &format!("/api/v1/events/{}", id(&e)),
        json!({ "starts_at": "2024-03-04T15:00:00" }),
    )
    .await;
    let moved = parse(&app.get(&path).await);
    assert_eq!(moved[0].get_sequence(), Some(1));
    assert_eq!(moved[0].get_uid(), Some(uid.as_str()));
    assert_eq!(start(&moved[0]).0, "20240304T150000");

    app.post(
        &format!("/api/v1/events/{}/cancel", id(&e)),
        json!({ "reason": "台风" }),
    )
    .await;
    let cancelled = parse(&app.get(&path).await);
    assert_eq!(cancelled[0].get_status(), Some(EventStatus::Cancelled));
    assert_eq!(cancelled[0].get_sequence(), Some(2));
    assert_eq!(cancelled[0].get_uid(), Some(uid.as_str()));
}

#[tokio::test]
async fn dst_zone_calendar_describes_both_offsets() {
    let app = spawn().await;
    let e = app
        .event(json!({ "city": "Berlin", "timezone": "Europe/Berlin", "starts_at": "2025-10-27T09:00:00" }))
        .await;
    let r = app.get(&format!("/api/v1/events/{}/calendar.ics", id(&e))).await;
    assert_eq!(
        start(&parse(&r)[0]),
        ("20251027T090000".to_string(), "Europe/Berlin".to_string())
    );
    assert!(r.text.contains("BEGIN:DAYLIGHT"), "{}", r.text);
    assert!(
        r.text
            .contains("DTSTART:20251026T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn roadshow_calendar_keeps_each_event_in_its_zone() {
    let app = spawn().await;
    let rs = app.roadshow("中日路演").await;
    let rid = id(&rs);
    app.event(json!({ "city": "上海", "starts_at": "2024-05-16T14:00:00", "roadshow_id": rid }))
        .await;
    app.event(
        json!({ "city": "東京", "timezone": "Asia/Tokyo", "starts_at": "2024-05-20T10:00:00", "roadshow_id": rid }),
    )
    .await;
    let r = app.get(&format!("/api/v1/roadshows/{rid}/calendar.ics")).await;
    let events = parse(&r);
    let starts: Vec<_> = events.iter().map(start).collect();
    assert_eq!(
        starts,
        [
            ("20240516T140000".to_string(), "Asia/Shanghai".to_string()),
            ("20240520T100000".to_string(), "Asia/Tokyo".to_string())
        ]
    );
    assert_eq!(r.text.matches("BEGIN:VTIMEZONE").count(), 2);
    let uids: std::collections::HashSet<_> = events.iter().map(|e| e.get_uid().unwrap().to_string()).collect();
    assert_eq!(uids.len(), 2);
    app.get(&format!("/api/v1/roadshows/{}/calendar.ics", uuid::Uuid::new_v4()))
        .await
        .assert_problem(404);
}
