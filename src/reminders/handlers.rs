//! HTTP handlers for reminder rules, the outbox views, previews and unsubscribing.

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};

use super::model::{Email, EmailQuery, Preview, PreviewQuery, ReminderRules};
use super::service::{self, Owner};
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::pagination::Respond;
use crate::http::respond::method_not_allowed;
use crate::pagination::Page;
use crate::tokens::Role;

/// Mounts the organiser routes (under `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path).default_service(web::to(method_not_allowed));
    cfg.service(
        resource("/events/{id}/reminder-rules")
            .route(web::get().to(get_rules))
            .route(web::put().to(put_rules)),
    )
    .service(resource("/events/{id}/emails").route(web::get().to(event_emails)))
    .service(resource("/registrations/{id}/emails").route(web::get().to(registration_emails)))
    .service(resource("/emails/preview").route(web::get().to(preview)));
}

/// Mounts the public routes (under `/api/v1/public`).
pub fn configure_public(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/unsubscribe/{token}")
            .route(web::get().to(unsubscribe_page))
            .route(web::post().to(unsubscribe))
            .default_service(web::to(method_not_allowed)),
    );
}

/// An event's reminder rules.
#[utoipa::path(get, path = "/api/v1/events/{id}/reminder-rules", tag = "reminders", operation_id = "get_event_reminder_rules",
    params(("id" = String, Path, description = "Event id")),
    responses((status = 200, description = "The rules", body = ReminderRules)),
    security(("bearer" = [])))]
pub async fn get_rules(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(HttpResponse::Ok().json(service::rules(&state, id.into_inner()).await?))
}

/// Replace an event's reminder rules; pending reminders are planned again. A bad
/// duration is a 422 naming it.
#[utoipa::path(put, path = "/api/v1/events/{id}/reminder-rules", tag = "reminders", operation_id = "replace_event_reminder_rules",
    request_body = ReminderRules, params(("id" = String, Path, description = "Event id")),
    responses((status = 200, description = "The rules as stored (canonical, furthest first)", body = ReminderRules)),
    security(("bearer" = [])))]
pub async fn put_rules(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<ReminderRules>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    Ok(HttpResponse::Ok().json(service::set_rules(&state, id.into_inner(), body.0).await?))
}

/// The emails planned and sent for an event.
#[utoipa::path(get, path = "/api/v1/events/{id}/emails", tag = "reminders", operation_id = "list_event_emails",
    params(("id" = String, Path, description = "Event id"), EmailQuery),
    responses((status = 200, description = "One page of emails in due order", body = Page<Email>)),
    security(("bearer" = [])))]
pub async fn event_emails(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, Owner::Event(id.into_inner()), query.into_inner())
        .await?
        .respond()
}

/// The emails planned and sent for a registration.
#[utoipa::path(get, path = "/api/v1/registrations/{id}/emails", tag = "reminders", operation_id = "list_registration_emails",
    params(("id" = String, Path, description = "Registration id"), EmailQuery),
    responses((status = 200, description = "One page of emails in due order", body = Page<Email>)),
    security(("bearer" = [])))]
pub async fn registration_emails(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, Owner::Registration(id.into_inner()), query.into_inner())
        .await?
        .respond()
}

/// Render the email a registration would get, without sending it.
#[utoipa::path(get, path = "/api/v1/emails/preview", tag = "reminders", operation_id = "preview_email",
    params(PreviewQuery),
    responses((status = 200, description = "The rendered email", body = Preview)),
    security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/public/unsubscribe/{token}", tag = "public", operation_id = "show_unsubscribe",
    params(("token" = String, Path, description = "The secret from the email's link")),
    responses((status = 200, description = "A page with a button that unsubscribes", content_type = "text/html", body = String)))]
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
#[utoipa::path(post, path = "/api/v1/public/unsubscribe/{token}", tag = "public", operation_id = "unsubscribe",
    params(("token" = String, Path, description = "The secret from the email's link")),
    responses((status = 200, description = "Reminders are off", content_type = "text/html", body = String)))]
pub async fn unsubscribe(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    service::unsubscribe(&state, token.into_inner()).await?;
    Ok(HttpResponse::Ok().content_type(ContentType::html()).body(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Unsubscribed</title></head>\
         <body style=\"{PAGE_STYLE}\"><p>已停止活动提醒。 / You will get no more event reminders. / \
         リマインダーを停止しました。</p></body></html>"
    )))
}
