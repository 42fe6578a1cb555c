//! HTTP handlers for `/api/v1/roadshows`.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

use super::model::{NewRoadshow, Roadshow, RoadshowPage, RoadshowPatch, RoadshowQuery};
use super::service;
use crate::calendar;
use crate::context::AppState;
use crate::events::model::{EventPage, EventQuery};
use crate::http::auth::Caller;
use crate::http::concurrency::precondition;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::openapi::IfMatch;
use crate::http::pagination::Respond;
use crate::http::respond::{attachment, created, ok_versioned};
use crate::tokens::Role;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

/// Mounts the routes; each handler's route macro is the one declaration of its path and
/// method, for the router and the OpenAPI document alike.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(delete)
        .service(events)
        .service(calendar_file);
}

/// Create a roadshow.
#[utoipa::path(operation_id = "createRoadshow", tag = "roadshows", request_body = NewRoadshow,
    responses((status = 201, description = "Created", body = Roadshow,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new roadshow")))),
    security(("bearer" = [])))]
#[post("/roadshows")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewRoadshow>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let roadshow = service::create(&state, body.0).await?;
    Ok(created(
        format!("/api/v1/roadshows/{}", roadshow.id),
        roadshow.version,
        &roadshow,
    ))
}

/// List roadshows in creation order.
#[utoipa::path(operation_id = "listRoadshows", tag = "roadshows", params(RoadshowQuery),
    responses((status = 200, description = "One page of roadshows", body = RoadshowPage)),
    security(("bearer" = [])))]
#[get("/roadshows")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<RoadshowQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, query.into_inner()).await?.respond()
}

/// Fetch one roadshow with its span, cities and event count.
#[utoipa::path(operation_id = "getRoadshow", tag = "roadshows", params(("id" = Uuid, Path, description = "Roadshow id")),
    responses((status = 200, description = "The roadshow", body = Roadshow, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
#[get("/roadshows/{id}")]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let roadshow = service::get(&state, id.to_string()).await?;
    Ok(ok_versioned(roadshow.version, &roadshow))
}

/// Change a roadshow's name, description or theme.
#[utoipa::path(operation_id = "updateRoadshow", tag = "roadshows", request_body = RoadshowPatch,
    params(("id" = Uuid, Path, description = "Roadshow id"), IfMatch),
    responses((status = 200, description = "The changed roadshow", body = Roadshow, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[patch("/roadshows/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<RoadshowPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let expected = precondition(&req, body.0.version);
    let roadshow = service::update(&state, id.to_string(), body.0, expected).await?;
    Ok(ok_versioned(roadshow.version, &roadshow))
}

/// Delete a roadshow that has no events (409 otherwise).
#[utoipa::path(operation_id = "deleteRoadshow", tag = "roadshows", params(("id" = Uuid, Path, description = "Roadshow id")),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = [])))]
#[delete("/roadshows/{id}")]
pub async fn delete(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    service::delete(&state, id.to_string()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The roadshow's events in time order (same filters and pagination as `/events`).
#[utoipa::path(operation_id = "listRoadshowEvents", tag = "roadshows",
    params(("id" = Uuid, Path, description = "Roadshow id"), EventQuery),
    responses((status = 200, description = "One page of its events", body = EventPage)),
    security(("bearer" = [])))]
#[get("/roadshows/{id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::events(&state, id.to_string(), query.into_inner())
        .await?
        .respond()
}

/// All the roadshow's events as one iCalendar file, each in its own zone.
#[utoipa::path(operation_id = "getRoadshowCalendar", tag = "roadshows", params(("id" = Uuid, Path, description = "Roadshow id")),
    responses((status = 200, description = "RFC 5545 calendar", content_type = "text/calendar", body = String)),
    security(("bearer" = [])))]
#[get("/roadshows/{id}/calendar.ics")]
pub async fn calendar_file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let (id, text) = service::calendar(&state, id.to_string()).await?;
    Ok(attachment(calendar::CONTENT_TYPE, &format!("roadshow-{id}.ics"), text))
}
