//! HTTP handlers for `/api/v1/contacts`.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

use super::model::{Contact, ContactPage, ContactPatch, ContactQuery, NewContact};
use super::service;
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::concurrency::precondition;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::openapi::IfMatch;
use crate::http::pagination::Respond;
use crate::http::respond::{created, ok_versioned};
use crate::registrations::model::RegistrationPage;
use crate::tokens::Role;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

/// Mounts the routes; each handler's route macro is the one declaration of its path and
/// method, for the router and the OpenAPI document alike.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(erase)
        .service(registrations);
}

/// Create a contact; an email already known (ignoring case) is 409 with `existing_id`.
///
/// `company_id` must name an existing company (422 otherwise).
#[utoipa::path(operation_id = "createContact", tag = "contacts", request_body = NewContact,
    responses((status = 201, description = "Created", body = Contact,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new contact")))),
    security(("bearer" = [])))]
#[post("/contacts")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewContact>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let row = service::create(&state, body.0).await?;
    Ok(created(
        format!("/api/v1/contacts/{}", row.id),
        row.version,
        &Contact::from(row),
    ))
}

/// List contacts, filtered by text (name or email) or company.
#[utoipa::path(operation_id = "listContacts", tag = "contacts", params(ContactQuery),
    responses((status = 200, description = "One page of contacts", body = ContactPage)),
    security(("bearer" = [])))]
#[get("/contacts")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ContactQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, query.into_inner()).await?.respond()
}

/// Fetch one contact.
#[utoipa::path(operation_id = "getContact", tag = "contacts", params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, description = "The contact", body = Contact, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
#[get("/contacts/{id}")]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let row = service::get(&state, id.to_string()).await?;
    Ok(ok_versioned(row.version, &Contact::from(row)))
}

/// Change some fields of a contact.
///
/// `company_id` must name an existing company (422 otherwise).
#[utoipa::path(operation_id = "updateContact", tag = "contacts", request_body = ContactPatch,
    params(("id" = Uuid, Path, description = "Contact id"), IfMatch),
    responses((status = 200, description = "The changed contact", body = Contact, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
#[patch("/contacts/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ContactPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let expected = precondition(&req, body.0.version);
    let row = service::update(&state, id.to_string(), body.0, expected).await?;
    Ok(ok_versioned(row.version, &Contact::from(row)))
}

/// Erase a person (personal-information protection): name, email, phone and title are
/// replaced by a marker; their registrations stay, anonymous, so event counts hold.
///
/// This erases rather than deletes: the record stays, so a later `GET /contacts/{id}`
/// answers 200 with the anonymised contact, and erasing again is a 204 too. Erasing
/// also ends the person's public manage links (they answer 404).
#[utoipa::path(operation_id = "eraseContact", tag = "contacts", params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 204, description = "Erased: the record stays, anonymised (GET still answers 200)")),
    security(("bearer" = [])))]
#[delete("/contacts/{id}")]
pub async fn erase(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    service::erase(&state, id.to_string()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Pagination for a contact's registrations.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// The contact's registrations across events and roadshows.
#[utoipa::path(operation_id = "listContactRegistrations", tag = "contacts",
    params(("id" = Uuid, Path, description = "Contact id"), PageQuery),
    responses((status = 200, description = "One page of registrations", body = RegistrationPage)),
    security(("bearer" = [])))]
#[get("/contacts/{id}/registrations")]
pub async fn registrations(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let q = query.into_inner();
    service::registrations(&state, id.to_string(), q.limit, q.cursor)
        .await?
        .respond()
}
