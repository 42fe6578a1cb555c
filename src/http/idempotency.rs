//! `Idempotency-Key` over HTTP: reading the header and replaying a stored response.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::error::ApiError;
use crate::idempotency::{Claim, Stored};

/// Reads `Idempotency-Key`, if sent; `scope` separates callers and endpoints.
pub fn claim(req: &HttpRequest, scope: String, body: &serde_json::Value) -> Result<Option<Claim>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::bad_request("Idempotency-Key must be 1 to 200 visible characters"))?;
    Ok(Some(Claim::new(scope, key, body)?))
}

/// The stored response, with the headers it was first sent with.
pub fn replay(stored: &Stored) -> HttpResponse {
    let mut r = HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    for (k, v) in &stored.headers {
        r.insert_header((k.as_str(), v.as_str()));
    }
    r.content_type("application/json").body(stored.body.clone())
}
