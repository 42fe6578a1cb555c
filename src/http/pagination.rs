//! Sending a page of a list as the response body.

use actix_web::http::header::ContentType;
use actix_web::HttpResponse;
use serde::Serialize;

use super::error::ApiError;
use crate::pagination::Page;

/// A generous guess at one item's JSON size (an event is about 700 bytes).
const PAGE_BYTES_PER_ITEM: usize = 1024;

/// Turns a page into a 200 response.
pub trait Respond {
    /// 200 with the page as JSON, written into a buffer sized for it up front (growing
    /// from actix's default 128 bytes copied a 50-event page about nine times).
    fn respond(&self) -> Result<HttpResponse, ApiError>;
}

impl<T: Serialize> Respond for Page<T> {
    fn respond(&self) -> Result<HttpResponse, ApiError> {
        let mut body = Vec::with_capacity(64 + self.items.len() * PAGE_BYTES_PER_ITEM);
        serde_json::to_writer(&mut body, self).map_err(|e| ApiError::internal(format!("serialising a page: {e}")))?;
        Ok(HttpResponse::Ok().content_type(ContentType::json()).body(body))
    }
}
