//! Intentions as a spreadsheet: UTF-8 with BOM, English or Chinese headers, exact
//! amounts, ISO dates, and no cell a spreadsheet program would run as a formula.

use chrono::SecondsFormat;

use super::service::Export;
use crate::error::Error;
use crate::spreadsheet::{neutralise, BOM};

/// Column headers: English, Chinese.
const COLUMNS: [(&str, &str); 21] = [
    ("id", "编号"),
    ("project_name", "项目名称"),
    ("company", "企业"),
    ("contact", "联系人"),
    ("event", "来源活动"),
    ("stage", "阶段"),
    ("interest_level", "意向程度"),
    ("investment_amount", "投资金额"),
    ("investment_currency", "币种"),
    ("owner_team", "负责处室"),
    ("next_follow_up_on", "下次跟进日期"),
    ("overdue", "是否逾期"),
    ("signed_on", "签约日期"),
    ("landed_on", "落地日期"),
    ("dropped_reason", "终止原因"),
    ("industry_chain", "产业链"),
    ("platform", "产业平台"),
    ("summary", "摘要"),
    ("company_id", "企业编号"),
    ("created_at", "创建时间"),
    ("updated_at", "更新时间"),
];

/// The export as CSV text; `chinese` picks the Chinese headers.
pub fn export(e: &Export, chinese: bool) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    w.write_record(COLUMNS.iter().map(|(en, zh)| if chinese { *zh } else { *en }))
        .map_err(fail)?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let name = |map: &std::collections::HashMap<String, String>, id: &Option<String>| {
        id.as_ref().and_then(|id| map.get(id)).cloned().unwrap_or_default()
    };
    for i in &e.items {
        let record = [
            i.id.clone(),
            i.project_name.clone(),
            e.names.companies.get(&i.company_id).cloned().unwrap_or_default(),
            name(&e.names.contacts, &i.contact_id),
            name(&e.names.events, &i.event_id),
            i.stage.as_str().to_string(),
            i.interest_level.map(|l| l.as_str().to_string()).unwrap_or_default(),
            text(&i.investment_amount),
            i.investment_currency.clone(),
            e.teams
                .get(&i.owner_team_id)
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            date(i.next_follow_up_on),
            i.overdue.to_string(),
            date(i.signed_on),
            date(i.landed_on),
            text(&i.dropped_reason),
            text(&i.industry_chain),
            text(&i.platform),
            text(&i.summary),
            i.company_id.clone(),
            i.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            i.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        ];
        w.write_record(record.iter().map(|c| neutralise(c).into_owned()))
            .map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(format!("csv: {e}")))?;
    Ok(format!("{BOM}{}", String::from_utf8_lossy(&bytes)))
}
