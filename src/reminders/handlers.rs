//! HTTP handlers for reminder rules, the outbox views, previews and unsubscribing.

use actix_web::http::header::ContentType;
use actix_web::{get, post, put, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::model::{EmailPage, EmailQuery, Preview, PreviewQuery, ReminderRules};
use super::service::{self, Owner};
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::pagination::Respond;
use crate::tokens::Role;

/// Mounts the organiser routes (under `/api/v1`); each handler's route macro is the one
/// declaration of its path and method, for the router and the OpenAPI document alike.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_rules)
        .service(put_rules)
        .service(event_emails)
        .service(registration_emails)
        .service(preview);
}

/// Mounts the public routes (under `/api/v1/public`).
pub fn configure_public(cfg: &mut ServiceConfig) {
    cfg.service(unsubscribe_page).service(unsubscribe);
}

/// An event's reminder rules.
#[utoipa::path(tag = "reminders", operation_id = "getEventReminderRules",
    params(("id" = Uuid, Path, description = "Event id")),
    responses((status = 200, description = "The rules", body = ReminderRules)),
    security(("bearer" = [])))]
#[get("/events/{id}/reminder-rules")]
pub async fn get_rules(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(HttpResponse::Ok().json(service::rules(&state, id.to_string()).await?))
}

/// Replace an event's reminder rules; pending reminders are planned again. A bad
/// duration is a 422 naming it.
#[utoipa::path(tag = "reminders", operation_id = "replaceEventReminderRules",
    request_body = ReminderRules, params(("id" = Uuid, Path, description = "Event id")),
    responses((status = 200, description = "The rules as stored (canonical, furthest first)", body = ReminderRules)),
    security(("bearer" = [])))]
#[put("/events/{id}/reminder-rules")]
pub async fn put_rules(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ReminderRules>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    Ok(HttpResponse::Ok().json(service::set_rules(&state, id.to_string(), body.0).await?))
}

/// The emails planned and sent for an event.
#[utoipa::path(tag = "reminders", operation_id = "listEventEmails",
    params(("id" = Uuid, Path, description = "Event id"), EmailQuery),
    responses((status = 200, description = "One page of emails in due order", body = EmailPage)),
    security(("bearer" = [])))]
#[get("/events/{id}/emails")]
pub async fn event_emails(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, Owner::Event(id.to_string()), query.into_inner())
        .await?
        .respond()
}

/// The emails planned and sent for a registration.
#[utoipa::path(tag = "reminders", operation_id = "listRegistrationEmails",
    params(("id" = Uuid, Path, description = "Registration id"), EmailQuery),
    responses((status = 200, description = "One page of emails in due order", body = EmailPage)),
    security(("bearer" = [])))]
#[get("/registrations/{id}/emails")]
pub async fn registration_emails(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, Owner::Registration(id.to_string()), query.into_inner())
        .await?
        .respond()
}

/// Render the email a registration would get, without sending it.
///
/// A `digest` goes to a team, not to a registration: asking for one is a 422.
#[utoipa::path(tag = "reminders", operation_id = "previewEmail",
    params(PreviewQuery),
    responses((status = 200, description = "The rendered email", body = Preview),
        (status = 404, description = "No registration with that `registration_id`", body = crate::http::error::Problem)),
    security(("bearer" = [])))]
#[get("/emails/preview")]
pub async fn preview(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(HttpResponse::Ok().json(service::preview(&state, query.into_inner()).await?))
}

const PAGE_STYLE: &str = "font-family: sans-serif; max-width: 32em; margin: 3em auto";

/// The page an unsubscribe link opens: one button, so that link scanners which fetch
/// every link in an email do not unsubscribe anyone.
#[utoipa::path(tag = "public", operation_id = "publicShowUnsubscribe",
    params(("token" = String, Path, description = "The secret from the email's link")),
    responses((status = 200, description = "A page with a button that unsubscribes", content_type = "text/html", body = String)))]
#[get("/unsubscribe/{token}")]
pub async fn unsubscribe_page(token: web::Path<String>) -> HttpResponse {
    // The token is only echoed into the form's own address: keep it to URL-safe characters.
    let token: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    HttpResponse::Ok().content_type(ContentType::html()).body(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Unsubscribe</title></head>\
         <body style=\"{PAGE_STYLE}\"><form method=\"post\" action=\"{token}\">\
         <p>停止接收活动提醒？ / Stop event reminders? / リマインダーを停止しますか？</p>\
         <button type=\"submit\" name=\"List-Unsubscribe\" value=\"One-Click\">OK</button>\
         </form></body></html>"
    ))
}

/// Turn reminders off for the person a link names (RFC 8058 one-click: the body
/// `List-Unsubscribe=One-Click` is accepted and not needed). Confirmations and
/// cancellations still go out.
#[utoipa::path(tag = "public", operation_id = "publicUnsubscribe",
    params(("token" = String, Path, description = "The secret from the email's link")),
    responses((status = 200, description = "Reminders are off", content_type = "text/html", body = String)))]
#[post("/unsubscribe/{token}")]
pub async fn unsubscribe(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    service::unsubscribe(&state, token.into_inner()).await?;
    Ok(HttpResponse::Ok().content_type(ContentType::html()).body(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Unsubscribed</title></head>\
         <body style=\"{PAGE_STYLE}\"><p>已停止活动提醒。 / You will get no more event reminders. / \
         リマインダーを停止しました。</p></body></html>"
    )))
}
