//! Text search (`q`) over contacts, registrations, companies and events: Chinese,
//! Japanese and Latin, short and long queries, the list order and cursors, and
//! erasure. Run on both backends, the expected results are the same literals.

use serde_json::{json, Value};

use crate::helpers::{id, spawn, Resp, TestApp};

/// One field of every item of a list.
fn field(r: &Resp, name: &str) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[name].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The names of the contacts matching `q`, following every cursor with `limit`.
async fn all_pages(app: &TestApp, path: &str, q: &str, limit: u32, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}?q={}&limit={limit}", urlencode(q));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let r = app.get(&url).await;
        out.extend(field(&r, key));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn contact(app: &TestApp, name: &str, email: &str) -> String {
    let r = app
        .post("/api/v1/contacts", json!({ "name": name, "email": email }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    id(&r.body)
}

#[tokio::test]
async fn contacts_are_found_by_any_part_of_their_name_or_email_in_any_script() {
    let app = spawn().await;
    let people = [
        ("王伟", "Wang.Wei@example.cn"),
        ("王芳", "wangfang@example.cn"),
        ("李王明", "li.wm@example.cn"),
        ("山田太郎", "yamada@mitsui.co.jp"),
        ("ワン・ウェイ", "wan@example.jp"),
        ("Ölaf Ström", "olaf@example.se"),
        ("Abc Bcd Cde", "abc@example.com"),
        ("Margaret Johnson", "mj@polyamide.org"),
    ];
    let mut ids = Vec::new();
    for (name, email) in people {
        ids.push(contact(&app, name, email).await);
    }
    let find = |q: &'static str| {
        let app = &app;
        async move { all_pages(app, "/api/v1/contacts", q, 50, "name").await }
    };
    // The same answers while the new rows wait in the search queue and once merged.
    for merged in [false, true] {
        if merged {
            merge_search(&app).await;
        }
        assert_eq!(find("王").await, ["王伟", "王芳", "李王明"]);
        assert_eq!(find("王伟").await, ["王伟"]);
        assert_eq!(find("太郎").await, ["山田太郎"]);
        assert_eq!(find("山田太郎").await, ["山田太郎"]);
        assert_eq!(find("ウェイ").await, ["ワン・ウェイ"]);
        assert_eq!(find("ン").await, ["ワン・ウェイ"]);
        assert_eq!(find("WANG").await, ["王伟", "王芳"]);
        assert_eq!(find("wang.wei@").await, ["王伟"]);
        assert_eq!(find("ström").await, ["Ölaf Ström"]);
        assert_eq!(find("STRÖM").await, ["Ölaf Ström"]);
        assert_eq!(find("ö").await, ["Ölaf Ström"]);
        assert_eq!(find("polyamide").await, ["Margaret Johnson"]);
        assert_eq!(find("garet john").await, ["Margaret Johnson"]);
        // Two ASCII letters: found by a scan, the same way.
        assert_eq!(find("mi").await, ["山田太郎", "Margaret Johnson"]);
        assert_eq!(find("yo").await, Vec::<String>::new());
        // Every 3-gram is there, but not in a row.
        assert_eq!(find("abcde").await, Vec::<String>::new());
        assert_eq!(find("伟芳").await, Vec::<String>::new());
        assert_eq!(find("50%").await, Vec::<String>::new());
        // A short page keeps the order and the cursor.
        assert_eq!(
            all_pages(&app, "/api/v1/contacts", "王", 1, "name").await,
            ["王伟", "王芳", "李王明"]
        );
        assert_eq!(
            all_pages(&app, "/api/v1/contacts", "example", 2, "name").await,
            ["王伟", "王芳", "李王明", "ワン・ウェイ", "Ölaf Ström", "Abc Bcd Cde"]
        );
    }

    // A changed name is found by the new name only.
    let r = app
        .patch(&format!("/api/v1/contacts/{}", ids[2]), json!({ "name": "李明" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(find("王").await, ["王伟", "王芳"]);
    assert_eq!(find("李明").await, ["李明"]);

    // An erased contact is not found by its old name or email.
    assert_eq!(app.delete(&format!("/api/v1/contacts/{}", ids[1])).await.status, 204);
    assert_eq!(find("王").await, ["王伟"]);
    assert_eq!(find("王芳").await, Vec::<String>::new());
    assert_eq!(find("wangfang").await, Vec::<String>::new());
    assert_eq!(find("wangfang@example.cn").await, Vec::<String>::new());
    merge_search(&app).await;
    assert_eq!(find("王").await, ["王伟"]);
    assert_eq!(find("李明").await, ["李明"]);
    assert_eq!(find("王芳").await, Vec::<String>::new());
    assert_eq!(find("wangfang").await, Vec::<String>::new());
}

/// Merges every queued search document now (the service does it about once a second).
async fn merge_search(app: &TestApp) {
    loop {
        let merged = app
            .database
            .write::<_, roadshow::error::Error, _>(|c| roadshow::db::search::merge(c, 100))
            .await
            .expect("merge");
        if merged == 0 {
            return;
        }
    }
}

#[tokio::test]
async fn an_events_registrations_are_searched_by_the_persons_name_or_email() {
    let app = spawn().await;
    let event = app.open_event(json!({})).await;
    let other = app.open_event(json!({ "title": "Another" })).await;
    let person = |name: &str, email: &str| json!({ "name": name, "email": email });
    for (name, email) in [
        ("王伟", "wangwei@example.cn"),
        ("山田花子", "hanako@toray.co.jp"),
        ("Margaret Johnson", "mj@polyamide.org"),
        ("王小明", "xm@example.cn"),
    ] {
        let r = app.register(&event, person(name, email)).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = app.register(&other, person("王五", "w5@example.cn")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let regs = |q: &'static str| {
        let (app, path) = (&app, format!("/api/v1/events/{event}/registrations"));
        async move {
            let mut url = format!("{path}?q={}", urlencode(q));
            url.push_str("&limit=1");
            let mut names = Vec::new();
            let mut r = app.get(&url).await;
            loop {
                names.extend(
                    r.body["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i["contact"]["name"].as_str().unwrap_or_default().to_string()),
                );
                match r.body["next_cursor"].as_str() {
                    Some(c) => r = app.get(&format!("{url}&cursor={c}")).await,
                    None => return names,
                }
            }
        }
    };
    assert_eq!(regs("王").await, ["王伟", "王小明"]);
    assert_eq!(regs("小明").await, ["王小明"]);
    assert_eq!(regs("花子").await, ["山田花子"]);
    assert_eq!(regs("toray").await, ["山田花子"]);
    assert_eq!(regs("JOHNSON").await, ["Margaret Johnson"]);
    assert_eq!(regs("王五").await, Vec::<String>::new());
}

#[tokio::test]
async fn companies_and_events_are_found_by_their_documented_fields() {
    let app = spawn().await;
    for (name, en) in [
        ("永荣锦江集团", Some("Yongrong Jinjiang")),
        ("東レ株式会社", Some("Toray Industries")),
        ("四川大学", None),
        ("Mitsui   Chemicals", None),
    ] {
        let r = app
            .post("/api/v1/companies", json!({ "name": name, "name_en": en }))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let companies = |q: &'static str| {
        let app = &app;
        async move { all_pages(app, "/api/v1/companies", q, 50, "name").await }
    };
    assert_eq!(companies("東レ").await, ["東レ株式会社"]);
    assert_eq!(companies("toray ind").await, ["東レ株式会社"]);
    assert_eq!(companies("大").await, ["四川大学"]);
    assert_eq!(companies("锦江").await, ["永荣锦江集团"]);
    assert_eq!(companies("jinjiang").await, ["永荣锦江集团"]);
    assert_eq!(companies("mitsui chem").await, ["Mitsui   Chemicals"]);
    assert_eq!(companies("会社").await, ["東レ株式会社"]);

    // Listed by start time.
    let ev = |title: &str, city: &str, venue: Option<&str>, day: u32| -> Value {
        json!({ "title": title, "city": city, "venue": venue, "starts_at": format!("2024-03-{day:02}T14:00:00") })
    };
    app.event(ev("高端聚酰胺产业机遇座谈会", "福州", None, 4)).await;
    app.event(ev("機能性膜材料推介会", "舟山", Some("Zhoushan Grand Hotel"), 5))
        .await;
    let draft = app
        .event(ev("Exchange with Japanese chemical companies", "上海", Some("虹桥"), 6))
        .await;
    let events = |q: &'static str| {
        let app = &app;
        async move { all_pages(app, "/api/v1/events", q, 50, "title").await }
    };
    assert_eq!(events("福州").await, ["高端聚酰胺产业机遇座谈会"]);
    assert_eq!(events("福").await, ["高端聚酰胺产业机遇座谈会"]);
    assert_eq!(events("聚酰胺产业").await, ["高端聚酰胺产业机遇座谈会"]);
    assert_eq!(events("grand hotel").await, ["機能性膜材料推介会"]);
    assert_eq!(events("膜材料").await, ["機能性膜材料推介会"]);
    assert_eq!(events("JAPANESE").await, ["Exchange with Japanese chemical companies"]);
    assert_eq!(events("虹").await, ["Exchange with Japanese chemical companies"]);
    assert_eq!(events("会").await, ["高端聚酰胺产业机遇座谈会", "機能性膜材料推介会"]);

    // A renamed event is found by its new title; a deleted draft not at all.
    let r = app
        .patch(
            &format!("/api/v1/events/{}", id(&draft)),
            json!({ "title": "日化交流会" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(events("japanese").await, Vec::<String>::new());
    assert_eq!(events("日化").await, ["日化交流会"]);
    assert_eq!(app.delete(&format!("/api/v1/events/{}", id(&draft))).await.status, 204);
    assert_eq!(events("日化").await, Vec::<String>::new());
    assert_eq!(events("虹").await, Vec::<String>::new());
}

#[tokio::test]
async fn a_common_word_pages_through_every_match_before_and_after_the_merge() {
    let app = spawn().await;
    let event = app.open_event(json!({ "capacity": 5000 })).await;
    // More holders of each gram than the index fetches one by one (1,000): the list is
    // then walked in its own order and each row's document checked.
    let mut csv = String::from("name,email\n");
    let mut expected: Vec<String> = (0..1100).map(|i| format!("王伟{i:04}")).collect();
    for (i, name) in expected.iter().enumerate() {
        csv.push_str(&format!("{name},ww{i:04}@example.cn\n"));
    }
    csv.push_str("李明,lm@example.org\nÉmile ZOLA,ez@example.org\n");
    let r = app
        .client
        .post(format!("{}/api/v1/events/{event}/registrations/import", app.base))
        .bearer_auth(&app.organiser)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    expected.sort();
    common_word_answers(&app, &event, &expected).await;
    merge_search(&app).await;
    common_word_answers(&app, &event, &expected).await;
}

/// What the test above expects of each search, whichever way it is answered.
async fn common_word_answers(app: &TestApp, event: &str, expected: &[String]) {
    for q in ["王伟", "example.cn", "伟0"] {
        let mut names = all_pages(app, "/api/v1/contacts", q, 200, "name").await;
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "{q}: a contact on two pages");
        let want: Vec<&String> = expected
            .iter()
            .filter(|n| q != "伟0" || n.starts_with("王伟0"))
            .collect();
        assert_eq!(names.iter().collect::<Vec<_>>(), want, "{q}");
    }
    assert_eq!(
        all_pages(app, "/api/v1/contacts", "émile", 50, "name").await,
        ["Émile ZOLA"]
    );
    assert_eq!(
        all_pages(app, "/api/v1/contacts", "王伟0999", 50, "name").await,
        ["王伟0999"]
    );
    let path = format!("/api/v1/events/{event}/registrations?q={}&limit=50", urlencode("王伟"));
    let page = app.get(&path).await;
    assert_eq!(page.body["items"].as_array().map(Vec::len), Some(50), "{}", page.text);
    assert!(page.body["next_cursor"].is_string());
}
