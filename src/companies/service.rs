//! Company use cases: each write is one transaction, with "now" from the context's clock.

use super::model::{self, country, Company, CompanyPatch, CompanyQuery, CompanyRow, NewCompany};
use super::queries::{self, Filter, Key};
use crate::context::AppState;
use crate::error::Error;
use crate::pagination::{self, Page};
use crate::precondition::Precondition;
use crate::validation::Checks;

/// Creates a company; a name already taken (ignoring case and spacing) is a conflict.
pub async fn create(ctx: &AppState, input: NewCompany) -> Result<CompanyRow, Error> {
    let row = model::new_company(input, crate::ids::new_id(), ctx.clock.now())?;
    ctx.db
        .write(move |c| {
            queries::insert(c, &row)?;
            Ok(row)
        })
        .await
}

/// One page of companies matching the query.
pub async fn list(ctx: &AppState, q: CompanyQuery) -> Result<Page<Company>, Error> {
    let (after, limit) = pagination::window::<Key>(q.limit, q.cursor.as_deref())?;
    let mut c = Checks::default();
    let filter = Filter {
        q: c.text("q", q.q, 200).map(|s| model::name_key(&s)),
        is_target: q.is_target,
        industry_chain: c.text("industry_chain", q.industry_chain, 200),
        country: q.country.and_then(|v| c.check(country("country", &v))),
    };
    c.finish()?;
    ctx.db
        .read(move |c| {
            let rows = queries::list(c, &filter, after.as_ref(), limit)?;
            Ok(pagination::page(
                rows,
                limit,
                |r| (r.created_at, r.id.clone()),
                Company::from,
            ))
        })
        .await
}

/// One company.
pub async fn get(ctx: &AppState, id: String) -> Result<CompanyRow, Error> {
    ctx.db.read(move |c| queries::get(c, &id)).await
}

/// Changes some fields of a company if `expected` holds.
pub async fn update(
    ctx: &AppState,
    id: String,
    patch: CompanyPatch,
    expected: Precondition,
) -> Result<CompanyRow, Error> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |c| {
            let current = queries::get(c, &id)?;
            let row = model::apply_patch(&current, patch, now)?;
            // The body is judged first: invalid data is a 422 whatever the version.
            expected.check(current.version)?;
            queries::update(c, &row, current.version)?;
            Ok(row)
        })
        .await
}
