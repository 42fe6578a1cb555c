//! HTTP handlers for `/api/v1/roadshows`.

use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::model::{self, NewRoadshow, Roadshow, RoadshowPatch, RoadshowQuery, RoadshowRow};
use super::queries::{self, Key};
use crate::app::AppState;
use crate::calendar;
use crate::db::Db;
use crate::events::handlers::page as event_page;
use crate::events::model::{Event, EventQuery};
use crate::events::queries as event_queries;
use crate::events::rules::list_filter;
use crate::http::auth::Caller;
use crate::http::concurrency::Precondition;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::pagination::{self, Page};
use crate::http::respond::{attachment, created, method_not_allowed, ok_versioned};
use crate::time;
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

/// The API view of some roadshows, deriving each one's span from its events in one query.
fn with_spans(c: &mut Db, rows: Vec<RoadshowRow>) -> Result<Vec<Roadshow>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let events = event_queries::of_roadshows(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine: Vec<_> = events
                .iter()
                .filter(|e| e.roadshow_id.as_deref() == Some(row.id.as_str()))
                .collect();
            Roadshow::new(row, &mine)
        })
        .collect())
}

fn one(c: &mut Db, row: RoadshowRow) -> Result<Roadshow, ApiError> {
    with_spans(c, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::Internal("roadshow vanished".into()))
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
    let row = model::new_roadshow(body.0, Uuid::new_v4().to_string(), time::now())?;
    let roadshow = state
        .db
        .write(move |c| {
            queries::insert(c, &row)?;
            one(c, row)
        })
        .await?;
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
    let query = query.into_inner();
    let (after, limit) = pagination::window::<Key>(query.limit, query.cursor.as_deref())?;
    let page = state
        .db
        .read(move |c| {
            let rows = queries::list(c, after.as_ref(), limit)?;
            // Spans are loaded for the whole page at once, after it is cut.
            let page = pagination::page(rows, limit, |r| (r.created_at, r.id.clone()), |r| r);
            Ok(Page {
                items: with_spans(c, page.items)?,
                next_cursor: page.next_cursor,
            })
        })
        .await?;
    page.respond()
}

/// Fetch one roadshow with its span, cities and event count.
#[utoipa::path(get, path = "/api/v1/roadshows/{id}", tag = "roadshows", params(("id" = String, Path, description = "Roadshow id")),
    responses((status = 200, description = "The roadshow", body = Roadshow, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let id = id.into_inner();
    let roadshow = state
        .db
        .read(move |c| {
            let row = queries::get(c, &id)?;
            one(c, row)
        })
        .await?;
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
    let (id, patch) = (id.into_inner(), body.0);
    let expected = Precondition::new(&req, patch.version);
    let roadshow = state
        .db
        .write(move |c| {
            let current = queries::get(c, &id)?;
            expected.check(current.version)?;
            let row = model::apply_patch(&current, patch, time::now())?;
            queries::update(c, &row, current.version)?;
            one(c, row)
        })
        .await?;
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
    let id = id.into_inner();
    state.db.write(move |c| queries::delete(c, &id)).await?;
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
    let id = id.into_inner();
    let (mut filter, after, limit) = list_filter(query.into_inner())?;
    let page = state
        .db
        .read(move |c| {
            queries::get(c, &id)?;
            filter.roadshow_id = Some(id);
            event_page(c, &filter, after.as_ref(), limit)
        })
        .await?;
    page.respond()
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
    let id = id.into_inner();
    let (row, events) = state
        .db
        .read(move |c| {
            let row = queries::get(c, &id)?;
            let events = event_queries::of_roadshows(c, &[id.as_str()])?;
            Ok((row, events))
        })
        .await?;
    let text = calendar::build(&row.name, &events, state.settings.base_url());
    Ok(attachment(
        calendar::CONTENT_TYPE,
        &format!("roadshow-{}.ics", row.id),
        text,
    ))
}
