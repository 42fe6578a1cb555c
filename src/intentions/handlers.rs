//! HTTP handlers for intentions (organisers write, viewers read; no DELETE: an intention
//! ends as `dropped`), their history and activities, the pipeline statistics and the
//! outcomes of events and roadshows.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::csv;
use super::model::{
    Activity, ActivityPage, CsvQuery, HistoryEntryPage, Intention, IntentionPage, IntentionPatch, IntentionQuery,
    NewActivity, NewIntention, Outcomes, PageQuery, PipelineStats, StatsQuery,
};
use super::rules::parse_query;
use super::service::{self, Actor, Scope};
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::concurrency::precondition;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::pagination::Respond;
use crate::http::respond::{attachment, created, ok_versioned};
use crate::tokens::Role;

/// Mounts the intention, statistics and outcome routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(export)
        .service(get)
        .service(update)
        .service(history)
        .service(add_activity)
        .service(activities)
        .service(company_intentions)
        .service(contact_intentions)
        .service(pipeline)
        .service(event_outcomes)
        .service(roadshow_outcomes);
}

fn actor(caller: &Caller) -> Actor {
    Actor {
        name: caller.name().to_string(),
        team_id: caller.team_id().map(String::from),
    }
}

fn location(id: &str) -> String {
    format!("/api/v1/intentions/{id}")
}

/// Record an intention; `owner_team_id` defaults to the token's team.
///
/// The ids must name existing records, and the stage's rules span fields (`dropped_reason`
/// only when dropped, dates only once reached): otherwise a 422.
#[utoipa::path(tag = "intentions", operation_id = "createIntention",
    request_body = NewIntention,
    responses((status = 201, description = "Created", body = Intention,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new intention")))),
    security(("bearer" = [])))]
#[post("/intentions")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewIntention>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let made = service::create(&state, actor(&caller), body.0).await?;
    Ok(created(location(&made.id), made.version, &made))
}

/// List intentions with filters (`stage` may repeat), newest change first or by follow-up date.
#[utoipa::path(tag = "intentions", operation_id = "listIntentions",
    params(IntentionQuery, PageQuery),
    responses((status = 200, description = "One page of intentions", body = IntentionPage)),
    security(("bearer" = [])))]
#[get("/intentions")]
pub async fn list(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    scoped_list(&state, &caller, &req, Scope::All).await
}

/// The intentions matching the same filters as a spreadsheet (UTF-8 with BOM; `headers=zh` for Chinese headers).
#[utoipa::path(tag = "intentions", operation_id = "exportIntentions",
    params(IntentionQuery, CsvQuery),
    responses((status = 200, description = "CSV with a header row", content_type = "text/csv", body = String)),
    security(("bearer" = [])))]
#[get("/intentions.csv")]
pub async fn export(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let query = parse_query(req.query_string(), true)?;
    let chinese = match query.headers.as_deref() {
        None | Some("en") => false,
        Some("zh") => true,
        Some(other) => return Err(ApiError::invalid("headers", format!("{other:?} is not one of: en, zh"))),
    };
    let rows = service::export(&state, query).await?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        "intentions.csv",
        csv::export(&rows, chinese)?,
    ))
}

/// Fetch one intention.
#[utoipa::path(tag = "intentions", operation_id = "getIntention",
    params(("id" = String, Path, format = Uuid, description = "Intention id")),
    responses((status = 200, description = "The intention", body = Intention, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
#[get("/intentions/{id}")]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let found = service::get(&state, id.into_inner()).await?;
    Ok(ok_versioned(found.version, &found))
}

/// Change an intention: stage moves follow the pipeline's rules (refused moves are 409
/// naming both stages); each tracked change appends a history entry.
///
/// The ids must name existing records, and the stage's rules span fields: otherwise a 422.
#[utoipa::path(tag = "intentions", operation_id = "updateIntention",
    request_body = IntentionPatch,
    params(("id" = String, Path, format = Uuid, description = "Intention id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version you edited")),
    responses((status = 200, description = "The changed intention", body = Intention, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[patch("/intentions/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<IntentionPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let expected = precondition(&req, body.0.version);
    let changed = service::update(&state, actor(&caller), id.into_inner(), body.0, expected).await?;
    Ok(ok_versioned(changed.version, &changed))
}

/// An intention's history, oldest first: one entry per changed field (append-only).
#[utoipa::path(tag = "intentions", operation_id = "listIntentionHistory",
    params(("id" = String, Path, format = Uuid, description = "Intention id"), PageQuery),
    responses((status = 200, description = "One page of history entries", body = HistoryEntryPage)),
    security(("bearer" = [])))]
#[get("/intentions/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::history(&state, id.into_inner(), query.into_inner())
        .await?
        .respond()
}

/// Record a follow-up activity; `next_follow_up_on` also moves the intention's date.
///
/// A `contact_id` must name an existing contact: otherwise a 422.
#[utoipa::path(tag = "intentions", operation_id = "createIntentionActivity",
    request_body = NewActivity,
    params(("id" = String, Path, format = Uuid, description = "Intention id")),
    responses((status = 201, description = "Recorded", body = Activity)),
    security(("bearer" = [])))]
#[post("/intentions/{id}/activities")]
pub async fn add_activity(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<NewActivity>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let made = service::add_activity(&state, actor(&caller), id.into_inner(), body.0).await?;
    Ok(HttpResponse::Created().json(made))
}

/// An intention's activities, most recent first.
#[utoipa::path(tag = "intentions", operation_id = "listIntentionActivities",
    params(("id" = String, Path, format = Uuid, description = "Intention id"), PageQuery),
    responses((status = 200, description = "One page of activities", body = ActivityPage)),
    security(("bearer" = [])))]
#[get("/intentions/{id}/activities")]
pub async fn activities(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::activities(&state, id.into_inner(), query.into_inner())
        .await?
        .respond()
}

/// One page of the intentions in `scope`, with the list's filters from the query string.
async fn scoped_list(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    scope: Scope,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let query = parse_query(req.query_string(), false)?;
    service::list(state, query, scope).await?.respond()
}

/// A company's intentions (same filters as the list).
#[utoipa::path(tag = "intentions", operation_id = "listCompanyIntentions",
    params(("id" = String, Path, format = Uuid, description = "Company id"), IntentionQuery, PageQuery),
    responses((status = 200, description = "One page of intentions", body = IntentionPage)),
    security(("bearer" = [])))]
#[get("/companies/{id}/intentions")]
pub async fn company_intentions(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    scoped_list(&state, &caller, &req, Scope::Company(id.into_inner())).await
}

/// A contact's intentions (same filters as the list); an erased contact keeps them.
#[utoipa::path(tag = "intentions", operation_id = "listContactIntentions",
    params(("id" = String, Path, format = Uuid, description = "Contact id"), IntentionQuery, PageQuery),
    responses((status = 200, description = "One page of intentions", body = IntentionPage)),
    security(("bearer" = [])))]
#[get("/contacts/{id}/intentions")]
pub async fn contact_intentions(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    scoped_list(&state, &caller, &req, Scope::Contact(id.into_inner())).await
}

/// The pipeline in one call: per stage the count and amounts per currency, major
/// projects, overdue follow-ups per team, and target companies.
#[utoipa::path(tag = "stats", operation_id = "getPipelineStats",
    params(StatsQuery),
    responses((status = 200, description = "The pipeline", body = PipelineStats)),
    security(("bearer" = [])))]
#[get("/stats/pipeline")]
pub async fn pipeline(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(HttpResponse::Ok().json(service::stats(&state, query.into_inner()).await?))
}

/// What an event produced: attendance, companies, and the funnel of intentions raised there.
#[utoipa::path(tag = "stats", operation_id = "getEventOutcomes",
    params(("id" = String, Path, format = Uuid, description = "Event id")),
    responses((status = 200, description = "The event's outcomes", body = Outcomes)),
    security(("bearer" = [])))]
#[get("/events/{id}/outcomes")]
pub async fn event_outcomes(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(HttpResponse::Ok().json(service::event_outcomes(&state, id.into_inner()).await?))
}

/// What a roadshow produced across its events.
#[utoipa::path(tag = "stats", operation_id = "getRoadshowOutcomes",
    params(("id" = String, Path, format = Uuid, description = "Roadshow id")),
    responses((status = 200, description = "The roadshow's outcomes", body = Outcomes)),
    security(("bearer" = [])))]
#[get("/roadshows/{id}/outcomes")]
pub async fn roadshow_outcomes(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(HttpResponse::Ok().json(service::roadshow_outcomes(&state, id.into_inner()).await?))
}
