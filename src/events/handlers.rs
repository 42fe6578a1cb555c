//! HTTP handlers for `/api/v1/events`.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::model::EventPage;
use super::model::{CancelEvent, Event, EventPatch, EventQuery, NewEvent};
use super::service;
use crate::calendar;
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::body::{self, Limited};
use crate::http::concurrency::precondition;
use crate::http::error::ApiError;
use crate::http::json::{self, Json};
use crate::http::openapi::IfMatch;
use crate::http::pagination::Respond;
use crate::http::respond::{attachment, created, ok_versioned};
use crate::tokens::Role;

/// Mounts the event routes; each handler's route macro is the one declaration of its
/// path and method, for the router and the OpenAPI document alike.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(delete)
        .service(cancel)
        .service(calendar_file);
}

fn location(id: &str) -> String {
    format!("/api/v1/events/{id}")
}

/// Create an event.
///
/// Beyond the schema: `ends_at` must be after `starts_at`, `registration_closes_at` not
/// after `ends_at`, a wall time must exist in `timezone` (not skipped by a summer-time
/// change), and `roadshow_id` must name an existing roadshow; otherwise 422.
#[utoipa::path(operation_id = "createEvent", tag = "events", request_body = NewEvent,
    responses((status = 201, description = "Created", body = Event,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new event")))),
    security(("bearer" = [])))]
#[post("/events")]
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
#[utoipa::path(operation_id = "listEvents", tag = "events", params(EventQuery),
    responses((status = 200, description = "One page of events", body = EventPage)),
    security(("bearer" = [])))]
#[get("/events")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, query.into_inner()).await?.respond()
}

/// Fetch one event.
#[utoipa::path(operation_id = "getEvent", tag = "events", params(("id" = Uuid, Path, description = "Event id")),
    responses((status = 200, description = "The event", body = Event, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
#[get("/events/{id}")]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let event = service::get(&state, id.to_string()).await?;
    Ok(ok_versioned(event.version, &event))
}

/// Change some fields of an event; `If-Match` (or `version` in the body) guards against lost updates.
///
/// The result must keep the event's rules (`ends_at` after `starts_at`,
/// `registration_closes_at` not after `ends_at`, an existing `roadshow_id`), else 422.
#[utoipa::path(operation_id = "updateEvent", tag = "events", request_body = EventPatch,
    params(("id" = Uuid, Path, description = "Event id"), IfMatch),
    responses((status = 200, description = "The changed event", body = Event, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[patch("/events/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<EventPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let expected = precondition(&req, body.0.version);
    let event = service::update(&state, id.to_string(), body.0, expected).await?;
    Ok(ok_versioned(event.version, &event))
}

/// Delete a draft event; other events are cancelled instead (409).
#[utoipa::path(operation_id = "deleteEvent", tag = "events", params(("id" = Uuid, Path, description = "Event id")),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = [])))]
#[delete("/events/{id}")]
pub async fn delete(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    service::delete(&state, id.to_string()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Cancel a draft or scheduled event, with an optional reason (an empty body cancels without one).
#[utoipa::path(operation_id = "cancelEvent", tag = "events", request_body(content = CancelEvent, description = "Optional: an empty body cancels without a reason"),
    params(("id" = Uuid, Path, description = "Event id"), IfMatch),
    responses((status = 200, description = "The cancelled event", body = Event, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[post("/events/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
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
    let event = service::cancel(&state, id.to_string(), body, precondition(&req, None)).await?;
    Ok(ok_versioned(event.version, &event))
}

/// The event as an iCalendar file.
#[utoipa::path(operation_id = "getEventCalendar", tag = "events", params(("id" = Uuid, Path, description = "Event id")),
    responses((status = 200, description = "RFC 5545 calendar", content_type = "text/calendar", body = String)),
    security(("bearer" = [])))]
#[get("/events/{id}/calendar.ics")]
pub async fn calendar_file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let (id, text) = service::calendar(&state, id.to_string()).await?;
    Ok(attachment(calendar::CONTENT_TYPE, &format!("event-{id}.ics"), text))
}
