//! Small response builders shared by handlers.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Serialize;

use super::concurrency::etag;
use super::error::ApiError;
use super::openapi::AllowTable;

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

/// Handler for requests no route takes: a path the document declares but with another
/// method is a 405 whose `Allow` lists the path's methods; any other path is a 404.
pub async fn no_route(req: HttpRequest, allow: Option<web::Data<AllowTable>>) -> Result<HttpResponse, ApiError> {
    match allow.as_deref().and_then(|table| table.allow(req.path())) {
        Some(allow) => Err(ApiError::MethodNotAllowed {
            allow: allow.to_string(),
        }),
        None => Err(ApiError::not_found("no such route; see /api/v1/openapi.json")),
    }
}
