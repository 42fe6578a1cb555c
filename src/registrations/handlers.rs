//! HTTP handlers for registrations: `/api/v1/events/{id}/registrations…` and `/api/v1/registrations/{id}…`.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

use super::csv::{self as sheet, ImportReport};
use super::model::{NewRegistration, Registration, RegistrationPage, RegistrationPatch, RegistrationQuery};
use super::rules;
use super::service::{self, Registered};
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::body::Limited;
use crate::http::concurrency::{etag, precondition};
use crate::http::error::ApiError;
use crate::http::idempotency;
use crate::http::json::{self, Json};
use crate::http::openapi::{IdempotencyKey, IfMatch};
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
        .service(export)
        .service(import)
        .service(get)
        .service(update)
        .service(cancel)
        .service(check_in)
        .service(undo_check_in);
}

fn location(id: &str) -> String {
    format!("/api/v1/registrations/{id}")
}

/// The headers a stored (idempotent) registration response is replayed with.
fn stored_headers(reg: &Registration) -> Vec<(String, String)> {
    vec![
        (header::LOCATION.to_string(), location(&reg.id)),
        (header::ETAG.to_string(), etag(reg.version)),
    ]
}

/// Register someone: by `contact_id` or inline (an existing email is reused). 201 with
/// `status` `registered` while seats remain, else `waitlisted` with a `waitlist_position`.
///
/// `contact_id` must name an existing contact (422 otherwise).
#[utoipa::path(operation_id = "createRegistration", tag = "registrations", request_body = NewRegistration,
    params(("id" = Uuid, Path, description = "Event id"),
        IdempotencyKey),
    responses((status = 201, description = "Registered or waitlisted", body = Registration,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new registration")))),
    security(("bearer" = [])))]
#[post("/events/{id}/registrations")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    event_id: web::Path<Uuid>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let event_id = event_id.to_string();
    let scope = format!("{}:registrations:{event_id}", caller.0.id);
    let claim = idempotency::claim(&req, scope, &body.0)?;
    let input = rules::validate(json::from_value::<NewRegistration>(body.0)?)?;
    Ok(
        match service::create(&state, event_id, input, claim, stored_headers).await? {
            Registered::Fresh(reg) => created(location(&reg.id), reg.version, &reg),
            Registered::Stored(stored) => idempotency::replay(&stored),
        },
    )
}

/// List an event's registrations, filtered by status, role, company or text.
#[utoipa::path(operation_id = "listRegistrations", tag = "registrations",
    params(("id" = Uuid, Path, description = "Event id"), RegistrationQuery),
    responses((status = 200, description = "One page of registrations", body = RegistrationPage)),
    security(("bearer" = [])))]
#[get("/events/{id}/registrations")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    event_id: web::Path<Uuid>,
    query: web::Query<RegistrationQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, event_id.to_string(), query.into_inner())
        .await?
        .respond()
}

/// The event's registrations as a spreadsheet (CSV, UTF-8 with BOM, times in the event's zone).
#[utoipa::path(operation_id = "exportRegistrations", tag = "registrations",
    params(("id" = Uuid, Path, description = "Event id")),
    responses((status = 200, description = "CSV with a header row", content_type = "text/csv", body = String)),
    security(("bearer" = [])))]
#[get("/events/{id}/registrations.csv")]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    event_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let text = service::export(&state, event_id.to_string()).await?;
    Ok(attachment("text/csv; charset=utf-8", "registrations.csv", text))
}

/// Import registrations from CSV (headers in English or Chinese, e.g. 姓名, 邮箱, 单位, 职务, 电话).
/// Each row is imported on its own; the report says what became of each.
///
/// The first row must be a header naming at least the name and email columns (e.g.
/// `name,email` or `姓名,邮箱`); a body without one is a 400.
#[utoipa::path(operation_id = "importRegistrations", tag = "registrations",
    params(("id" = Uuid, Path, description = "Event id")),
    request_body(content = String, content_type = "text/csv", description = "UTF-8, with or without BOM"),
    responses((status = 200, description = "Per-row report", body = ImportReport)),
    security(("bearer" = [])))]
#[post("/events/{id}/registrations/import")]
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    event_id: web::Path<Uuid>,
    body: Limited<{ sheet::MAX_BYTES }>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(mime.as_str(), "text/csv" | "application/csv" | "text/plain") {
        return Err(ApiError::UnsupportedMediaType(
            "send the file with Content-Type: text/csv".into(),
        ));
    }
    let rows = sheet::parse(&body.0)?;
    let report = super::import::import(&state, event_id.to_string(), rows).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Fetch one registration.
#[utoipa::path(operation_id = "getRegistration", tag = "registrations", params(("id" = Uuid, Path, description = "Registration id")),
    responses((status = 200, description = "The registration", body = Registration, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
#[get("/registrations/{id}")]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let reg = service::get(&state, id.to_string()).await?;
    Ok(ok_versioned(reg.version, &reg))
}

/// Change a registration's role or notes (status changes have their own routes).
#[utoipa::path(operation_id = "updateRegistration", tag = "registrations", request_body = RegistrationPatch,
    params(("id" = Uuid, Path, description = "Registration id"), IfMatch),
    responses((status = 200, description = "The changed registration", body = Registration, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[patch("/registrations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<RegistrationPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let expected = precondition(&req, body.0.version);
    let reg = service::patch(&state, id.to_string(), body.0, expected).await?;
    Ok(ok_versioned(reg.version, &reg))
}

/// Cancel a registration; its seat goes to the longest-waiting person. Idempotent.
#[utoipa::path(operation_id = "cancelRegistration", tag = "registrations", params(("id" = Uuid, Path, description = "Registration id"), IfMatch),
    responses((status = 200, description = "The cancelled registration", body = Registration, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[post("/registrations/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let reg = service::change(&state, id.to_string(), precondition(&req, None), service::cancel).await?;
    Ok(ok_versioned(reg.version, &reg))
}

/// Check an attendee in; a second call keeps the first time. 409 unless registered.
#[utoipa::path(operation_id = "checkInRegistration", tag = "registrations", params(("id" = Uuid, Path, description = "Registration id"), IfMatch),
    responses((status = 200, description = "Checked in", body = Registration, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[post("/registrations/{id}/check-in")]
pub async fn check_in(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let reg = service::change(&state, id.to_string(), precondition(&req, None), service::check_in).await?;
    Ok(ok_versioned(reg.version, &reg))
}

/// Undo a check-in.
#[utoipa::path(operation_id = "undoCheckInRegistration", tag = "registrations", params(("id" = Uuid, Path, description = "Registration id"), IfMatch),
    responses((status = 200, description = "No longer checked in", body = Registration, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[delete("/registrations/{id}/check-in")]
pub async fn undo_check_in(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let reg = service::change(&state, id.to_string(), precondition(&req, None), service::undo_check_in).await?;
    Ok(ok_versioned(reg.version, &reg))
}
