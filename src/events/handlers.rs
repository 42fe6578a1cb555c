//! HTTP handlers for `/api/v1/events`.

use actix_web::{web, HttpRequest, HttpResponse};

use super::model::{CancelEvent, Event, EventPatch, EventQuery, NewEvent};
use super::service;
use crate::calendar;
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::body::{self, Limited};
use crate::http::concurrency::precondition;
use crate::http::error::ApiError;
use crate::http::json::{self, Json};
use crate::http::pagination::Respond;
use crate::http::respond::{attachment, created, method_not_allowed, ok_versioned};
use crate::pagination::Page;
use crate::tokens::Role;

/// Mounts the event routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/events")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/events/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/events/{id}/cancel")
            .route(web::post().to(cancel))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/events/{id}/calendar.ics")
            .route(web::get().to(calendar_file))
            .default_service(web::to(method_not_allowed)),
    );
}

fn location(id: &str) -> String {
    format!("/api/v1/events/{id}")
}

/// Create an event.
#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = NewEvent,
    responses((status = 201, description = "Created", body = Event,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new event")))),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewEvent>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let event = service::create(&state, body.0).await?;
    Ok(created(location(&event.id), event.version, &event))
}

/// List events in start order, with filters and cursor pagination.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventQuery),
    responses((status = 200, description = "One page of events", body = Page<Event>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, query.into_inner()).await?.respond()
}

/// Fetch one event.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = String, Path, description = "Event id")),
    responses((status = 200, description = "The event", body = Event, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let event = service::get(&state, id.into_inner()).await?;
    Ok(ok_versioned(event.version, &event))
}

/// Change some fields of an event; `If-Match` guards against lost updates.
#[utoipa::path(patch, path = "/api/v1/events/{id}", tag = "events", request_body = EventPatch,
    params(("id" = String, Path, description = "Event id"), ("If-Match" = Option<String>, Header, description = "ETag of the version you edited")),
    responses((status = 200, description = "The changed event", body = Event, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<EventPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let expected = precondition(&req, body.0.version);
    let event = service::update(&state, id.into_inner(), body.0, expected).await?;
    Ok(ok_versioned(event.version, &event))
}

/// Delete a draft event; other events are cancelled instead (409).
#[utoipa::path(delete, path = "/api/v1/events/{id}", tag = "events", params(("id" = String, Path, description = "Event id")),
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

/// Cancel a draft or scheduled event, with an optional reason.
#[utoipa::path(post, path = "/api/v1/events/{id}/cancel", tag = "events", request_body(content = Option<CancelEvent>),
    params(("id" = String, Path, description = "Event id")),
    responses((status = 200, description = "The cancelled event", body = Event)),
    security(("bearer" = [])))]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Limited<{ body::JSON_LIMIT }>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let Limited(body) = body;
    // The body is optional: an empty POST cancels without a reason.
    let body: CancelEvent = if body.iter().all(u8::is_ascii_whitespace) {
        CancelEvent::default()
    } else {
        json::parse(&body)?
    };
    let event = service::cancel(&state, id.into_inner(), body, precondition(&req, None)).await?;
    Ok(ok_versioned(event.version, &event))
}

/// The event as an iCalendar file.
#[utoipa::path(get, path = "/api/v1/events/{id}/calendar.ics", tag = "events", params(("id" = String, Path, description = "Event id")),
    responses((status = 200, description = "RFC 5545 calendar", content_type = "text/calendar", body = String)),
    security(("bearer" = [])))]
pub async fn calendar_file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let (id, text) = service::calendar(&state, id.into_inner()).await?;
    Ok(attachment(calendar::CONTENT_TYPE, &format!("event-{id}.ics"), text))
}
