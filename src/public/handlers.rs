//! Public self-service routes under `/api/v1/public`: an attendee registers with no
//! token and manages the registration with the secret link it returns.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::calendar;
use crate::contacts::queries as contacts;
use crate::db::Db;
use crate::events::model::EventRow;
use crate::events::queries as events;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::respond::{attachment, method_not_allowed};
use crate::registrations::model::{
    PublicEvent, PublicRegistration, PublicRegistrationCreated, PublicRegistrationRequest, RegistrationRow, Source,
};
use crate::registrations::{queries, rules, service};
use crate::time::{self, in_zone};
use crate::tokens;

/// Mounts the public routes (the caller wraps them in the rate limiter).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path).default_service(web::to(method_not_allowed));
    cfg.service(resource("/events/{id}").route(web::get().to(event)))
        .service(resource("/events/{id}/registrations").route(web::post().to(register)))
        .service(resource("/registrations/{token}").route(web::get().to(show)))
        .service(resource("/registrations/{token}/cancel").route(web::post().to(cancel)))
        .service(resource("/registrations/{token}/calendar.ics").route(web::get().to(calendar_file)));
}

/// The event, if it takes public registrations; 404 otherwise (nothing is revealed).
fn public_event(c: &mut Db, id: &str) -> Result<EventRow, ApiError> {
    match events::find(c, id)? {
        Some(e) if e.public_registration => Ok(e),
        _ => Err(ApiError::NotFound("no public event with this id".into())),
    }
}

fn show_event(e: EventRow) -> PublicEvent {
    let tz = e.tz();
    PublicEvent {
        status: e.status(),
        starts_at: in_zone(e.starts_at, tz),
        ends_at: e.ends_at.map(|t| in_zone(t, tz)),
        id: e.id,
        title: e.title,
        summary: e.summary,
        city: e.city,
        venue: e.venue,
        address: e.address,
        timezone: e.timezone,
        cancel_reason: e.cancel_reason,
    }
}

/// What the attendee sees of their own registration; nothing about anyone else.
fn show_registration(c: &mut Db, row: RegistrationRow) -> Result<PublicRegistration, ApiError> {
    let event = events::get(c, &row.event_id)?;
    let contact = contacts::get(c, &row.contact_id)?;
    let tz = event.tz();
    Ok(PublicRegistration {
        waitlist_position: queries::position(c, &row)?,
        status: row.status(),
        checked_in_at: row.checked_in_at.map(|t| in_zone(t, tz)),
        cancelled_at: row.cancelled_at.map(|t| in_zone(t, tz)),
        created_at: in_zone(row.created_at, tz),
        id: row.id,
        name: contact.name,
        email: contact.email,
        event: show_event(event),
    })
}

/// An event that takes public registrations.
#[utoipa::path(get, path = "/api/v1/public/events/{id}", tag = "public", params(("id" = String, Path, description = "Event id")),
    responses((status = 200, description = "The event", body = PublicEvent), (status = 429, description = "Rate limited", body = crate::http::error::Problem)))]
pub async fn event(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let e = state.db.read(move |c| public_event(c, &id)).await?;
    Ok(HttpResponse::Ok().json(show_event(e)))
}

/// Register yourself for a scheduled event that allows it; keep the `manage_token`.
#[utoipa::path(post, path = "/api/v1/public/events/{id}/registrations", tag = "public", request_body = PublicRegistrationRequest,
    params(("id" = String, Path, description = "Event id")),
    responses((status = 201, description = "Registered or waitlisted", body = PublicRegistrationCreated),
        (status = 409, description = "Already registered, or registration is not open", body = crate::http::error::Problem),
        (status = 422, description = "Invalid fields", body = crate::http::error::Problem),
        (status = 429, description = "Rate limited", body = crate::http::error::Problem)))]
pub async fn register(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Json<PublicRegistrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = rules::validate(body.0.into())?;
    let token = tokens::generate();
    let hash = tokens::hash(&token);
    let registration =
        state
            .db
            .write(move |c| {
                let event = public_event(c, &id)?;
                let view = service::register(c, (&event).into(), input, Source::Public, Some(hash), time::now())
                    .map_err(|e| match e {
                        // Say that the email is registered, but not which registration it is.
                        ApiError::Conflict { extra, .. } if extra.contains_key("existing_id") => ApiError::conflict(
                            "this email is already registered for this event; use the link from your registration",
                        ),
                        other => other,
                    })?;
                show_registration(c, view.row)
            })
            .await?;
    Ok(HttpResponse::Created().json(PublicRegistrationCreated {
        manage_token: token,
        registration,
    }))
}

fn by_token(c: &mut Db, token: &str) -> Result<RegistrationRow, ApiError> {
    queries::by_manage_token(c, &tokens::hash(token))
}

/// Your registration and its event.
#[utoipa::path(get, path = "/api/v1/public/registrations/{token}", tag = "public",
    params(("token" = String, Path, description = "The manage token")),
    responses((status = 200, description = "The registration", body = PublicRegistration), (status = 404, description = "Unknown link", body = crate::http::error::Problem)))]
pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let token = token.into_inner();
    let reg = state
        .db
        .read(move |c| {
            let row = by_token(c, &token)?;
            show_registration(c, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(reg))
}

/// Cancel your registration (idempotent); your seat goes to the next on the waitlist.
#[utoipa::path(post, path = "/api/v1/public/registrations/{token}/cancel", tag = "public",
    params(("token" = String, Path, description = "The manage token")),
    responses((status = 200, description = "Cancelled", body = PublicRegistration), (status = 404, description = "Unknown link", body = crate::http::error::Problem)))]
pub async fn cancel(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let token = token.into_inner();
    let reg = state
        .db
        .write(move |c| {
            let row = by_token(c, &token)?;
            let row = service::cancel(c, &row.id, time::now())?;
            show_registration(c, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(reg))
}

/// The event of your registration as an iCalendar file.
#[utoipa::path(get, path = "/api/v1/public/registrations/{token}/calendar.ics", tag = "public",
    params(("token" = String, Path, description = "The manage token")),
    responses((status = 200, description = "RFC 5545 calendar", content_type = "text/calendar", body = String), (status = 404, description = "Unknown link", body = crate::http::error::Problem)))]
pub async fn calendar_file(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let token = token.into_inner();
    let event = state
        .db
        .read(move |c| {
            let row = by_token(c, &token)?;
            events::get(c, &row.event_id)
        })
        .await?;
    let text = calendar::build(&event.title, std::slice::from_ref(&event), state.settings.base_url());
    Ok(attachment(calendar::CONTENT_TYPE, "event.ics", text))
}
