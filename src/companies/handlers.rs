//! HTTP handlers for `/api/v1/companies`.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};

use super::model::{Company, CompanyPage, CompanyPatch, CompanyQuery, NewCompany};
use super::service;
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::concurrency::precondition;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::openapi::IfMatch;
use crate::http::pagination::Respond;
use crate::http::respond::{created, ok_versioned};
use crate::tokens::Role;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

/// Mounts the routes; each handler's route macro is the one declaration of its path and
/// method, for the router and the OpenAPI document alike.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(create).service(get).service(update);
}

/// Create a company; a name already taken (ignoring case and spacing) is 409 with `existing_id`.
#[utoipa::path(operation_id = "createCompany", tag = "companies", request_body = NewCompany,
    responses((status = 201, description = "Created", body = Company,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new company")))),
    security(("bearer" = [])))]
#[post("/companies")]
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
#[utoipa::path(operation_id = "listCompanies", tag = "companies", params(CompanyQuery),
    responses((status = 200, description = "One page of companies", body = CompanyPage)),
    security(("bearer" = [])))]
#[get("/companies")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<CompanyQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, query.into_inner()).await?.respond()
}

/// Fetch one company.
#[utoipa::path(operation_id = "getCompany", tag = "companies", params(("id" = Uuid, Path, description = "Company id")),
    responses((status = 200, description = "The company", body = Company, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
#[get("/companies/{id}")]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let row = service::get(&state, id.to_string()).await?;
    Ok(ok_versioned(row.version, &Company::from(row)))
}

/// Change some fields of a company.
#[utoipa::path(operation_id = "updateCompany", tag = "companies", request_body = CompanyPatch,
    params(("id" = Uuid, Path, description = "Company id"), IfMatch),
    responses((status = 200, description = "The changed company", body = Company, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[patch("/companies/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<CompanyPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let expected = precondition(&req, body.0.version);
    let row = service::update(&state, id.to_string(), body.0, expected).await?;
    Ok(ok_versioned(row.version, &Company::from(row)))
}
