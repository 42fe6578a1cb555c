//! HTTP handlers for `/api/v1/events`.

use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::model::{CancelEvent, Event, EventCounts, EventPatch, EventQuery, EventRow, NewEvent};
use super::queries::{self, Filter, Key};
use super::rules;
use crate::app::AppState;
use crate::calendar;
use crate::db::Db;
use crate::http::auth::Caller;
use crate::http::concurrency::Precondition;
use crate::http::error::ApiError;
use crate::http::json::{self, Json};
use crate::http::pagination::{self, Page};
use crate::http::respond::{attachment, created, method_not_allowed, ok_versioned};
use crate::time;
use crate::tokens::Role;
use crate::{registrations, roadshows};

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
    let row = rules::new_event(body.0, Uuid::new_v4().to_string(), time::now())?;
    let row = state
        .db
        .write(move |c| {
            if let Some(r) = &row.roadshow_id {
                roadshows::queries::ensure_exists(c, r)?;
            }
            queries::insert(c, &row)?;
            Ok(row)
        })
        .await?;
    Ok(created(
        location(&row.id),
        row.version,
        &Event::from_row(row, EventCounts::default()),
    ))
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
    let (filter, after, limit) = rules::list_filter(query.into_inner())?;
    let page = state.db.read(move |c| page(c, &filter, after.as_ref(), limit)).await?;
    page.respond()
}

/// One page of events as the API shows them.
pub fn page(c: &mut Db, filter: &Filter, after: Option<&Key>, limit: i64) -> Result<Page<Event>, ApiError> {
    let rows = queries::list(c, filter, after, limit)?;
    Ok(pagination::page(
        rows,
        limit,
        |(r, _)| (r.starts_at, r.id.clone()),
        |(r, counts)| Event::from_row(r, counts),
    ))
}

/// One event as the API shows it.
pub fn load(c: &mut Db, id: &str) -> Result<Event, ApiError> {
    let (row, counts) = queries::get_full(c, id)?;
    Ok(Event::from_row(row, counts))
}

/// Fetch one event.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = String, Path, description = "Event id")),
    responses((status = 200, description = "The event", body = Event, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let id = id.into_inner();
    let event = state.db.read(move |c| load(c, &id)).await?;
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
    let (id, patch) = (id.into_inner(), body.0);
    let expected = Precondition::new(&req, patch.version);
    let event = state
        .db
        .write(move |c| {
            queries::lock(c, &id)?;
            let (current, counts) = queries::get_full(c, &id)?;
            expected.check(current.version)?;
            let row = rules::apply_patch(&current, patch, time::now())?;
            if row.roadshow_id != current.roadshow_id {
                if let Some(r) = &row.roadshow_id {
                    roadshows::queries::ensure_exists(c, r)?;
                }
            }
            rules::check_capacity(row.capacity, &counts)?;
            queries::update(c, &row, current.version)?;
            if row.tags != current.tags {
                queries::index_tags(c, &row)?;
            }
            if row.capacity != current.capacity {
                // More seats: the waitlist moves up in order.
                registrations::service::fill_seats(c, &id)?;
            }
            load(c, &id)
        })
        .await?;
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
    let id = id.into_inner();
    state
        .db
        .write(move |c| {
            let row = queries::get(c, &id)?;
            rules::check_deletable(&row)?;
            queries::delete(c, &id)
        })
        .await?;
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
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    // The body is optional: an empty POST cancels without a reason.
    let body: CancelEvent = if body.iter().all(u8::is_ascii_whitespace) {
        CancelEvent::default()
    } else {
        json::parse(&body)?
    };
    let id = id.into_inner();
    let event = state
        .db
        .write(move |c| {
            let current = queries::get(c, &id)?;
            let row = rules::cancel(&current, body.reason, time::now())?;
            queries::update(c, &row, current.version)?;
            load(c, &id)
        })
        .await?;
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
    let id = id.into_inner();
    let row: EventRow = state.db.read(move |c| queries::get(c, &id)).await?;
    let text = calendar::build(&row.title, std::slice::from_ref(&row), state.settings.base_url());
    Ok(attachment(
        calendar::CONTENT_TYPE,
        &format!("event-{}.ics", row.id),
        text,
    ))
}
