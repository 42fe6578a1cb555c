//! Contact types and rules: validation, merging into an existing contact, erasure.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::contacts;
use crate::db::stored_enum::Known;
use crate::db::stored_time::{MaybeStoredTime, StoredTime};
use crate::error::{Error, FieldError};
use crate::nullable::{not_null, nullable, whole};
use crate::string_enum;
use crate::time::parse_zone;
use crate::validation::{uuid, Checks};

const SHORT_MAX: usize = 200;

/// What erased personal data is replaced with.
pub const ERASED: &str = "[erased]";

string_enum! {
    /// The language reminders are written in.
    pub enum Language {
        #[serde(rename = "zh-CN")]
        ZhCn => "zh-CN",
        #[serde(rename = "en")]
        En => "en",
        #[serde(rename = "ja")]
        Ja => "ja",
    }
}

/// A contact as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = contacts, treat_none_as_null = true)]
pub struct ContactRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub email_key: String,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub company_id: Option<String>,
    #[diesel(deserialize_as = Known<Language>)]
    pub language: String,
    pub timezone: Option<String>,
    pub consent_reminders: bool,
    #[diesel(deserialize_as = MaybeStoredTime)]
    pub erased_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

/// A contact as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    /// Job title.
    pub title: Option<String>,
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
    pub language: Language,
    /// IANA time zone the person lives in, if known.
    #[schema(value_type = Option<crate::schema::TimeZone>)]
    pub timezone: Option<String>,
    pub consent_reminders: bool,
    /// When the person's data was erased; null for a live contact.
    pub erased_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Contact {
            language: Language::from_checked(&r.language),
            id: r.id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            title: r.title,
            company_id: r.company_id,
            timezone: r.timezone,
            consent_reminders: r.consent_reminders,
            erased_at: r.erased_at.map(|t| Utc.from_utc_datetime(&t)),
            created_at: Utc.from_utc_datetime(&r.created_at),
            updated_at: Utc.from_utc_datetime(&r.updated_at),
            version: r.version,
        }
    }
}

/// The body of `POST /api/v1/contacts`, and the inline person of a registration.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// Required.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    /// Required; unique ignoring case.
    #[schema(required = true, value_type = String, format = Email)]
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
    /// `zh-CN` (default), `en` or `ja`.
    #[schema(value_type = Option<Language>)]
    pub language: Option<String>,
    #[schema(value_type = Option<crate::schema::TimeZone>)]
    pub timezone: Option<String>,
    /// Default true.
    pub consent_reminders: Option<bool>,
}

/// The body of `PATCH /api/v1/contacts/{id}`: only the fields given change; `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, format = Email)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub company_id: Option<Option<String>>,
    #[schema(value_type = Option<Language>)]
    pub language: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<crate::schema::TimeZone>)]
    pub timezone: Option<Option<String>>,
    pub consent_reminders: Option<bool>,
    /// If given, must be the current version (409 otherwise).
    #[serde(default, deserialize_with = "whole")]
    pub version: Option<i32>,
}

/// Filters for `GET /api/v1/contacts`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Case-insensitive text in the name or email.
    pub q: Option<String>,
    #[param(value_type = Option<uuid::Uuid>)]
    pub company_id: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// The uniqueness key of an email: trimmed and lower-cased.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks an email address's shape (one `@`, a dotted domain, no spaces).
pub fn email(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let bad = || FieldError::new(field, format!("{value:?} is not an email address"));
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && v.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|l| !l.is_empty())
        && !v
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(bad())
    }
}

/// Validated contact fields, before they are stored or merged.
#[derive(Debug, Clone, Default)]
pub struct ContactFields {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub company_id: Option<String>,
    pub language: Option<Language>,
    pub timezone: Option<String>,
    pub consent_reminders: Option<bool>,
}

/// Validates a new contact's fields, recording problems in `c`.
pub fn validate(input: NewContact, c: &mut Checks) -> Option<ContactFields> {
    let name = c.required("name", input.name, SHORT_MAX);
    let email = match input.email {
        Some(e) if !e.trim().is_empty() => c.check(email("email", &e)),
        _ => {
            c.fail("email", "is required");
            None
        }
    };
    let fields = ContactFields {
        phone: c.text("phone", input.phone, 50),
        title: c.text("title", input.title, SHORT_MAX),
        company_id: input.company_id.and_then(|v| c.check(uuid("company_id", &v))),
        language: input.language.and_then(|v| c.check(Language::parse("language", &v))),
        timezone: input
            .timezone
            .and_then(|v| c.check(parse_zone("timezone", &v)))
            .map(|tz| tz.name().to_string()),
        consent_reminders: input.consent_reminders,
        name: name.clone().unwrap_or_default(),
        email: email.clone().unwrap_or_default(),
    };
    (name.is_some() && email.is_some()).then_some(fields)
}

/// A new contact row from validated fields.
pub fn new_row(f: ContactFields, id: String, now: NaiveDateTime) -> ContactRow {
    ContactRow {
        id,
        email_key: email_key(&f.email),
        name: f.name,
        email: f.email,
        phone: f.phone,
        title: f.title,
        company_id: f.company_id,
        language: f.language.unwrap_or(Language::ZhCn).as_str().into(),
        timezone: f.timezone,
        consent_reminders: f.consent_reminders.unwrap_or(true),
        erased_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// Fills only the empty fields of an existing contact; returns None when nothing changes.
pub fn fill_empty(current: &ContactRow, f: &ContactFields, now: NaiveDateTime) -> Option<ContactRow> {
    let mut row = current.clone();
    let fill = |slot: &mut Option<String>, v: &Option<String>| {
        if slot.is_none() {
            slot.clone_from(v);
        }
    };
    fill(&mut row.phone, &f.phone);
    fill(&mut row.title, &f.title);
    fill(&mut row.company_id, &f.company_id);
    fill(&mut row.timezone, &f.timezone);
    if row == *current {
        return None;
    }
    row.version += 1;
    row.updated_at = now;
    Some(row)
}

/// Applies a patch to a contact.
pub fn apply_patch(current: &ContactRow, p: ContactPatch, now: NaiveDateTime) -> Result<ContactRow, Error> {
    if current.erased_at.is_some() {
        return Err(Error::conflict("this contact was erased and cannot be changed"));
    }
    let mut c = Checks::default();
    let mut row = current.clone();
    if let Some(v) = p.name {
        row.name = c.required("name", Some(v), SHORT_MAX).unwrap_or_default();
    }
    if let Some(v) = p.email {
        if let Some(e) = c.check(email("email", &v)) {
            row.email_key = email_key(&e);
            row.email = e;
        }
    }
    if let Some(v) = p.phone {
        row.phone = c.text("phone", v, 50);
    }
    if let Some(v) = p.title {
        row.title = c.text("title", v, SHORT_MAX);
    }
    if let Some(v) = p.company_id {
        row.company_id = v.and_then(|v| c.check(uuid("company_id", &v)));
    }
    if let Some(v) = p.language {
        if let Some(l) = c.check(Language::parse("language", &v)) {
            row.language = l.as_str().into();
        }
    }
    if let Some(v) = p.timezone {
        row.timezone = v
            .and_then(|v| c.check(parse_zone("timezone", &v)))
            .map(|tz| tz.name().to_string());
    }
    if let Some(v) = p.consent_reminders {
        row.consent_reminders = v;
    }
    c.finish()?;
    row.version = current.version + 1;
    row.updated_at = now;
    Ok(row)
}

/// The contact with its personal data replaced by a marker.
pub fn erase(current: &ContactRow, now: NaiveDateTime) -> ContactRow {
    ContactRow {
        name: ERASED.into(),
        email: ERASED.into(),
        email_key: format!("erased:{}", current.id),
        phone: None,
        title: None,
        timezone: None,
        consent_reminders: false,
        erased_at: Some(now),
        updated_at: now,
        version: current.version + 1,
        ..current.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_folded() {
        assert!(email("email", "wang.wei@toray.co.jp").is_ok());
        for bad in ["wang", "a@b", "a b@c.d", "@c.d", "a@@c.d", "a@c..d"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
        assert_eq!(email_key("  Wang.Wei@Toray.CO.JP "), "wang.wei@toray.co.jp");
    }

    #[test]
    fn merging_fills_only_empty_fields() {
        let now = crate::clock::Clock::system().now();
        let mut c = Checks::default();
        let first = validate(
            NewContact {
                name: Some("王伟".into()),
                email: Some("w@x.cn".into()),
                title: Some("总经理".into()),
                ..Default::default()
            },
            &mut c,
        )
        .unwrap();
        let row = new_row(first, "id".into(), now);
        let again = validate(
            NewContact {
                name: Some("Wang Wei".into()),
                email: Some("W@X.cn".into()),
                title: Some("CEO".into()),
                phone: Some("138".into()),
                ..Default::default()
            },
            &mut c,
        )
        .unwrap();
        let merged = fill_empty(&row, &again, now).unwrap();
        assert_eq!(
            (merged.name.as_str(), merged.title.as_deref(), merged.phone.as_deref()),
            ("王伟", Some("总经理"), Some("138"))
        );
        assert!(fill_empty(&merged, &again, now).is_none());
    }

    #[test]
    fn erasure_removes_personal_data() {
        let mut c = Checks::default();
        let f = validate(
            NewContact {
                name: Some("王伟".into()),
                email: Some("w@x.cn".into()),
                phone: Some("138".into()),
                ..Default::default()
            },
            &mut c,
        )
        .unwrap();
        let row = new_row(f, "id".into(), crate::clock::Clock::system().now());
        let gone = erase(&row, crate::clock::Clock::system().now());
        assert_eq!(
            (gone.name.as_str(), gone.email.as_str(), gone.phone.as_deref()),
            (ERASED, ERASED, None)
        );
        assert_ne!(gone.email_key, row.email_key);
    }
}

crate::page_schema!(ContactPage, Contact);
