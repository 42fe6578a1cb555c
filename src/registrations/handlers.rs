//! HTTP handlers for registrations: `/api/v1/events/{id}/registrations…` and `/api/v1/registrations/{id}…`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::csv::{self as sheet, ImportOutcome, ImportReport, ImportRowReport};
use super::model::{
    AttendeeRole, EventBriefRow, NewRegistration, Registration, RegistrationPatch, RegistrationQuery,
    RegistrationStatus, RegistrationView, Source,
};
use super::queries::{self, Filter, Key};
use super::{rules, service};
use crate::app::AppState;
use crate::db::Db;
use crate::events::queries as events;
use crate::http::auth::Caller;
use crate::http::concurrency::{etag, Precondition};
use crate::http::error::ApiError;
use crate::http::json::{self, Json};
use crate::http::pagination::{self, Page};
use crate::http::respond::{attachment, method_not_allowed, ok_versioned};
use crate::idempotency::{Claim, Stored};
use crate::time;
use crate::tokens::Role;
use crate::validation::{uuid, Checks};

/// Mounts the registration routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path).default_service(web::to(method_not_allowed));
    cfg.service(
        resource("/events/{id}/registrations")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(resource("/events/{id}/registrations.csv").route(web::get().to(export)))
    .service(resource("/events/{id}/registrations/import").route(web::post().to(import)))
    .service(
        resource("/registrations/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update)),
    )
    .service(resource("/registrations/{id}/cancel").route(web::post().to(cancel)))
    .service(
        resource("/registrations/{id}/check-in")
            .route(web::post().to(check_in))
            .route(web::delete().to(undo_check_in)),
    );
}

fn location(id: &str) -> String {
    format!("/api/v1/registrations/{id}")
}

/// One registration as the API shows it.
fn load(c: &mut Db, id: &str) -> Result<Registration, ApiError> {
    Ok(Registration::from(queries::view(c, id)?))
}

/// Register someone: by `contact_id` or inline (an existing email is reused). 201 with
/// `status` `registered` while seats remain, else `waitlisted` with a `waitlist_position`.
#[utoipa::path(post, path = "/api/v1/events/{id}/registrations", tag = "registrations", request_body = NewRegistration,
    params(("id" = String, Path, description = "Event id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    responses((status = 201, description = "Registered or waitlisted", body = Registration,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new registration")))),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    event_id: web::Path<String>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let event_id = event_id.into_inner();
    let scope = format!("{}:registrations:{event_id}", caller.0.id);
    let claim = Claim::from_request(&req, scope, &body.0)?;
    let input = rules::validate(json::from_value::<NewRegistration>(body.0)?)?;
    let replay = claim.clone();
    let result = state
        .db
        .write(move |c| {
            if let Some(stored) = claim.as_ref().map(|k| k.replay(c)).transpose()?.flatten() {
                return Ok(Answer::Stored(stored));
            }
            let now = time::now();
            // Read in the same trip to the database: a second hop to the blocking pool
            // costs more than this cached query.
            let event = queries::event_brief(c, &event_id)?;
            let view = service::register(c, event, input, Source::Organiser, None, now)?;
            match &claim {
                Some(claim) => {
                    let stored = Stored {
                        status: 201,
                        body: to_json(&Registration::from(view))?,
                    };
                    claim.store(c, &stored, now)?;
                    Ok(Answer::Stored(stored))
                }
                // Without a key the answer is rendered after the commit, off the writer.
                None => Ok(Answer::Fresh(Box::new(view))),
            }
        })
        .await;
    let stored = match (result, replay) {
        (Ok(Answer::Fresh(view)), _) => Stored {
            status: 201,
            body: to_json(&Registration::from(*view))?,
        },
        (Ok(Answer::Stored(stored)), _) => stored,
        // A retry that raced its original loses (duplicate, or the key's row): once the
        // original has committed, answer with its response.
        (Err(e), Some(claim)) => match state.db.read(move |c| claim.replay(c)).await? {
            Some(stored) => stored,
            None => return Err(e),
        },
        (Err(e), None) => return Err(e),
    };
    let saved: serde_json::Value = serde_json::from_str(&stored.body).unwrap_or_default();
    let id = saved["id"].as_str().unwrap_or_default();
    let version = saved["version"].as_i64().unwrap_or(1) as i32;
    Ok(stored.respond(&[("location", location(id)), ("etag", etag(version))]))
}

/// What the registration transaction hands back.
enum Answer {
    /// A response stored under an idempotency key (new or replayed).
    Stored(Stored),
    /// A new registration, to be rendered after the commit.
    Fresh(Box<RegistrationView>),
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Validated list filters for an event's registrations.
fn filter(event_id: String, q: RegistrationQuery) -> Result<(Filter, Option<Key>, i64), ApiError> {
    let (after, limit) = pagination::window::<Key>(q.limit, q.cursor.as_deref())?;
    let mut c = Checks::default();
    let filter = Filter {
        event_id: Some(event_id),
        contact_id: None,
        status: q
            .status
            .and_then(|s| c.check(RegistrationStatus::parse("status", &s)))
            .map(|s| s.as_str().into()),
        role: q
            .role
            .and_then(|r| c.check(AttendeeRole::parse("role", &r)))
            .map(|r| r.as_str().into()),
        company_id: q.company_id.and_then(|v| c.check(uuid("company_id", &v))),
        q: c.text("q", q.q, 200).map(|s| s.to_lowercase()),
    };
    c.finish()?;
    Ok((filter, after, limit))
}

/// One page of registrations, in the order they were made.
pub fn page(c: &mut Db, filter: &Filter, after: Option<&Key>, limit: i64) -> Result<Page<Registration>, ApiError> {
    let rows = queries::views(c, filter, after, limit)?;
    Ok(pagination::page(
        rows,
        limit,
        |v| (v.row.created_at, v.row.id.clone()),
        Registration::from,
    ))
}

/// List an event's registrations, filtered by status, role, company or text.
#[utoipa::path(get, path = "/api/v1/events/{id}/registrations", tag = "registrations",
    params(("id" = String, Path, description = "Event id"), RegistrationQuery),
    responses((status = 200, description = "One page of registrations", body = Page<Registration>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    event_id: web::Path<String>,
    query: web::Query<RegistrationQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let (filter, after, limit) = filter(event_id.into_inner(), query.into_inner())?;
    let page = state
        .db
        .read(move |c| {
            events::get(c, filter.event_id.as_deref().unwrap_or_default())?;
            page(c, &filter, after.as_ref(), limit)
        })
        .await?;
    page.respond()
}

/// The event's registrations as a spreadsheet (CSV, UTF-8 with BOM, times in the event's zone).
#[utoipa::path(get, path = "/api/v1/events/{id}/registrations.csv", tag = "registrations",
    params(("id" = String, Path, description = "Event id")),
    responses((status = 200, description = "CSV with a header row", content_type = "text/csv", body = String)),
    security(("bearer" = [])))]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    event_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let event_id = event_id.into_inner();
    let text = state
        .db
        .read(move |c| {
            let event = events::get(c, &event_id)?;
            let filter = Filter {
                event_id: Some(event_id),
                ..Default::default()
            };
            let rows = queries::views(c, &filter, None, i32::MAX as i64)?;
            sheet::export(&rows, event.tz())
        })
        .await?;
    Ok(attachment("text/csv; charset=utf-8", "registrations.csv", text))
}

/// Import registrations from CSV (headers in English or Chinese, e.g. 姓名, 邮箱, 单位, 职务, 电话).
/// Each row is imported on its own; the report says what became of each.
#[utoipa::path(post, path = "/api/v1/events/{id}/registrations/import", tag = "registrations",
    params(("id" = String, Path, description = "Event id")),
    request_body(content = String, content_type = "text/csv", description = "UTF-8, with or without BOM"),
    responses((status = 200, description = "Per-row report", body = ImportReport)),
    security(("bearer" = [])))]
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    event_id: web::Path<String>,
    body: web::Bytes,
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
    let rows = sheet::parse(&body)?;
    let event_id = event_id.into_inner();
    let event = state
        .db
        .read(move |c| {
            let event = events::get(c, &event_id)?;
            rules::check_open(&event, time::now())?;
            Ok(EventBriefRow::from(&event))
        })
        .await?;
    let mut report = ImportReport::default();
    for row in rows {
        let input = row.request.map_err(ApiError::BadRequest).and_then(rules::validate);
        let result = match input {
            Ok(input) => {
                let event = event.clone();
                state
                    .db
                    .write(move |c| service::register(c, event, input, Source::Import, None, time::now()))
                    .await
            }
            Err(e) => Err(e),
        };
        report.push(match result {
            Ok(view) => ImportRowReport {
                row: row.row,
                outcome: ImportOutcome::Created,
                status: Some(view.row.status()),
                registration_id: Some(view.row.id),
                reason: None,
            },
            Err(ApiError::Conflict { detail, extra }) if extra.contains_key("existing_id") => ImportRowReport {
                row: row.row,
                outcome: ImportOutcome::Duplicate,
                registration_id: extra["existing_id"].as_str().map(String::from),
                status: None,
                reason: Some(detail),
            },
            Err(e @ (ApiError::Internal(_) | ApiError::Unavailable)) => return Err(e),
            Err(e) => ImportRowReport {
                row: row.row,
                outcome: ImportOutcome::Invalid,
                registration_id: None,
                status: None,
                reason: Some(e.to_string()),
            },
        });
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Fetch one registration.
#[utoipa::path(get, path = "/api/v1/registrations/{id}", tag = "registrations", params(("id" = String, Path, description = "Registration id")),
    responses((status = 200, description = "The registration", body = Registration, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let id = id.into_inner();
    let reg = state.db.read(move |c| load(c, &id)).await?;
    Ok(ok_versioned(reg.version, &reg))
}

/// Change a registration's role or notes (status changes have their own routes).
#[utoipa::path(patch, path = "/api/v1/registrations/{id}", tag = "registrations", request_body = RegistrationPatch,
    params(("id" = String, Path, description = "Registration id"), ("If-Match" = Option<String>, Header, description = "ETag of the version you edited")),
    responses((status = 200, description = "The changed registration", body = Registration)),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<RegistrationPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let (id, patch) = (id.into_inner(), body.0);
    let expected = Precondition::new(&req, patch.version);
    let reg = state
        .db
        .write(move |c| {
            let current = queries::get(c, &id)?;
            expected.check(current.version)?;
            let row = rules::apply_patch(&current, patch.role, patch.notes, time::now())?;
            queries::save(c, &row)?;
            load(c, &id)
        })
        .await?;
    Ok(ok_versioned(reg.version, &reg))
}

/// Runs a service operation on one registration and answers with the result.
async fn change(
    state: web::Data<AppState>,
    id: String,
    op: fn(&mut Db, &str, chrono::NaiveDateTime) -> Result<super::model::RegistrationRow, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let reg = state
        .db
        .write(move |c| {
            op(c, &id, time::now())?;
            load(c, &id)
        })
        .await?;
    Ok(ok_versioned(reg.version, &reg))
}

/// Cancel a registration; its seat goes to the longest-waiting person. Idempotent.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/cancel", tag = "registrations", params(("id" = String, Path, description = "Registration id")),
    responses((status = 200, description = "The cancelled registration", body = Registration)),
    security(("bearer" = [])))]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    change(state, id.into_inner(), service::cancel).await
}

/// Check an attendee in; a second call keeps the first time. 409 unless registered.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/check-in", tag = "registrations", params(("id" = String, Path, description = "Registration id")),
    responses((status = 200, description = "Checked in", body = Registration)),
    security(("bearer" = [])))]
pub async fn check_in(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    change(state, id.into_inner(), service::check_in).await
}

/// Undo a check-in.
#[utoipa::path(delete, path = "/api/v1/registrations/{id}/check-in", tag = "registrations", params(("id" = String, Path, description = "Registration id")),
    responses((status = 200, description = "No longer checked in", body = Registration)),
    security(("bearer" = [])))]
pub async fn undo_check_in(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    change(state, id.into_inner(), service::undo_check_in).await
}
