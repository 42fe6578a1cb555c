//! HTTP handlers for `/api/v1/contacts`.

use actix_web::{web, HttpRequest, HttpResponse};

use super::model::{Contact, ContactPatch, ContactQuery, NewContact};
use super::service;
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::concurrency::precondition;
use crate::http::error::ApiError;
use crate::http::json::Json;
use crate::http::pagination::Respond;
use crate::http::respond::{created, method_not_allowed, ok_versioned};
use crate::pagination::Page;
use crate::registrations::model::Registration;
use crate::tokens::Role;

/// Mounts the contact routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path).default_service(web::to(method_not_allowed));
    cfg.service(
        resource("/contacts")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/contacts/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(erase)),
    )
    .service(resource("/contacts/{id}/registrations").route(web::get().to(registrations)));
}

/// Create a contact; an email already known (ignoring case) is 409 with `existing_id`.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = NewContact,
    responses((status = 201, description = "Created", body = Contact,
        headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new contact")))),
    security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactQuery),
    responses((status = 200, description = "One page of contacts", body = Page<Contact>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ContactQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    service::list(&state, query.into_inner()).await?.respond()
}

/// Fetch one contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "Contact id")),
    responses((status = 200, description = "The contact", body = Contact, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let row = service::get(&state, id.into_inner()).await?;
    Ok(ok_versioned(row.version, &Contact::from(row)))
}

/// Change some fields of a contact.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactPatch,
    params(("id" = String, Path, description = "Contact id"), ("If-Match" = Option<String>, Header, description = "ETag of the version you edited")),
    responses((status = 200, description = "The changed contact", body = Contact, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<ContactPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    let expected = precondition(&req, body.0.version);
    let row = service::update(&state, id.into_inner(), body.0, expected).await?;
    Ok(ok_versioned(row.version, &Contact::from(row)))
}

/// Erase a person (personal-information protection): name, email, phone and title are
/// replaced by a marker; their registrations stay, anonymous, so event counts hold.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "Contact id")),
    responses((status = 204, description = "Erased")),
    security(("bearer" = [])))]
pub async fn erase(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Organiser)?;
    service::erase(&state, id.into_inner()).await?;
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
#[utoipa::path(get, path = "/api/v1/contacts/{id}/registrations", tag = "contacts",
    params(("id" = String, Path, description = "Contact id"), PageQuery),
    responses((status = 200, description = "One page of registrations", body = Page<Registration>)),
    security(("bearer" = [])))]
pub async fn registrations(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let q = query.into_inner();
    service::registrations(&state, id.into_inner(), q.limit, q.cursor)
        .await?
        .respond()
}
