//! HTTP handlers for `/api/v1/companies`.

use actix_web::{web, HttpRequest, HttpResponse};

use super::model::{Company, CompanyPatch, CompanyQuery, NewCompany};
use super::service;
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::concurrency::precondition;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::pagination::Respond;
use crate::http::respond::{created, method_not_allowed, ok_versioned};
use crate::pagination::Page;
use crate::tokens::Role;

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
    let row = service::create(&state, body.0).await?;
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
    service::list(&state, query.into_inner()).await?.respond()
}

/// Fetch one company.
#[utoipa::path(get, path = "/api/v1/companies/{id}", tag = "companies", params(("id" = String, Path, description = "Company id")),
    responses((status = 200, description = "The company", body = Company, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let row = service::get(&state, id.into_inner()).await?;
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
    let expected = precondition(&req, body.0.version);
    let row = service::update(&state, id.into_inner(), body.0, expected).await?;
    Ok(ok_versioned(row.version, &Company::from(row)))
}
