//! Company types and rules.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::companies;
use crate::db::stored_time::StoredTime;
use crate::error::{Error, FieldError};
use crate::nullable::{not_null, nullable, nullable_whole, whole};
use crate::validation::Checks;

const NAME_MAX: usize = 200;
const LONG_MAX: usize = 10_000;

/// ISO 3166-1 alpha-2 codes, officially assigned.
const COUNTRIES: &str =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT \
MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG \
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// A company as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = companies, treat_none_as_null = true)]
pub struct CompanyRow {
    pub id: String,
    pub name: String,
    pub name_key: String,
    pub name_en: Option<String>,
    pub country: Option<String>,
    pub industry_chain: Option<String>,
    pub website: Option<String>,
    pub is_target: bool,
    pub assessment_score: Option<i32>,
    pub assessment_notes: Option<String>,
    pub notes: Option<String>,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

/// A company as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Company {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `CN`, `JP`.
    #[schema(value_type = Option<CountryCode>)]
    pub country: Option<String>,
    pub industry_chain: Option<String>,
    pub website: Option<String>,
    /// On the centre's list of target companies.
    pub is_target: bool,
    /// Investment-value assessment, 0–100.
    pub assessment_score: Option<i32>,
    pub assessment_notes: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<CompanyRow> for Company {
    fn from(r: CompanyRow) -> Self {
        Company {
            id: r.id,
            name: r.name,
            name_en: r.name_en,
            country: r.country,
            industry_chain: r.industry_chain,
            website: r.website,
            is_target: r.is_target,
            assessment_score: r.assessment_score,
            assessment_notes: r.assessment_notes,
            notes: r.notes,
            created_at: Utc.from_utc_datetime(&r.created_at),
            updated_at: Utc.from_utc_datetime(&r.updated_at),
            version: r.version,
        }
    }
}

/// The body of `POST /api/v1/companies`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCompany {
    /// Required; unique after trimming and case-folding.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    pub name_en: Option<String>,
    #[schema(value_type = Option<CountryCode>)]
    pub country: Option<String>,
    pub industry_chain: Option<String>,
    /// An http(s) URL.
    #[schema(pattern = "^https?://[^\\s\\x00-\\x1F\\x7F-\\x9F]{4,}$", max_length = 500)]
    pub website: Option<String>,
    pub is_target: Option<bool>,
    /// 0–100.
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 100)]
    pub assessment_score: Option<i64>,
    pub assessment_notes: Option<String>,
    pub notes: Option<String>,
}

/// The body of `PATCH /api/v1/companies/{id}`: only the fields given change; `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(required = false, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub name_en: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<CountryCode>)]
    pub country: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub industry_chain: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^https?://[^\\s\\x00-\\x1F\\x7F-\\x9F]{4,}$", max_length = 500)]
    pub website: Option<Option<String>>,
    pub is_target: Option<bool>,
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 100)]
    pub assessment_score: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub assessment_notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// If given, must be the current version (409 otherwise).
    #[serde(default, deserialize_with = "whole")]
    pub version: Option<i32>,
}

/// Filters for `GET /api/v1/companies`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompanyQuery {
    /// Case-insensitive text in the name or English name.
    pub q: Option<String>,
    pub is_target: Option<bool>,
    pub industry_chain: Option<String>,
    #[param(value_type = Option<CountryCode>)]
    pub country: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// The uniqueness key of a name: trimmed, inner spaces collapsed, case-folded.
pub fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// An ISO 3166-1 alpha-2 code as a named enum schema (the server also takes lower case).
pub struct CountryCode;

impl utoipa::PartialSchema for CountryCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some("An ISO 3166-1 alpha-2 country code, e.g. `CN` or `JP`."))
            .enum_values(Some(COUNTRIES.split(' ')))
            .into()
    }
}

impl ToSchema for CountryCode {
    fn name() -> std::borrow::Cow<'static, str> {
        "CountryCode".into()
    }
}

/// Checks an ISO 3166-1 alpha-2 code, returning it upper-cased.
pub fn country(field: &str, value: &str) -> Result<String, FieldError> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() == 2 && COUNTRIES.split(' ').any(|c| c == code) {
        Ok(code)
    } else {
        Err(FieldError::new(
            field,
            format!("{value:?} is not an ISO 3166-1 alpha-2 country code such as CN or JP"),
        ))
    }
}

/// An http(s) URL: the scheme, then at least four characters without spaces (control
/// characters are refused before this, as in all text).
fn website(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let rest = v.strip_prefix("http://").or_else(|| v.strip_prefix("https://"));
    let ok = rest.is_some_and(|r| r.chars().count() >= 4 && !r.contains(char::is_whitespace));
    if ok {
        Ok(v.to_string())
    } else {
        Err(FieldError::new(
            field,
            "must be an http(s) URL such as https://example.com",
        ))
    }
}

/// A coded value given as text (country, website): blank is no code, so it is refused
/// rather than taken as none; `null` (or leaving it out) means none.
fn coded(c: &mut Checks, field: &str, value: Option<String>, max: usize) -> Option<String> {
    let value = value?;
    if value.trim().is_empty() {
        c.fail(field, "must not be blank; send null (or leave it out) for none");
        return None;
    }
    c.text(field, Some(value), max)
}

fn score(c: &mut Checks, value: Option<i64>) -> Option<i32> {
    let v = value?;
    if (0..=100).contains(&v) {
        Some(v as i32)
    } else {
        c.fail("assessment_score", "must be between 0 and 100");
        None
    }
}

/// Validates a new company.
pub fn new_company(input: NewCompany, id: String, now: NaiveDateTime) -> Result<CompanyRow, Error> {
    let mut c = Checks::default();
    let name = c.required("name", input.name, NAME_MAX);
    let row = CompanyRow {
        id,
        name_key: name.as_deref().map(name_key).unwrap_or_default(),
        name: name.unwrap_or_default(),
        name_en: c.text("name_en", input.name_en, NAME_MAX),
        country: coded(&mut c, "country", input.country, 10).and_then(|v| c.check(country("country", &v))),
        industry_chain: c.text("industry_chain", input.industry_chain, NAME_MAX),
        website: coded(&mut c, "website", input.website, 500).and_then(|v| c.check(website("website", &v))),
        is_target: input.is_target.unwrap_or(false),
        assessment_score: score(&mut c, input.assessment_score),
        assessment_notes: c.long_text("assessment_notes", input.assessment_notes, LONG_MAX),
        notes: c.long_text("notes", input.notes, LONG_MAX),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    c.finish()?;
    Ok(row)
}

/// Applies a patch to a company.
pub fn apply_patch(current: &CompanyRow, p: CompanyPatch, now: NaiveDateTime) -> Result<CompanyRow, Error> {
    let mut c = Checks::default();
    let mut row = current.clone();
    if let Some(name) = p.name {
        row.name = c.required("name", Some(name), NAME_MAX).unwrap_or_default();
        row.name_key = name_key(&row.name);
    }
    if let Some(v) = p.name_en {
        row.name_en = c.text("name_en", v, NAME_MAX);
    }
    if let Some(v) = p.country {
        row.country = coded(&mut c, "country", v, 10).and_then(|v| c.check(country("country", &v)));
    }
    if let Some(v) = p.industry_chain {
        row.industry_chain = c.text("industry_chain", v, NAME_MAX);
    }
    if let Some(v) = p.website {
        row.website = coded(&mut c, "website", v, 500).and_then(|v| c.check(website("website", &v)));
    }
    if let Some(v) = p.is_target {
        row.is_target = v;
    }
    if let Some(v) = p.assessment_score {
        row.assessment_score = score(&mut c, v);
    }
    if let Some(v) = p.assessment_notes {
        row.assessment_notes = c.long_text("assessment_notes", v, LONG_MAX);
    }
    if let Some(v) = p.notes {
        row.notes = c.long_text("notes", v, LONG_MAX);
    }
    c.finish()?;
    row.version = current.version + 1;
    row.updated_at = now;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_for_uniqueness() {
        assert_eq!(name_key("  Toray   Industries "), "toray industries");
        assert_eq!(name_key("TORAY INDUSTRIES"), name_key("toray industries"));
        assert_eq!(name_key(" 永荣锦江 "), "永荣锦江");
    }

    #[test]
    fn countries_and_scores_are_checked() {
        assert_eq!(country("country", "jp").unwrap(), "JP");
        assert!(country("country", "XX").is_err());
        assert!(country("country", "CHN").is_err());
        let e = new_company(
            NewCompany {
                name: Some("x".into()),
                assessment_score: Some(101),
                website: Some("ftp://x".into()),
                ..Default::default()
            },
            "id".into(),
            crate::clock::Clock::system().now(),
        );
        match e {
            Err(Error::Validation(v)) => assert_eq!(v.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn blank_codes_are_refused_not_taken_as_none() {
        let now = crate::clock::Clock::system().now();
        for (website, country) in [(Some(""), None), (None, Some(" "))] {
            let input = NewCompany {
                name: Some("x".into()),
                website: website.map(Into::into),
                country: country.map(Into::into),
                ..Default::default()
            };
            assert!(matches!(
                new_company(input, "id".into(), now),
                Err(Error::Validation(_))
            ));
        }
        let current = new_company(
            NewCompany {
                name: Some("x".into()),
                website: Some("https://abcd".into()),
                name_en: Some(" ".into()),
                ..Default::default()
            },
            "id".into(),
            now,
        )
        .unwrap();
        assert_eq!(current.name_en, None, "blank free text is none");
        assert!(website("website", "https://abc").is_err());
        let blank = CompanyPatch {
            website: Some(Some(String::new())),
            ..Default::default()
        };
        assert!(apply_patch(&current, blank, now).is_err());
        let clear = CompanyPatch {
            website: Some(None),
            ..Default::default()
        };
        assert_eq!(apply_patch(&current, clear, now).unwrap().website, None);
    }
}

crate::page_schema!(CompanyPage, Company);
