//! Small response builders shared by handlers.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Serialize;

use super::concurrency::etag;
use super::error::ApiError;

/// 200 with the resource and its `ETag`.
pub fn ok_versioned<T: Serialize>(version: i32, body: &T) -> HttpResponse {
    versioned(HttpResponse::Ok(), version, body)
}

/// 201 with the resource, its `ETag` and its `Location`.
pub fn created<T: Serialize>(location: String, version: i32, body: &T) -> HttpResponse {
    let mut response = HttpResponse::build(StatusCode::CREATED);
    response.insert_header((header::LOCATION, location));
    versioned(response, version, body)
}

fn versioned<T: Serialize>(mut response: HttpResponseBuilder, version: i32, body: &T) -> HttpResponse {
    response.insert_header((header::ETAG, etag(version))).json(body)
}

/// An attachment download, e.g. a calendar file.
pub fn attachment(content_type: &str, filename: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

/// Handler for methods a resource does not support: 405 with the `Allow` header
/// listing the methods it has, as the OpenAPI document declares them.
pub async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allow = req
        .match_pattern()
        .and_then(|pattern| super::openapi::methods(&pattern))
        .unwrap_or_default();
    Err(ApiError::MethodNotAllowed { allow })
}

/// Handler for paths no route matches.
pub async fn no_route() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("no such route; see /api/v1/openapi.json"))
}
