//! Storage of registrations and the views that join their event, contact and company.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{ContactBriefRow, EventBriefRow, Registration, RegistrationRow, RegistrationView};
use crate::db::schema::{companies, contacts, events, registrations};
use crate::db::search::{self, contains_pattern, lower, Kind};
use crate::db::Db;
use crate::error::Error;
use crate::pagination::{self, Page};
use crate::validation::is_uuid;

/// The position after which a page starts: (created, id).
pub type Key = (NaiveDateTime, String);

/// Which registrations a list shows.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub event_id: Option<String>,
    pub contact_id: Option<String>,
    pub status: Option<String>,
    pub role: Option<String>,
    pub company_id: Option<String>,
    /// Lower-cased search text.
    pub q: Option<String>,
}

/// Stores a new registration.
pub fn insert(conn: &mut Db, row: &RegistrationRow) -> Result<(), Error> {
    diesel::insert_into(registrations::table).values(row).execute(conn)?;
    Ok(())
}

/// Stores new registrations at once.
pub fn insert_all(conn: &mut Db, rows: &[RegistrationRow]) -> Result<(), Error> {
    crate::insert_many!(conn, registrations::table, rows)?;
    Ok(())
}

/// Saves a changed registration if the stored version is still `expected`; a 409 if a
/// concurrent change (cancel, check-in, promotion) got there first.
pub fn save(conn: &mut Db, row: &RegistrationRow, expected: i32) -> Result<(), Error> {
    let n = diesel::update(
        registrations::table
            .find(&row.id)
            .filter(registrations::version.eq(expected)),
    )
    .set(row)
    .execute(conn)?;
    if n == 0 {
        return Err(Error::conflict(
            "the registration was changed at the same time; fetch it again and retry",
        ));
    }
    Ok(())
}

/// One page of registrations as the API shows them, in the order they were made.
pub fn page(c: &mut Db, filter: &Filter, after: Option<&Key>, limit: i64) -> Result<Page<Registration>, Error> {
    let rows = views(c, filter, after, limit)?;
    Ok(pagination::page(
        rows,
        limit,
        |v| (v.row.created_at, v.row.id.clone()),
        Registration::from,
    ))
}

/// What a registration shows of its event, or 404.
pub fn event_brief(conn: &mut Db, event_id: &str) -> Result<EventBriefRow, Error> {
    if !is_uuid(event_id) {
        return Err(Error::NotFound(format!("no event with id {event_id}")));
    }
    events::table
        .find(event_id)
        .select(EventBriefRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no event with id {event_id}")))
}

/// The registration with this id, or 404.
pub fn get(conn: &mut Db, id: &str) -> Result<RegistrationRow, Error> {
    if !is_uuid(id) {
        return Err(Error::NotFound(format!("no registration with id {id}")));
    }
    registrations::table
        .find(id)
        .select(RegistrationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no registration with id {id}")))
}

/// The registration behind a public manage token (its first link or the one mailed
/// last), or 404.
pub fn by_manage_token(conn: &mut Db, token_hash: &str) -> Result<RegistrationRow, Error> {
    registrations::table
        .filter(
            registrations::manage_token_hash
                .eq(token_hash)
                .or(registrations::reissued_token_hash.eq(token_hash)),
        )
        .select(RegistrationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound("no registration for this link".into()))
}

/// Gives a registration a new manage link (`token_hash`) to mail: its first one if it
/// has none (an organiser made it), else the reissued one, replacing the previous
/// reissued link. The first link never changes here, so a stranger who registers again
/// with the owner's address cannot cut the owner off from it.
pub fn reissue_link(conn: &mut Db, row: &RegistrationRow, token_hash: &str) -> Result<(), Error> {
    let target = registrations::table.find(&row.id);
    match row.manage_token_hash {
        None => diesel::update(target)
            .set(registrations::manage_token_hash.eq(token_hash))
            .execute(conn)?,
        Some(_) => diesel::update(target)
            .set(registrations::reissued_token_hash.eq(token_hash))
            .execute(conn)?,
    };
    Ok(())
}

/// Makes the reissued link `token_hash` the registration's first link, when it is the
/// reissued one, and the first link the reissued one (both keep working): emails planned
/// with it from now on must stay valid when the next link is reissued.
pub fn keep_link(conn: &mut Db, id: &str, token_hash: &str) -> Result<(), Error> {
    // Both backends read the old values on the right: the two columns swap.
    diesel::update(
        registrations::table
            .find(id)
            .filter(registrations::reissued_token_hash.eq(token_hash)),
    )
    .set((
        registrations::manage_token_hash.eq(registrations::reissued_token_hash),
        registrations::reissued_token_hash.eq(registrations::manage_token_hash),
    ))
    .execute(conn)?;
    Ok(())
}

/// The contact's registration for the event, if any.
pub fn find_for(conn: &mut Db, event_id: &str, contact_id: &str) -> Result<Option<RegistrationRow>, Error> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::contact_id.eq(contact_id))
        .select(RegistrationRow::as_select())
        .first(conn)
        .optional()?)
}

/// The registrations at an event of any of these contacts.
pub fn find_for_many(conn: &mut Db, event_id: &str, contact_ids: &[String]) -> Result<Vec<RegistrationRow>, Error> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::contact_id.eq_any(contact_ids))
        .select(RegistrationRow::as_select())
        .load(conn)?)
}

/// The first `n` waitlisted registrations of an event, longest-waiting first.
pub fn waitlist_head(conn: &mut Db, event_id: &str, n: i64) -> Result<Vec<RegistrationRow>, Error> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq("waitlisted"))
        .order((registrations::waitlist_seq, registrations::id))
        .limit(n)
        .select(RegistrationRow::as_select())
        .load(conn)?)
}

/// Waitlist tickets of an event in order, to number positions.
fn waitlist_tickets(conn: &mut Db, event_id: &str) -> Result<Vec<i32>, Error> {
    let seqs: Vec<Option<i32>> = registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq("waitlisted"))
        .order(registrations::waitlist_seq)
        .select(registrations::waitlist_seq)
        .load(conn)?;
    Ok(seqs.into_iter().flatten().collect())
}

/// A registration's place on its event's waitlist (1 = next), if waitlisted.
pub fn position(conn: &mut Db, row: &RegistrationRow) -> Result<Option<i64>, Error> {
    let Some(seq) = row.waiting_ticket() else {
        return Ok(None);
    };
    let ahead: i64 = registrations::table
        .filter(registrations::event_id.eq(&row.event_id))
        .filter(registrations::status.eq("waitlisted"))
        .filter(registrations::waitlist_seq.le(seq))
        .count()
        .get_result(conn)?;
    Ok(Some(ahead))
}

type ViewTuple = (RegistrationRow, EventBriefRow, ContactBriefRow, Option<String>);

/// One page of registrations with their event, contact and company (`limit + 1` rows).
pub fn views(conn: &mut Db, filter: &Filter, after: Option<&Key>, limit: i64) -> Result<Vec<RegistrationView>, Error> {
    let mut query = registrations::table
        .inner_join(events::table)
        .inner_join(contacts::table.left_join(companies::table))
        .select((
            RegistrationRow::as_select(),
            EventBriefRow::as_select(),
            ContactBriefRow::as_select(),
            companies::name.nullable(),
        ))
        .into_boxed();
    if let Some(e) = &filter.event_id {
        query = query.filter(registrations::event_id.eq(e.clone()));
    }
    if let Some(c) = &filter.contact_id {
        query = query.filter(registrations::contact_id.eq(c.clone()));
    }
    if let Some(s) = &filter.status {
        query = query.filter(registrations::status.eq(s.clone()));
    }
    if let Some(r) = &filter.role {
        query = query.filter(registrations::role.eq(r.clone()));
    }
    if let Some(c) = &filter.company_id {
        query = query.filter(contacts::company_id.eq(c.clone()));
    }
    if let Some(q) = &filter.q {
        // The person's name or email: the contacts' search index.
        let pattern = contains_pattern(q);
        let matches = search::matching(conn, Kind::Contact, q)?;
        query = crate::search_filter!(
            query,
            matches,
            registrations::contact_id,
            lower(contacts::name)
                .like(pattern.clone())
                .escape('\\')
                .or(contacts::email_key.like(pattern).escape('\\')),
        );
    }
    if let Some((created, id)) = after {
        query = query.filter(
            registrations::created_at.gt(*created).or(registrations::created_at
                .eq(*created)
                .and(registrations::id.gt(id.clone()))),
        );
    }
    let rows: Vec<ViewTuple> = query
        .order((registrations::created_at, registrations::id))
        .limit(limit + 1)
        .load(conn)?;
    number_waitlist(conn, rows)
}

/// One registration with its event, contact and company, or 404.
pub fn view(conn: &mut Db, id: &str) -> Result<RegistrationView, Error> {
    let row = get(conn, id)?;
    let filter = Filter {
        event_id: Some(row.event_id),
        contact_id: Some(row.contact_id),
        ..Default::default()
    };
    views(conn, &filter, None, 1)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::NotFound(format!("no registration with id {id}")))
}

/// Adds waitlist positions: one ticket list per event on the page.
fn number_waitlist(conn: &mut Db, rows: Vec<ViewTuple>) -> Result<Vec<RegistrationView>, Error> {
    let mut tickets: std::collections::HashMap<String, Vec<i32>> = Default::default();
    let mut out = Vec::with_capacity(rows.len());
    for (row, event, contact, company_name) in rows {
        let waitlist_position = match row.waiting_ticket() {
            Some(seq) => {
                if !tickets.contains_key(&row.event_id) {
                    tickets.insert(row.event_id.clone(), waitlist_tickets(conn, &row.event_id)?);
                }
                let list = &tickets[&row.event_id];
                Some(list.partition_point(|t| *t < seq) as i64 + 1)
            }
            None => None,
        };
        out.push(RegistrationView {
            row,
            event,
            contact,
            company_name,
            waitlist_position,
        });
    }
    Ok(out)
}
