//! Contact use cases: each write is one transaction, with "now" from the context's clock.

use super::model::{self, Contact, ContactPatch, ContactQuery, ContactRow, NewContact};
use super::queries::{self, Filter, Key};
use crate::context::AppState;
use crate::error::Error;
use crate::pagination::{self, Page};
use crate::precondition::Precondition;
use crate::registrations::model::Registration;
use crate::registrations::queries::{self as registrations, Filter as RegistrationFilter, Key as RegistrationKey};
use crate::reminders::plan;
use crate::validation::{uuid, Checks};

/// Creates a contact; an email already known (ignoring case) is a conflict.
pub async fn create(ctx: &AppState, input: NewContact) -> Result<ContactRow, Error> {
    let mut c = Checks::default();
    let fields = model::validate(input, &mut c);
    c.finish()?;
    let fields = fields.ok_or_else(|| Error::invalid("body", "invalid contact"))?;
    let row = model::new_row(fields, crate::ids::new_id(), ctx.clock.now());
    ctx.db
        .write(move |c| {
            queries::insert(c, &row)?;
            Ok(row)
        })
        .await
}

/// One page of contacts matching the query.
pub async fn list(ctx: &AppState, q: ContactQuery) -> Result<Page<Contact>, Error> {
    let (after, limit) = pagination::window::<Key>(q.limit, q.cursor.as_deref())?;
    let mut c = Checks::default();
    let filter = Filter {
        q: c.text("q", q.q, 200).map(|s| s.to_lowercase()),
        company_id: q.company_id.and_then(|v| c.check(uuid("company_id", &v))),
    };
    c.finish()?;
    ctx.db
        .read(move |c| {
            let rows = queries::list(c, &filter, after.as_ref(), limit)?;
            Ok(pagination::page(
                rows,
                limit,
                |r| (r.created_at, r.id.clone()),
                Contact::from,
            ))
        })
        .await
}

/// One contact.
pub async fn get(ctx: &AppState, id: String) -> Result<ContactRow, Error> {
    ctx.db.read(move |c| queries::get(c, &id)).await
}

/// Changes some fields of a contact if `expected` holds.
pub async fn update(
    ctx: &AppState,
    id: String,
    patch: ContactPatch,
    expected: Precondition,
) -> Result<ContactRow, Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            let current = queries::get(c, &id)?;
            let row = model::apply_patch(&current, patch, now)?;
            // The body is judged first: invalid data is a 422 whatever the version.
            expected.check(current.version)?;
            queries::update(c, &row, current.version)?;
            if current.consent_reminders && !row.consent_reminders {
                plan::consent_withdrawn(c, &row.id, now)?;
            }
            Ok(row)
        })
        .await
}

/// Erases a person's personal data; their registrations stay, anonymous.
pub async fn erase(ctx: &AppState, id: String) -> Result<(), Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            queries::erase(c, &id, now)?;
            plan::contact_erased(c, &id, now)
        })
        .await
}

/// One page of a contact's registrations across events.
pub async fn registrations(
    ctx: &AppState,
    id: String,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<Page<Registration>, Error> {
    let (after, limit) = pagination::window::<RegistrationKey>(limit, cursor.as_deref())?;
    ctx.db
        .read(move |c| {
            queries::get(c, &id)?;
            let filter = RegistrationFilter {
                contact_id: Some(id),
                ..Default::default()
            };
            registrations::page(c, &filter, after.as_ref(), limit)
        })
        .await
}
