//! Small response builders shared by handlers.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, HttpResponseBuilder};
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

/// Handler for methods a resource does not support.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// Handler for paths no route matches.
pub async fn no_route() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such route; see /api/v1/openapi.json".into()))
}
