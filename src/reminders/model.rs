//! Outbox types: the stored email row, the API view of it and the request bodies.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::emails;
use crate::db::stored_enum::Known;
use crate::db::stored_time::{MaybeStoredTime, StoredTime};
use crate::string_enum;
use crate::time::in_zone;

string_enum! {
    /// Why an email is sent.
    pub enum EmailKind {
        Confirmation => "confirmation",
        Waitlisted => "waitlisted",
        Reminder => "reminder",
        Updated => "updated",
        Cancelled => "cancelled",
        Promoted => "promoted",
        ManageLink => "manage_link",
        /// A team's daily list of overdue and due follow-ups (never tied to an event).
        Digest => "digest",
    }
}

string_enum! {
    /// Where an email is: waiting, delivered to the mail server, given up, or dropped.
    pub enum EmailStatus {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
        Cancelled => "cancelled",
    }
}

/// One email in the outbox, as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = emails, check_for_backend(crate::db::MultiBackend))]
pub struct EmailRow {
    pub id: String,
    pub registration_id: Option<String>,
    /// The event and the attendee, for every kind but `digest`.
    pub event_id: Option<String>,
    pub contact_id: Option<String>,
    #[diesel(deserialize_as = Known<EmailKind>)]
    pub kind: String,
    pub rule: Option<String>,
    #[diesel(deserialize_as = StoredTime)]
    pub due_at: NaiveDateTime,
    #[diesel(deserialize_as = Known<EmailStatus>)]
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[diesel(deserialize_as = StoredTime)]
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    #[diesel(deserialize_as = MaybeStoredTime)]
    pub lease_until: Option<NaiveDateTime>,
    #[diesel(deserialize_as = MaybeStoredTime)]
    pub sent_at: Option<NaiveDateTime>,
    pub message_id: Option<String>,
    pub waitlist_position: Option<i32>,
    pub manage_token: Option<String>,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    /// The team a digest goes to.
    pub team_id: Option<String>,
}

impl EmailRow {
    /// A pending email of `kind`, due at `due_at`.
    pub fn pending(
        kind: EmailKind,
        event_id: &str,
        contact_id: &str,
        registration_id: Option<&str>,
        due_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Self {
        EmailRow {
            id: crate::ids::new_id(),
            registration_id: registration_id.map(String::from),
            event_id: Some(event_id.to_string()),
            contact_id: Some(contact_id.to_string()),
            kind: kind.as_str().into(),
            rule: None,
            due_at,
            status: EmailStatus::Pending.as_str().into(),
            attempts: 0,
            last_error: None,
            next_attempt_at: due_at,
            lease_owner: None,
            lease_until: None,
            sent_at: None,
            message_id: None,
            waitlist_position: None,
            manage_token: None,
            created_at: now,
            updated_at: now,
            team_id: None,
        }
    }

    /// A pending digest for a team, due at once.
    pub fn digest(team_id: &str, now: NaiveDateTime) -> Self {
        EmailRow {
            event_id: None,
            contact_id: None,
            team_id: Some(team_id.to_string()),
            ..EmailRow::pending(EmailKind::Digest, "", "", None, now, now)
        }
    }

    /// The email's kind.
    pub fn kind(&self) -> EmailKind {
        EmailKind::from_checked(&self.kind)
    }

    /// The email's status.
    pub fn status(&self) -> EmailStatus {
        EmailStatus::from_checked(&self.status)
    }
}

/// An email as the API shows it; times in the event's zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct Email {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub registration_id: Option<String>,
    #[schema(format = Uuid)]
    pub event_id: String,
    #[schema(format = Uuid)]
    pub contact_id: String,
    pub kind: EmailKind,
    /// The reminder rule (e.g. `P1D`) for reminders; null otherwise.
    pub rule: Option<String>,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub due_at: DateTime<FixedOffset>,
    pub status: EmailStatus,
    /// Send attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed, or why the email was cancelled.
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub sent_at: Option<DateTime<FixedOffset>>,
    /// The `Message-ID` the email carries (derived from its id).
    pub message_id: Option<String>,
}

impl Email {
    /// The API view of a stored email, with times shown in `tz`. Only emails about an
    /// event are listed (the lists join the event), so both ids are there.
    pub fn from_row(r: EmailRow, tz: Tz) -> Self {
        Email {
            kind: r.kind(),
            status: r.status(),
            due_at: in_zone(r.due_at, tz),
            sent_at: r.sent_at.map(|t| in_zone(t, tz)),
            id: r.id,
            registration_id: r.registration_id,
            event_id: r.event_id.unwrap_or_default(),
            contact_id: r.contact_id.unwrap_or_default(),
            rule: r.rule,
            attempts: r.attempts,
            last_error: r.last_error,
            message_id: r.message_id,
        }
    }
}

/// An event's reminder rules.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderRules {
    /// ISO 8601 offsets before the start: days are calendar days in the event's zone,
    /// hours and minutes exact, e.g. `["P7D", "P1D", "PT2H"]`.
    /// Canonical forms match the pattern; the server also reads lower case, `P1W2D` and
    /// `PT48H`, and answers canonical forms, repeats dropped, furthest first. At most 10.
    #[schema(schema_with = crate::schema::durations, example = json!(["P1D", "PT2H"]))]
    pub rules: Vec<String>,
}

/// Filters of an email list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmailQuery {
    #[param(value_type = Option<EmailStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<EmailKind>)]
    pub kind: Option<String>,
    /// Items per page (1–200, default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Which email to render without sending.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The registration the email is for.
    #[param(value_type = uuid::Uuid)]
    pub registration_id: String,
    /// The kind of email (any but `digest`, which goes to a team).
    #[param(value_type = PreviewKind)]
    pub kind: String,
    /// For reminders: the rule, e.g. `P1D` (default: the event's first rule).
    #[param(schema_with = crate::schema::duration)]
    pub rule: Option<String>,
}

/// The kinds of email a registration can be shown: every kind but `digest` (which goes
/// to a team). Only a schema: the value is read as an [`EmailKind`].
pub struct PreviewKind;

impl utoipa::PartialSchema for PreviewKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("The kind of email a registration can be shown: any but `digest`."))
            .enum_values(Some(
                EmailKind::ALL
                    .iter()
                    .filter(|k| **k != EmailKind::Digest)
                    .map(|k| k.as_str()),
            ))
            .into()
    }
}

impl ToSchema for PreviewKind {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("PreviewKind")
    }
}

/// A rendered email.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    pub to: String,
    pub subject: String,
    /// The language it is written in (`zh-CN`, `en`, `ja`).
    pub language: String,
    pub text: String,
    pub html: String,
    /// The attached iCalendar file.
    pub calendar: String,
}

crate::page_schema!(EmailPage, Email);
