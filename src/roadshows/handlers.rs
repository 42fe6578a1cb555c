//! HTTP handlers for `/api/v1/roadshows`.

use actix_web::{web, HttpRequest, HttpResponse};

use super::model::{NewRoadshow, Roadshow, RoadshowPatch, RoadshowQuery};
use super::service;
use crate::calendar;
use crate::context::AppState;
use crate::events::model::{Event, EventQuery};
use crate::http::auth::Caller;
use crate::http::concurrency::precondition;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::pagination::Respond;
use crate::http::respond::{attachment, created, method_not_allowed, ok_versioned};
use crate::pagination::Page;
use crate::tokens::Role;

/// Mounts the roadshow routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/roadshows")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/roadshows/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/roadshows/{id}/events")
            .route(web::get().to(events))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/roadshows/{id}/calendar.ics")
            .route(web::get().to(calendar_file))
            .default_service(web::to(method_not_allowed)),
    );
}

/// Create a roadshow.
#[utoipa::path(post, path = "/api/v1/roadshows", tag = "roadshows", request_body = NewRoadshow,
    responses((status = 201, description = "Created", body = Roadshow,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new roadshow")))),
    security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/roadshows", tag = "roadshows", params(RoadshowQuery),
    responses((status = 200, description = "One page of roadshows", body = Page<Roadshow>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<RoadshowQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, query.into_inner()).await?.respond()
}

/// Fetch one roadshow with its span, cities and event count.
#[utoipa::path(get, path = "/api/v1/roadshows/{id}", tag = "roadshows", params(("id" = String, Path, description = "Roadshow id")),
    responses((status = 200, description = "The roadshow", body = Roadshow, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let roadshow = service::get(&state, id.into_inner()).await?;
    Ok(ok_versioned(roadshow.version, &roadshow))
}

/// Change a roadshow's name, description or theme.
#[utoipa::path(patch, path = "/api/v1/roadshows/{id}", tag = "roadshows", request_body = RoadshowPatch,
    params(("id" = String, Path, description = "Roadshow id"), ("If-Match" = Option<String>, Header, description = "ETag of the version you edited")),
    responses((status = 200, description = "The changed roadshow", body = Roadshow, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<RoadshowPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let expected = precondition(&req, body.0.version);
    let roadshow = service::update(&state, id.into_inner(), body.0, expected).await?;
    Ok(ok_versioned(roadshow.version, &roadshow))
}

/// Delete a roadshow that has no events (409 otherwise).
#[utoipa::path(delete, path = "/api/v1/roadshows/{id}", tag = "roadshows", params(("id" = String, Path, description = "Roadshow id")),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    service::delete(&state, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The roadshow's events in time order (same filters and pagination as `/events`).
#[utoipa::path(get, path = "/api/v1/roadshows/{id}/events", tag = "roadshows",
    params(("id" = String, Path, description = "Roadshow id"), EventQuery),
    responses((status = 200, description = "One page of its events", body = Page<Event>)),
    security(("bearer" = [])))]
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::events(&state, id.into_inner(), query.into_inner())
        .await?
        .respond()
}

/// All the roadshow's events as one iCalendar file, each in its own zone.
#[utoipa::path(get, path = "/api/v1/roadshows/{id}/calendar.ics", tag = "roadshows", params(("id" = String, Path, description = "Roadshow id")),
    responses((status = 200, description = "RFC 5545 calendar", content_type = "text/calendar", body = String)),
    security(("bearer" = [])))]
pub async fn calendar_file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let (id, text) = service::calendar(&state, id.into_inner()).await?;
    Ok(attachment(calendar::CONTENT_TYPE, &format!("roadshow-{id}.ics"), text))
}
