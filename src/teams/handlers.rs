//! HTTP handlers for `/api/v1/teams` (admins write, every token reads).

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{NewTeam, Team, TeamPage, TeamPatch, TeamQuery};
use super::service;
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::concurrency::precondition;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::pagination::Respond;
use crate::http::respond::{created, ok_versioned};
use crate::tokens::Role;

/// Mounts the team routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create).service(list).service(get).service(update);
}

/// Create a team (admins); a name already taken (ignoring case and spacing) is 409 with `existing_id`.
#[utoipa::path(tag = "teams", operation_id = "createTeam", request_body = NewTeam,
    responses((status = 201, description = "Created", body = Team,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new team")))),
    security(("bearer" = [])))]
#[post("/teams")]
pub async fn create(state: web::Data<AppState>, caller: Caller, body: Json<NewTeam>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let row = service::create(&state, body.0).await?;
    Ok(created(
        format!("/api/v1/teams/{}", row.id),
        row.version,
        &Team::from(row),
    ))
}

/// List teams, oldest first.
#[utoipa::path(tag = "teams", operation_id = "listTeams", params(TeamQuery),
    responses((status = 200, description = "One page of teams", body = TeamPage)),
    security(("bearer" = [])))]
#[get("/teams")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<TeamQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, query.into_inner()).await?.respond()
}

/// Fetch one team.
#[utoipa::path(tag = "teams", operation_id = "getTeam",
    params(("id" = String, Path, format = Uuid, description = "Team id")),
    responses((status = 200, description = "The team", body = Team, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
#[get("/teams/{id}")]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let row = service::get(&state, id.into_inner()).await?;
    Ok(ok_versioned(row.version, &Team::from(row)))
}

/// Change some fields of a team (admins).
#[utoipa::path(tag = "teams", operation_id = "updateTeam", request_body = TeamPatch,
    params(("id" = String, Path, format = Uuid, description = "Team id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version you edited")),
    responses((status = 200, description = "The changed team", body = Team, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[patch("/teams/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<TeamPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let expected = precondition(&req, body.0.version);
    let row = service::update(&state, id.into_inner(), body.0, expected).await?;
    Ok(ok_versioned(row.version, &Team::from(row)))
}
