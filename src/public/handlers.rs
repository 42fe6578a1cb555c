//! Public self-service routes under `/api/v1/public`: an attendee registers with no
//! token and manages the registration with the secret link that reaches them by email.

use actix_web::{get, post, web, HttpResponse};

use super::service;
use crate::calendar;
use crate::context::AppState;
use crate::http::error::ApiError;
use crate::http::error::Problem;
use crate::http::json::Json;
use crate::http::respond::attachment;
use crate::registrations::model::{
    PublicEvent, PublicRegistration, PublicRegistrationAccepted, PublicRegistrationRequest,
};
use crate::registrations::rules;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

/// Mounts the routes; each handler's route macro is the one declaration of its path and
/// method, for the router and the OpenAPI document alike.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(event)
        .service(register)
        .service(show)
        .service(cancel)
        .service(reactivate)
        .service(calendar_file);
}

/// An event that takes public registrations.
#[utoipa::path(operation_id = "publicGetEvent", tag = "public", params(("id" = Uuid, Path, description = "Event id")),
    responses((status = 200, description = "The event", body = PublicEvent),
        (status = 404, description = "No public event with this id", content_type = "application/problem+json", body = Problem)))]
#[get("/events/{id}")]
pub async fn event(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let event = service::event(&state, id.to_string()).await?;
    Ok(HttpResponse::Ok().json(event))
}

/// Register yourself for an event that allows it; the manage link arrives by email.
///
/// Every accepted request answers 202 with the same body, made from the request alone,
/// whether the address is new here, already registered or waitlisted, or cancelled: the
/// answer never tells who is registered. The manage link goes only by email, to the
/// address: a new registration's confirmation (or waitlist note) carries it; for an
/// address already registered here, in any state, nothing changes and a `manage_link`
/// email carries the registration's link (at most one such email per registration every
/// 10 minutes; the links mailed before keep working, except that each new one replaces
/// the previous re-sent one). A cancelled registration is not re-activated: the link's
/// holder can do that with `POST /public/registrations/{token}/reactivate`. A stored
/// contact is never changed from here. 409 when nobody can register now (a draft,
/// cancelled or completed event, registration closed, or the event has started), the
/// same for every address.
#[utoipa::path(operation_id = "publicRegister", tag = "public", request_body = PublicRegistrationRequest,
    params(("id" = Uuid, Path, description = "Event id")),
    responses((status = 202, description = "Accepted: check the inbox of `email`", body = PublicRegistrationAccepted),
        (status = 404, description = "No public event with this id", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Registration is not open (the same answer for every address)", content_type = "application/problem+json", body = Problem)))]
#[post("/events/{id}/registrations")]
pub async fn register(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Json<PublicRegistrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = rules::validate(body.0.into())?;
    let accepted = service::register(&state, id.to_string(), input).await?;
    // No Location or ETag: nothing in the answer may depend on what was stored.
    Ok(HttpResponse::Accepted().json(accepted))
}

/// Your registration and its event.
#[utoipa::path(operation_id = "publicGetRegistration", tag = "public",
    params(("token" = String, Path, pattern = "^rs_[A-Za-z0-9_-]{43}$", description = "The manage token from the registration's email: `rs_` and 43 URL-safe base64 characters")),
    responses((status = 200, description = "The registration", body = PublicRegistration),
        (status = 404, description = "Unknown link", content_type = "application/problem+json", body = Problem)))]
#[get("/registrations/{token}")]
pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let reg = service::show(&state, token.into_inner()).await?;
    Ok(HttpResponse::Ok().json(reg))
}

/// Cancel your registration (idempotent); your seat goes to the next on the waitlist.
#[utoipa::path(operation_id = "publicCancelRegistration", tag = "public",
    params(("token" = String, Path, pattern = "^rs_[A-Za-z0-9_-]{43}$", description = "The manage token from the registration's email: `rs_` and 43 URL-safe base64 characters")),
    responses((status = 200, description = "Cancelled", body = PublicRegistration),
        (status = 404, description = "Unknown link", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Already checked in: an organiser must undo the check-in first", content_type = "application/problem+json", body = Problem)))]
#[post("/registrations/{token}/cancel")]
pub async fn cancel(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let reg = service::cancel(&state, token.into_inner()).await?;
    Ok(HttpResponse::Ok().json(reg))
}

/// Register again after cancelling, with the link from your email.
///
/// A cancelled registration gets a seat while any remain, else a place on the waitlist,
/// and the usual confirmation (or waitlist note) by email; a registration that is not
/// cancelled is left as it is. 409 when the event does not take registrations now (not
/// scheduled, closed, started, or no longer public).
#[utoipa::path(operation_id = "publicReactivateRegistration", tag = "public",
    params(("token" = String, Path, pattern = "^rs_[A-Za-z0-9_-]{43}$", description = "The manage token from the registration's email: `rs_` and 43 URL-safe base64 characters")),
    responses((status = 200, description = "The registration: registered or waitlisted if it was cancelled, else as it was", body = PublicRegistration),
        (status = 404, description = "Unknown link", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Registration is not open", content_type = "application/problem+json", body = Problem)))]
#[post("/registrations/{token}/reactivate")]
pub async fn reactivate(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let reg = service::reactivate(&state, token.into_inner()).await?;
    Ok(HttpResponse::Ok().json(reg))
}

/// The event of your registration as an iCalendar file.
#[utoipa::path(operation_id = "publicGetRegistrationCalendar", tag = "public",
    params(("token" = String, Path, pattern = "^rs_[A-Za-z0-9_-]{43}$", description = "The manage token from the registration's email: `rs_` and 43 URL-safe base64 characters")),
    responses((status = 200, description = "RFC 5545 calendar", content_type = "text/calendar", body = String),
        (status = 404, description = "Unknown link", content_type = "application/problem+json", body = Problem)))]
#[get("/registrations/{token}/calendar.ics")]
pub async fn calendar_file(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let text = service::calendar(&state, token.into_inner()).await?;
    Ok(attachment(calendar::CONTENT_TYPE, "event.ics", text))
}
