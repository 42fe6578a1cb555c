//! Reminder use cases: rules, the outbox as organisers see it, previews, unsubscribing.

use diesel::prelude::*;
use lettre::message::Mailbox;

use super::model::{Email, EmailKind, EmailQuery, EmailStatus, Preview, PreviewQuery, ReminderRules};
use super::plan::{self, EventTime};
use super::queries::{self, Filter, Key};
use super::rules;
use crate::context::AppState;
use crate::db::schema::contacts;
use crate::error::Error;
use crate::events::model::EventStatus;
use crate::events::queries as events;
use crate::mail::content::{self, Facts};
use crate::pagination::{self, Page};
use crate::registrations::model::RegistrationStatus;
use crate::registrations::queries as registrations;
use crate::validation::{uuid, Checks};

/// An event's reminder rules.
pub async fn rules(ctx: &AppState, event_id: String) -> Result<ReminderRules, Error> {
    ctx.db
        .read(move |c| {
            events::get(c, &event_id)?;
            Ok(ReminderRules {
                rules: queries::rules_text(c, &event_id)?,
            })
        })
        .await
}

/// Replaces an event's reminder rules; pending reminders are planned again at once.
pub async fn set_rules(ctx: &AppState, event_id: String, body: ReminderRules) -> Result<ReminderRules, Error> {
    let list = rules::validate(&body.rules)?;
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            events::lock(c, &event_id)?;
            let event = events::get(c, &event_id)?;
            queries::set_rules(c, &event_id, &list, now)?;
            if event.status() == EventStatus::Scheduled {
                let when = EventTime {
                    id: &event.id,
                    starts_at: event.starts_at,
                    tz: event.tz(),
                };
                plan::rules_changed(c, when, now)?;
            }
            Ok(ReminderRules { rules: list })
        })
        .await
}

/// Which emails to list.
pub enum Owner {
    Registration(String),
    Event(String),
}

/// One page of a registration's or an event's emails, in due order.
pub async fn list(ctx: &AppState, owner: Owner, q: EmailQuery) -> Result<Page<Email>, Error> {
    let (after, limit) = pagination::window::<Key>(q.limit, q.cursor.as_deref())?;
    let mut checks = Checks::default();
    let status = q.status.and_then(|s| checks.check(EmailStatus::parse("status", &s)));
    let kind = q.kind.and_then(|k| checks.check(EmailKind::parse("kind", &k)));
    checks.finish()?;
    let mut filter = Filter {
        status,
        kind,
        ..Default::default()
    };
    ctx.db
        .read(move |c| {
            match owner {
                Owner::Registration(id) => {
                    registrations::get(c, &id)?;
                    filter.registration_id = Some(id);
                }
                Owner::Event(id) => {
                    events::get(c, &id)?;
                    filter.event_id = Some(id);
                }
            }
            let rows = queries::list(c, &filter, after.as_ref(), limit)?;
            Ok(pagination::page(
                rows,
                limit,
                |(r, _)| (r.due_at, r.id.clone()),
                |(r, tz)| Email::from_row(r, tz.parse().unwrap_or(chrono_tz::Tz::UTC)),
            ))
        })
        .await
}

/// Renders the email a registration would get, without sending or storing anything.
pub async fn preview(ctx: &AppState, q: PreviewQuery) -> Result<Preview, Error> {
    let mut checks = Checks::default();
    let registration_id = checks.check(uuid("registration_id", &q.registration_id));
    let kind = checks.check(EmailKind::parse("kind", &q.kind));
    if kind == Some(EmailKind::Digest) {
        checks.fail(
            "kind",
            "a digest goes to a team, not to a registration: there is nothing to preview",
        );
    }
    if let Some(rule) = &q.rule {
        if let Err(m) = rules::parse(rule) {
            checks.fail("rule", m);
        }
    }
    checks.finish()?;
    let (Some(registration_id), Some(kind)) = (registration_id, kind) else {
        return Err(Error::invalid("registration_id", "required"));
    };
    let from: Mailbox = ctx
        .settings
        .mail
        .from
        .parse()
        .map_err(|e| Error::Internal(format!("mail.from: {e}")))?;
    let base_url = ctx.settings.base_url().to_string();
    ctx.db
        .read(move |c| {
            let registration = registrations::get(c, &registration_id)?;
            let event = events::get(c, &registration.event_id)?;
            let contact = crate::contacts::queries::get(c, &registration.contact_id)?;
            let unsubscribe: Option<String> = contacts::table
                .find(&contact.id)
                .select(contacts::unsubscribe_token)
                .first(c)?;
            let position = registrations::position(c, &registration)?;
            let rendered = content::render(&Facts {
                kind,
                event: &event,
                contact: &contact,
                waitlist_position: position.and_then(|p| i32::try_from(p).ok()),
                // The real token is only in the email itself; the preview shows its place
                // (a `manage_link` email always has one: it issues it).
                manage_token: (registration.manage_token_hash.is_some() || kind == EmailKind::ManageLink)
                    .then_some("…"),
                registration_cancelled: registration.status() == RegistrationStatus::Cancelled,
                unsubscribe_token: Some(unsubscribe.as_deref().unwrap_or("…")),
                base_url: &base_url,
                from: &from,
            })
            .map_err(|e| Error::Internal(e.to_string()))?;
            Ok(Preview {
                to: contact.email,
                subject: rendered.subject,
                language: rendered.language.as_str().into(),
                text: rendered.text,
                html: rendered.html,
                calendar: rendered.calendar,
            })
        })
        .await
}

/// Turns reminders off for the contact an unsubscribe link names (idempotent); their
/// pending reminders are dropped. Confirmations and cancellations still go out.
pub async fn unsubscribe(ctx: &AppState, token: String) -> Result<(), Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            let Some(contact_id) = queries::contact_by_unsubscribe(c, &token)? else {
                return Err(Error::NotFound("this unsubscribe link is not valid".into()));
            };
            diesel::update(
                contacts::table
                    .find(&contact_id)
                    .filter(contacts::consent_reminders.eq(true)),
            )
            .set((
                contacts::consent_reminders.eq(false),
                contacts::version.eq(contacts::version + 1),
                contacts::updated_at.eq(now),
            ))
            .execute(c)?;
            plan::consent_withdrawn(c, &contact_id, now)
        })
        .await
}
