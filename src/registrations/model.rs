//! Registration types: the stored row, the API view and the request bodies.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::contacts::model::Language;
use crate::db::schema::{contacts, events, registrations};
use crate::db::stored_enum::Known;
use crate::db::stored_time::{MaybeStoredTime, StoredTime};
use crate::events::model::EventStatus;
use crate::nullable::{nullable, whole};
use crate::string_enum;
use crate::time::in_zone;

string_enum! {
    /// Where a registration stands; check-in is recorded separately in `checked_in_at`.
    pub enum RegistrationStatus {
        Registered => "registered",
        Waitlisted => "waitlisted",
        Cancelled => "cancelled",
    }
}

string_enum! {
    /// The part a person plays at the event.
    pub enum AttendeeRole {
        Guest => "guest",
        Speaker => "speaker",
        Expert => "expert",
        Host => "host",
        Staff => "staff",
    }
}

string_enum! {
    /// How the registration came in.
    pub enum Source {
        Organiser => "organiser",
        Public => "public",
        Import => "import",
    }
}

/// A registration as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = registrations, treat_none_as_null = true)]
pub struct RegistrationRow {
    pub id: String,
    pub event_id: String,
    pub contact_id: String,
    #[diesel(deserialize_as = Known<AttendeeRole>)]
    pub role: String,
    pub notes: Option<String>,
    #[diesel(deserialize_as = Known<RegistrationStatus>)]
    pub status: String,
    /// Ticket number on the event's waitlist: the waitlist is served in this order.
    pub waitlist_seq: Option<i32>,
    #[diesel(deserialize_as = Known<Source>)]
    pub source: String,
    pub manage_token_hash: Option<String>,
    #[diesel(deserialize_as = MaybeStoredTime)]
    pub checked_in_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = MaybeStoredTime)]
    pub cancelled_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    pub version: i32,
    /// The company name a public registrant typed, for an organiser to link.
    pub stated_company: Option<String>,
    /// The name a public registrant typed; what their own link shows them.
    pub stated_name: Option<String>,
}

impl RegistrationRow {
    /// The registration's status.
    pub fn status(&self) -> RegistrationStatus {
        RegistrationStatus::from_checked(&self.status)
    }

    /// How it came in.
    pub fn source(&self) -> Source {
        Source::from_checked(&self.source)
    }

    /// Its waitlist ticket, while it is on the waitlist.
    pub fn waiting_ticket(&self) -> Option<i32> {
        self.waitlist_seq
            .filter(|_| self.status() == RegistrationStatus::Waitlisted)
    }
}

/// The few event fields a registration shows.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventBriefRow {
    pub id: String,
    pub title: String,
    pub city: String,
    pub timezone: String,
    #[diesel(deserialize_as = StoredTime)]
    pub starts_at: NaiveDateTime,
    #[diesel(deserialize_as = Known<EventStatus>)]
    pub status: String,
}

impl From<&crate::events::model::EventRow> for EventBriefRow {
    fn from(e: &crate::events::model::EventRow) -> Self {
        EventBriefRow {
            id: e.id.clone(),
            title: e.title.clone(),
            city: e.city.clone(),
            timezone: e.timezone.clone(),
            starts_at: e.starts_at,
            status: e.status.clone(),
        }
    }
}

impl EventBriefRow {
    /// The event's zone.
    pub fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(Tz::UTC)
    }
}

/// The few contact fields a registration shows.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contacts)]
pub struct ContactBriefRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub company_id: Option<String>,
    #[diesel(deserialize_as = Known<Language>)]
    pub language: String,
}

/// A registration with what it shows of its event, contact and company.
#[derive(Debug, Clone)]
pub struct RegistrationView {
    pub row: RegistrationRow,
    pub event: EventBriefRow,
    pub contact: ContactBriefRow,
    pub company_name: Option<String>,
    pub waitlist_position: Option<i64>,
}

/// The event a registration is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventBrief {
    #[schema(format = Uuid)]
    pub id: String,
    pub title: String,
    pub city: String,
    pub timezone: String,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub starts_at: DateTime<FixedOffset>,
    pub status: EventStatus,
}

/// The person registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactBrief {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub title: Option<String>,
    #[schema(format = Uuid)]
    pub company_id: Option<String>,
    pub company_name: Option<String>,
    pub language: Language,
}

/// A registration as the API shows it; times in the event's zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registration {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub event_id: String,
    #[schema(format = Uuid)]
    pub contact_id: String,
    pub role: AttendeeRole,
    pub notes: Option<String>,
    pub status: RegistrationStatus,
    /// 1 for the next to get a seat; null unless waitlisted.
    pub waitlist_position: Option<i64>,
    pub source: Source,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub checked_in_at: Option<DateTime<FixedOffset>>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub cancelled_at: Option<DateTime<FixedOffset>>,
    /// When the registration was made.
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub created_at: DateTime<FixedOffset>,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub updated_at: DateTime<FixedOffset>,
    pub version: i32,
    /// The company name typed on the public form (never made into a company by an
    /// anonymous caller): link the contact to a company by hand if it is right.
    pub stated_company: Option<String>,
    pub contact: ContactBrief,
    pub event: EventBrief,
}

impl From<RegistrationView> for Registration {
    fn from(v: RegistrationView) -> Self {
        let tz = v.event.tz();
        let show = |t: NaiveDateTime| in_zone(t, tz);
        let row = v.row;
        Registration {
            role: AttendeeRole::from_checked(&row.role),
            status: row.status(),
            source: Source::from_checked(&row.source),
            checked_in_at: row.checked_in_at.map(show),
            cancelled_at: row.cancelled_at.map(show),
            created_at: show(row.created_at),
            updated_at: show(row.updated_at),
            waitlist_position: v.waitlist_position,
            id: row.id,
            event_id: row.event_id,
            contact_id: row.contact_id,
            notes: row.notes,
            version: row.version,
            stated_company: row.stated_company,
            contact: ContactBrief {
                language: Language::from_checked(&v.contact.language),
                id: v.contact.id,
                name: v.contact.name,
                email: v.contact.email,
                phone: v.contact.phone,
                title: v.contact.title,
                company_id: v.contact.company_id,
                company_name: v.company_name,
            },
            event: EventBrief {
                starts_at: show(v.event.starts_at),
                status: EventStatus::from_checked(&v.event.status),
                id: v.event.id,
                title: v.event.title,
                city: v.event.city,
                timezone: v.event.timezone,
            },
        }
    }
}

/// The body of `POST /api/v1/events/{id}/registrations`: a `contact_id`, or the person inline.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegistration {
    /// An existing contact; otherwise give `name` and `email`.
    #[schema(format = Uuid)]
    pub contact_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Job title.
    pub title: Option<String>,
    #[schema(value_type = Option<Language>)]
    pub language: Option<String>,
    #[schema(value_type = Option<crate::schema::TimeZone>)]
    pub timezone: Option<String>,
    /// Finds the company by name (ignoring case), or creates it.
    pub company_name: Option<String>,
    /// `guest` (default), `speaker`, `expert`, `host` or `staff`.
    #[schema(value_type = Option<AttendeeRole>)]
    pub role: Option<String>,
    pub notes: Option<String>,
}

/// The body of `POST /api/v1/public/events/{id}/registrations`.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicRegistrationRequest {
    /// Required.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    /// Required.
    #[schema(required = true, value_type = String, format = Email)]
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    #[schema(value_type = Option<Language>)]
    pub language: Option<String>,
    #[schema(value_type = Option<crate::schema::TimeZone>)]
    pub timezone: Option<String>,
    pub company_name: Option<String>,
}

impl From<PublicRegistrationRequest> for NewRegistration {
    fn from(p: PublicRegistrationRequest) -> Self {
        NewRegistration {
            name: p.name,
            email: p.email,
            phone: p.phone,
            title: p.title,
            language: p.language,
            timezone: p.timezone,
            company_name: p.company_name,
            ..Default::default()
        }
    }
}

/// The body of `PATCH /api/v1/registrations/{id}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationPatch {
    #[schema(value_type = Option<AttendeeRole>)]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// If given, must be the current version (409 otherwise).
    #[serde(default, deserialize_with = "whole")]
    pub version: Option<i32>,
}

/// Filters for `GET /api/v1/events/{id}/registrations`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegistrationQuery {
    #[param(value_type = Option<RegistrationStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<AttendeeRole>)]
    pub role: Option<String>,
    #[param(value_type = Option<uuid::Uuid>)]
    pub company_id: Option<String>,
    /// Case-insensitive text in the person's name or email.
    pub q: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// What the public link shows: the person's own registration and the event.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRegistration {
    #[schema(format = Uuid)]
    pub id: String,
    pub status: RegistrationStatus,
    pub waitlist_position: Option<i64>,
    pub name: String,
    pub email: String,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub checked_in_at: Option<DateTime<FixedOffset>>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub cancelled_at: Option<DateTime<FixedOffset>>,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub created_at: DateTime<FixedOffset>,
    pub event: PublicEvent,
}

/// An event as the public sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicEvent {
    #[schema(format = Uuid)]
    pub id: String,
    pub title: String,
    pub summary: Option<String>,
    pub city: String,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub timezone: String,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub starts_at: DateTime<FixedOffset>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub ends_at: Option<DateTime<FixedOffset>>,
    pub status: EventStatus,
    pub cancel_reason: Option<String>,
}

/// What a public registration answers: always `accepted`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicRegistrationState {
    Accepted,
}

/// The answer to every accepted public registration, the same whether the address was
/// new, already registered or cancelled: it is made from the request alone, so it says
/// nothing about anyone's registration. The manage link goes by email to the address.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRegistrationAccepted {
    pub status: PublicRegistrationState,
    #[schema(format = Uuid)]
    pub event_id: String,
    /// The address as sent (trimmed); the email goes to the registration's address,
    /// which is the same ignoring case.
    pub email: String,
    /// A line for people (English), e.g. to show while they check their inbox.
    pub message: String,
}

crate::page_schema!(RegistrationPage, Registration);
