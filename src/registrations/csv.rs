//! Spreadsheets: registrations exported as CSV (UTF-8 with BOM) and imported from CSV
//! with English or Chinese headers.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{NewRegistration, RegistrationStatus, RegistrationView};
use crate::error::Error;
use crate::spreadsheet::{neutralise, restore, BOM};
use crate::time::in_zone;

/// The byte-order mark that makes spreadsheet programs read UTF-8 (and so Chinese) right.
/// The largest import file (10 MiB).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most rows one import takes.
pub const MAX_ROWS: usize = 5_000;

/// The exported columns, also the import's English header names.
const COLUMNS: [&str; 12] = [
    "name",
    "email",
    "phone",
    "title",
    "company",
    "role",
    "status",
    "waitlist_position",
    "registered_at",
    "checked_in_at",
    "notes",
    "language",
];

/// Header names the import understands for each field (compared case-insensitively).
const ALIASES: [(&str, &[&str]); 8] = [
    ("name", &["name", "full name", "姓名", "名字", "氏名"]),
    (
        "email",
        &[
            "email",
            "e-mail",
            "email address",
            "邮箱",
            "电子邮箱",
            "电子邮件",
            "邮件",
            "メール",
        ],
    ),
    (
        "phone",
        &[
            "phone",
            "mobile",
            "telephone",
            "电话",
            "手机",
            "手机号",
            "联系电话",
            "電話",
        ],
    ),
    (
        "title",
        &["title", "job title", "position", "职务", "职位", "职称", "役職"],
    ),
    (
        "company",
        &[
            "company",
            "company_name",
            "organisation",
            "organization",
            "单位",
            "公司",
            "企业",
            "工作单位",
            "会社",
        ],
    ),
    ("role", &["role", "角色"]),
    ("notes", &["notes", "note", "备注", "備考"]),
    ("language", &["language", "语言", "言語"]),
];

/// The registrations of one event as CSV, times in the event's zone.
pub fn export(rows: &[RegistrationView], tz: Tz) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    w.write_record(COLUMNS).map_err(fail)?;
    let time = |t: Option<NaiveDateTime>| t.map(|t| in_zone(t, tz).to_rfc3339()).unwrap_or_default();
    for v in rows {
        let r = &v.row;
        let cells = [
            v.contact.name.as_str(),
            v.contact.email.as_str(),
            v.contact.phone.as_deref().unwrap_or(""),
            v.contact.title.as_deref().unwrap_or(""),
            v.company_name.as_deref().unwrap_or(""),
            r.role.as_str(),
            r.status.as_str(),
            &v.waitlist_position.map(|p| p.to_string()).unwrap_or_default(),
            &time(Some(r.created_at)),
            &time(r.checked_in_at),
            r.notes.as_deref().unwrap_or(""),
            v.contact.language.as_str(),
        ];
        for cell in cells {
            w.write_field(neutralise(cell).as_bytes()).map_err(fail)?;
        }
        w.write_record(None::<&[u8]>).map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(format!("csv: {e}")))?;
    Ok(format!("{BOM}{}", String::from_utf8_lossy(&bytes)))
}

/// One data row of an import: where it is and what it asks for.
#[derive(Debug)]
pub struct ImportRow {
    /// The row number a spreadsheet shows (the header is row 1; blank lines count).
    pub row: u64,
    /// The line of the file the row starts on (differs from `row` after a cell that
    /// spans lines).
    pub line: u64,
    pub request: Result<NewRegistration, String>,
}

/// Reads an import file; a file that is not a CSV of people is a 400.
pub fn parse(bytes: &[u8]) -> Result<Vec<ImportRow>, Error> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::BadRequest("the file is not UTF-8 text; save it as \"CSV UTF-8\"".into()))?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::BadRequest(format!("the file is not CSV: {e}")))?
        .clone();
    let column = |field: &str| -> Option<usize> {
        let names = ALIASES
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, n)| *n)
            .unwrap_or(&[]);
        headers
            .iter()
            .position(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h.trim())))
    };
    let (Some(_), Some(_)) = (column("name"), column("email")) else {
        return Err(Error::BadRequest(
            "not a CSV of registrations: the header row needs name and email columns \
             (e.g. name,email or 姓名,邮箱)"
                .into(),
        ));
    };
    let columns: Vec<(&str, Option<usize>)> = ALIASES.iter().map(|(f, _)| (*f, column(f))).collect();
    let mut rows = Vec::new();
    // A spreadsheet shows a cell spanning lines as one row, and a blank line as a row
    // of its own (the reader skips it): count lines, less the extra ones cells span.
    let mut spanned = reader.position().line().saturating_sub(2);
    let mut record = csv::StringRecord::new();
    loop {
        let read = reader.read_record(&mut record);
        let start = match &read {
            Err(e) => e.position(),
            Ok(_) => record.position(),
        };
        let line = start.map_or_else(|| reader.position().line(), |p| first_line(text, p));
        let request = match read {
            Ok(false) => break,
            Err(e) => Err(format!("unreadable row: {e}")),
            Ok(true) if record.iter().all(|f| f.is_empty()) => Ok(None),
            Ok(true) => {
                let get = |field: &str| -> Option<String> {
                    let idx = columns.iter().find(|(f, _)| *f == field)?.1?;
                    record.get(idx).filter(|v| !v.is_empty()).map(restore)
                };
                Ok(Some(NewRegistration {
                    name: get("name"),
                    email: get("email"),
                    phone: get("phone"),
                    title: get("title"),
                    company_name: get("company"),
                    role: get("role"),
                    notes: get("notes"),
                    language: get("language"),
                    ..Default::default()
                }))
            }
        };
        let row = line.saturating_sub(spanned);
        spanned += reader.position().line().saturating_sub(line).saturating_sub(1);
        let Some(request) = request.transpose() else {
            continue;
        };
        if rows.len() >= MAX_ROWS {
            return Err(Error::BadRequest(format!("at most {MAX_ROWS} rows per import")));
        }
        rows.push(ImportRow { row, line, request });
    }
    Ok(rows)
}

/// The line a record starts on: its position counts from the blank lines the reader
/// skipped before it.
fn first_line(text: &str, at: &csv::Position) -> u64 {
    let skipped = text
        .as_bytes()
        .iter()
        .skip(at.byte() as usize)
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| **b == b'\n')
        .count();
    at.line() + skipped as u64
}

/// What happened to one imported row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    Created,
    Duplicate,
    Invalid,
}

/// The report for one imported row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowReport {
    /// The row number in the spreadsheet (the header is row 1).
    pub row: u64,
    /// The line of the file the row starts on (after a cell spanning lines it is
    /// larger than `row`).
    pub line: u64,
    pub outcome: ImportOutcome,
    /// The new registration, or for a duplicate the existing one.
    pub registration_id: Option<String>,
    pub status: Option<RegistrationStatus>,
    /// Why a row was a duplicate or invalid.
    pub reason: Option<String>,
}

/// The answer to an import.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub duplicate: usize,
    pub invalid: usize,
    pub rows: Vec<ImportRowReport>,
}

impl ImportReport {
    /// Adds a row's result to the report and its counts.
    pub fn push(&mut self, r: ImportRowReport) {
        match r.outcome {
            ImportOutcome::Created => self.created += 1,
            ImportOutcome::Duplicate => self.duplicate += 1,
            ImportOutcome::Invalid => self.invalid += 1,
        }
        self.rows.push(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_headers_and_bom_are_read() {
        let file = "\u{feff}姓名,邮箱,单位,职务,电话\n王伟,wang@x.cn,东丽,总经理,138\n,,,,\n李娜,,,,\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        let first = rows[0].request.as_ref().unwrap();
        assert_eq!(
            (first.name.as_deref(), first.company_name.as_deref()),
            (Some("王伟"), Some("东丽"))
        );
        assert_eq!(rows[1].row, 4);
        assert_eq!(rows[1].request.as_ref().unwrap().email, None);
    }

    #[test]
    fn rows_count_blank_lines_and_lines_count_cells_spanning_lines() {
        let file = "name,email,notes\na,a@x.cn,\"1\n2\"\n\nb,b@x.cn,\nc,c@x.cn,\"x\r\ny\"";
        let rows = parse(file.as_bytes()).unwrap();
        let at: Vec<(u64, u64)> = rows.iter().map(|r| (r.row, r.line)).collect();
        assert_eq!(at, [(2, 2), (4, 5), (5, 6)]);
    }

    #[test]
    fn files_that_are_not_csv_are_refused() {
        assert!(parse(b"{\"name\": \"x\"}").is_err());
        assert!(parse(&[0xff, 0xfe, 0x00]).is_err());
        assert!(parse(b"").is_err());
    }
}
