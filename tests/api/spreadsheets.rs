//! Spreadsheets: CSV export and import, with Chinese text, round trip included.

use serde_json::json;

use crate::helpers::{id, read, spawn, TestApp};

async fn import(app: &TestApp, event: &str, content_type: &str, body: &str) -> crate::helpers::Resp {
    let res = app
        .client
        .post(format!("{}/api/v1/events/{event}/registrations/import", app.base))
        .bearer_auth(&app.organiser)
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    read(res).await
}

#[tokio::test]
async fn export_then_import_into_another_event_round_trips() {
    let app = spawn().await;
    let a = app.open_event(json!({ "capacity": 2 })).await;
    let people = [
        json!({ "name": "张伟", "email": "zhang@toray.cn", "company_name": "东丽（中国）", "title": "总经理", "phone": "+86 21 1234", "role": "speaker" }),
        json!({ "name": "Yamada, Taro", "email": "yamada@mitsui.jp", "company_name": "Mitsui \"Chemicals\"", "notes": "需要翻译\n日语" }),
        json!({ "name": "李娜", "email": "lina@scu.edu.cn", "company_name": "四川大学", "role": "expert" }),
    ];
    for p in &people {
        assert_eq!(app.register(&a, p.clone()).await.status, 201);
    }
    let first = app.get(&format!("/api/v1/events/{a}/registrations")).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(&format!("/api/v1/registrations/{first}/check-in"), json!({}))
        .await;

    let export = app.get(&format!("/api/v1/events/{a}/registrations.csv")).await;
    assert_eq!(export.status, 200);
    assert!(export.header("content-type").unwrap().starts_with("text/csv"));
    assert!(export.text.starts_with('\u{feff}'), "UTF-8 with BOM");
    let lines: Vec<&str> = export.text.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("name,email,phone,title,company,role,status"),
        "{}",
        lines[0]
    );
    assert!(export.text.contains("张伟,zhang@toray.cn"));
    assert!(export.text.contains("东丽（中国）"));
    assert!(export.text.contains("\"Yamada, Taro\""));
    assert!(export.text.contains("+08:00"), "times in the event's zone");
    let mut reader = csv::Reader::from_reader(export.text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][6], "registered");
    assert_eq!(&rows[2][6], "waitlisted");
    assert_eq!(&rows[2][7], "1");
    assert!(!rows[0][9].is_empty(), "check-in time exported");

    let b = app
        .open_event(json!({ "city": "宁波", "starts_at": "2030-06-13T14:30:00" }))
        .await;
    let report = import(&app, &b, "text/csv; charset=utf-8", &export.text).await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(
        (report.body["created"].as_i64(), report.body["invalid"].as_i64()),
        (Some(3), Some(0)),
        "{}",
        report.text
    );
    assert_eq!(app.counts(&b).await.0, 3);
    let again = app.get(&format!("/api/v1/events/{b}/registrations.csv")).await.text;
    for name in [
        "张伟",
        "Yamada, Taro",
        "李娜",
        "东丽（中国）",
        "Mitsui \"\"Chemicals\"\"",
    ] {
        assert!(again.contains(name), "{name} missing from {again}");
    }
    // Imported people are the same contacts, not copies.
    let contacts = app.get("/api/v1/contacts?limit=200").await;
    assert_eq!(contacts.body["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn import_reports_each_row_and_never_aborts_good_ones() {
    let app = spawn().await;
    let ev = app.open_event(json!({})).await;
    let file = "姓名,邮箱,单位,职务,电话,角色\n\
                王伟,wang@wanhua.cn,万华化学,总经理,138,\n\
                王伟,WANG@wanhua.cn,万华化学,总经理,138,\n\
                赵六,not-an-email,,,,\n\
                ,nobody@x.cn,,,,\n\
                孙七,sun@x.cn,,,,vip\n\
                周八,zhou@x.cn,,教授,,expert\n";
    let r = import(&app, &ev, "text/csv", file).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let outcome: Vec<(i64, String)> = r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["row"].as_i64().unwrap(),
                row["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        (2, "created"),
        (3, "duplicate"),
        (4, "invalid"),
        (5, "invalid"),
        (6, "invalid"),
        (7, "created"),
    ];
    assert_eq!(outcome, expected.map(|(n, o)| (n, o.to_string())));
    assert_eq!(
        (
            r.body["created"].as_i64(),
            r.body["duplicate"].as_i64(),
            r.body["invalid"].as_i64()
        ),
        (Some(2), Some(1), Some(3))
    );
    assert!(r.body["rows"][2]["reason"].as_str().unwrap().contains("email"));
    assert_eq!(
        r.body["rows"][1]["registration_id"],
        r.body["rows"][0]["registration_id"]
    );
    assert_eq!(app.counts(&ev).await.0, 2);
    let company = app.get("/api/v1/companies?q=万华").await;
    assert_eq!(company.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn files_that_are_not_csv_are_refused() {
    let app = spawn().await;
    let ev = app.open_event(json!({})).await;
    import(&app, &ev, "text/csv", "{\"name\": \"x\", \"email\": \"y\"}")
        .await
        .assert_problem(400);
    import(&app, &ev, "text/csv", "").await.assert_problem(400);
    import(&app, &ev, "application/json", "name,email\nx,x@y.cn\n")
        .await
        .assert_problem(415);
    let draft = id(&app.event(json!({})).await);
    import(&app, &draft, "text/csv", "name,email\nx,x@y.cn\n")
        .await
        .assert_problem(409);
    let binary = app
        .client
        .post(format!("{}/api/v1/events/{ev}/registrations/import", app.base))
        .bearer_auth(&app.organiser)
        .header("content-type", "text/csv")
        .body(vec![0xffu8, 0xfe, 0x00, 0x41])
        .send()
        .await
        .unwrap();
    read(binary).await.assert_problem(400);
}

#[tokio::test]
async fn a_long_import_seats_rows_in_file_order_and_settles_each_row_as_one_by_one_would() {
    let app = spawn().await;
    let ev = app.open_event(json!({ "capacity": 120 })).await;
    // Known before the import: one registered here already, one known from another
    // event with a company, one whose empty phone the file fills in.
    let here = app
        .register(&ev, json!({ "name": "王已报", "email": "already@x.cn" }))
        .await;
    assert_eq!(here.status, 201, "{}", here.text);
    let other = app.open_event(json!({})).await;
    for p in [
        json!({ "name": "Known Person", "email": "known@x.cn", "company_name": "Toray" }),
        json!({ "name": "李补", "email": "fill@x.cn" }),
    ] {
        assert_eq!(app.register(&other, p).await.status, 201);
    }
    // 250 rows, three chunks: the first holds a duplicate, the second a contact to
    // change (it goes row by row), the third a known contact the row leaves as is.
    let mut file = String::from("name,email,company,phone\n");
    for i in 0..250 {
        file += &match i {
            50 => "王已报,already@x.cn,,\n".to_string(),
            150 => "李补,fill@x.cn,,139\n".to_string(),
            200 => "Known Person,KNOWN@x.cn,,\n".to_string(),
            _ => format!("导入{i},p{i}@import.cn,公司{},\n", i % 7),
        };
    }
    let r = import(&app, &ev, "text/csv", &file).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["created"].as_i64(),
            r.body["duplicate"].as_i64(),
            r.body["invalid"].as_i64()
        ),
        (Some(249), Some(1), Some(0)),
        "{}",
        r.text
    );
    assert_eq!(r.body["rows"][50]["outcome"], "duplicate");
    assert_eq!(r.body["rows"][50]["row"], 52);
    assert_eq!(r.body["rows"][50]["registration_id"], here.body["id"]);
    // One seat was taken before: 119 for the file, in its order, then the waitlist.
    assert_eq!(app.counts(&ev).await.0, 120);
    let export = app.get(&format!("/api/v1/events/{ev}/registrations.csv")).await;
    let mut reader = csv::Reader::from_reader(export.text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 250);
    let imported: Vec<(String, String, String)> = rows[1..]
        .iter()
        .map(|row| (row[1].to_string(), row[6].to_string(), row[7].to_string()))
        .collect();
    let mut position = 0;
    for (k, i) in (0..250).filter(|&i| i != 50).enumerate() {
        let email = match i {
            150 => "fill@x.cn".to_string(),
            200 => "known@x.cn".to_string(),
            _ => format!("p{i}@import.cn"),
        };
        let expected = match i < 120 {
            true => (email, "registered".to_string(), String::new()),
            false => {
                position += 1;
                (email, "waitlisted".to_string(), position.to_string())
            }
        };
        assert_eq!(imported[k], expected, "row for i = {i}");
    }
    // The known contact keeps their company; the changed one got the phone.
    let known = rows.iter().find(|row| &row[1] == "known@x.cn").unwrap();
    assert_eq!(&known[4], "Toray");
    let filled = app.get("/api/v1/contacts?q=fill%40x.cn").await;
    assert_eq!(filled.body["items"][0]["phone"], "139", "{}", filled.text);
    // Seven companies named in the file, each made once; every new person findable.
    let companies = app.get("/api/v1/companies?q=公司&limit=50").await;
    assert_eq!(
        companies.body["items"].as_array().unwrap().len(),
        7,
        "{}",
        companies.text
    );
    let found = app.get("/api/v1/contacts?q=导入249").await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1, "{}", found.text);
    // Each registration got its one email at once: a confirmation with its reminders,
    // or a waitlist note with its position.
    for (row, kind) in [(0, "confirmation"), (249, "waitlisted")] {
        let id = r.body["rows"][row]["registration_id"].as_str().unwrap();
        let emails = app.get(&format!("/api/v1/registrations/{id}/emails")).await;
        let kinds: Vec<&str> = emails.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == kind).count(), 1, "{kinds:?}");
        let reminders = kinds.iter().filter(|k| **k == "reminder").count();
        assert_eq!(reminders, if kind == "confirmation" { 3 } else { 0 }, "{kinds:?}");
    }
}
