//! Public self-service routes under `/api/v1/public`: an attendee registers with no
//! token and manages the registration with the secret link it returns.

use actix_web::{web, HttpResponse};

use super::service;
use crate::calendar;
use crate::context::AppState;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::respond::{attachment, method_not_allowed};
use crate::registrations::model::{
    PublicEvent, PublicRegistration, PublicRegistrationCreated, PublicRegistrationRequest,
};
use crate::registrations::rules;

/// Mounts the public routes (the caller wraps them in the rate limiter).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path).default_service(web::to(method_not_allowed));
    cfg.service(resource("/events/{id}").route(web::get().to(event)))
        .service(resource("/events/{id}/registrations").route(web::post().to(register)))
        .service(resource("/registrations/{token}").route(web::get().to(show)))
        .service(resource("/registrations/{token}/cancel").route(web::post().to(cancel)))
        .service(resource("/registrations/{token}/calendar.ics").route(web::get().to(calendar_file)));
}

/// An event that takes public registrations.
#[utoipa::path(get, path = "/api/v1/public/events/{id}", tag = "public", params(("id" = String, Path, description = "Event id")),
    responses((status = 200, description = "The event", body = PublicEvent), (status = 429, description = "Rate limited", body = crate::http::error::Problem)))]
pub async fn event(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let event = service::event(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(event))
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
    let input = rules::validate(body.0.into())?;
    let (manage_token, registration) = service::register(&state, id.into_inner(), input).await?;
    Ok(HttpResponse::Created().json(PublicRegistrationCreated {
        manage_token,
        registration,
    }))
}

/// Your registration and its event.
#[utoipa::path(get, path = "/api/v1/public/registrations/{token}", tag = "public",
    params(("token" = String, Path, description = "The manage token")),
    responses((status = 200, description = "The registration", body = PublicRegistration), (status = 404, description = "Unknown link", body = crate::http::error::Problem)))]
pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let reg = service::show(&state, token.into_inner()).await?;
    Ok(HttpResponse::Ok().json(reg))
}

/// Cancel your registration (idempotent); your seat goes to the next on the waitlist.
#[utoipa::path(post, path = "/api/v1/public/registrations/{token}/cancel", tag = "public",
    params(("token" = String, Path, description = "The manage token")),
    responses((status = 200, description = "Cancelled", body = PublicRegistration), (status = 404, description = "Unknown link", body = crate::http::error::Problem)))]
pub async fn cancel(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let reg = service::cancel(&state, token.into_inner()).await?;
    Ok(HttpResponse::Ok().json(reg))
}

/// The event of your registration as an iCalendar file.
#[utoipa::path(get, path = "/api/v1/public/registrations/{token}/calendar.ics", tag = "public",
    params(("token" = String, Path, description = "The manage token")),
    responses((status = 200, description = "RFC 5545 calendar", content_type = "text/calendar", body = String), (status = 404, description = "Unknown link", body = crate::http::error::Problem)))]
pub async fn calendar_file(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let text = service::calendar(&state, token.into_inner()).await?;
    Ok(attachment(calendar::CONTENT_TYPE, "event.ics", text))
}
