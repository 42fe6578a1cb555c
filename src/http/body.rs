//! Request bodies read within a limit: a 413 problem decided from `Content-Length`
//! before anything is read, or as soon as a streamed body passes the limit.

use std::future::Future;

use actix_web::dev::{Decompress, Payload};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;

use super::error::ApiError;

/// The largest JSON body organiser routes take.
pub const JSON_LIMIT: usize = 1024 * 1024;
/// The largest JSON body the public routes take: a registration form is far smaller.
pub const PUBLIC_JSON_LIMIT: usize = 16 * 1024;

/// The largest JSON body the routes of a scope take, as app data (default [`JSON_LIMIT`]).
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

impl JsonLimit {
    /// The JSON limit that applies to `req`.
    pub fn of(req: &HttpRequest) -> usize {
        req.app_data::<JsonLimit>().map_or(JSON_LIMIT, |l| l.0)
    }
}

/// Reads the whole body of `req` (decompressed), refusing more than `limit` bytes.
pub fn read(req: &HttpRequest, payload: &mut Payload, limit: usize) -> impl Future<Output = Result<Bytes, ApiError>> {
    let declared = declared_length(req);
    let stream = Decompress::from_headers(payload.take(), req.headers());
    async move {
        if declared.is_some_and(|len| len > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        let mut stream = std::pin::pin!(stream);
        let mut body = BytesMut::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| match e {
                PayloadError::Overflow => ApiError::PayloadTooLarge { limit },
                e => ApiError::bad_request(format!("cannot read the body: {e}")),
            })?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// The `Content-Length` the client declared, if any (actix already refused malformed
/// ones; a number too large for `usize` is simply too large).
fn declared_length(req: &HttpRequest) -> Option<usize> {
    let value = req.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.trim();
    value
        .parse()
        .ok()
        .or_else(|| value.bytes().all(|b| b.is_ascii_digit()).then_some(usize::MAX))
}

/// A raw body of at most `LIMIT` bytes (a 413 problem past it).
pub struct Limited<const LIMIT: usize>(pub Bytes);

impl<const LIMIT: usize> FromRequest for Limited<LIMIT> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read(req, payload, LIMIT);
        Box::pin(async move { body.await.map(Limited) })
    }
}
