//! HTTP handlers for `/api/v1/companies`.

use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::model::{self, country, Company, CompanyPatch, CompanyQuery, NewCompany};
use super::queries::{self, Filter, Key};
use crate::app::AppState;
use crate::http::auth::Caller;
use crate::http::concurrency::Precondition;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::pagination::{self, Page};
use crate::http::respond::{created, method_not_allowed, ok_versioned};
use crate::time;
use crate::tokens::Role;
use crate::validation::Checks;

/// Mounts the company routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/companies")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/companies/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .default_service(web::to(method_not_allowed)),
    );
}

/// Create a company; a name already taken (ignoring case and spacing) is 409 with `existing_id`.
#[utoipa::path(post, path = "/api/v1/companies", tag = "companies", request_body = NewCompany,
    responses((status = 201, description = "Created", body = Company,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new company")))),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewCompany>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let row = model::new_company(body.0, Uuid::new_v4().to_string(), time::now())?;
    let row = state
        .db
        .write(move |c| {
            queries::insert(c, &row)?;
            Ok(row)
        })
        .await?;
    Ok(created(
        format!("/api/v1/companies/{}", row.id),
        row.version,
        &Company::from(row),
    ))
}

/// List companies, filtered by text, target flag, industry chain or country.
#[utoipa::path(get, path = "/api/v1/companies", tag = "companies", params(CompanyQuery),
    responses((status = 200, description = "One page of companies", body = Page<Company>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<CompanyQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let q = query.into_inner();
    let (after, limit) = pagination::window::<Key>(q.limit, q.cursor.as_deref())?;
    let mut c = Checks::default();
    let filter = Filter {
        q: c.text("q", q.q, 200).map(|s| model::name_key(&s)),
        is_target: q.is_target,
        industry_chain: c.text("industry_chain", q.industry_chain, 200),
        country: q.country.and_then(|v| c.check(country("country", &v))),
    };
    c.finish()?;
    let page = state
        .db
        .read(move |c| {
            let rows = queries::list(c, &filter, after.as_ref(), limit)?;
            Ok(pagination::page(
                rows,
                limit,
                |r| (r.created_at, r.id.clone()),
                Company::from,
            ))
        })
        .await?;
    page.respond()
}

/// Fetch one company.
#[utoipa::path(get, path = "/api/v1/companies/{id}", tag = "companies", params(("id" = String, Path, description = "Company id")),
    responses((status = 200, description = "The company", body = Company, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let id = id.into_inner();
    let row = state.db.read(move |c| queries::get(c, &id)).await?;
    Ok(ok_versioned(row.version, &Company::from(row)))
}

/// Change some fields of a company.
#[utoipa::path(patch, path = "/api/v1/companies/{id}", tag = "companies", request_body = CompanyPatch,
    params(("id" = String, Path, description = "Company id"), ("If-Match" = Option<String>, Header, description = "ETag of the version you edited")),
    responses((status = 200, description = "The changed company", body = Company, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<CompanyPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let (id, patch) = (id.into_inner(), body.0);
    let expected = Precondition::new(&req, patch.version);
    let row = state
        .db
        .write(move |c| {
            let current = queries::get(c, &id)?;
            expected.check(current.version)?;
            let row = model::apply_patch(&current, patch, time::now())?;
            queries::update(c, &row, current.version)?;
            Ok(row)
        })
        .await?;
    Ok(ok_versioned(row.version, &Company::from(row)))
}
