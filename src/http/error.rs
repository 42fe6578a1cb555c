//! Errors at the HTTP edge: the domain's errors plus the HTTP-only ones, each rendered
//! as an RFC 9457 problem+json document in this one place.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Error, FieldError};

/// An RFC 9457 problem document, as the API sends it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// For validation problems (422): every invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<FieldError>)]
    pub errors: Option<Vec<FieldError>>,
    /// On a 409 duplicate: the id of the record that already exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = uuid::Uuid)]
    pub existing_id: Option<String>,
    /// On a 409 refused stage move of an intention: the stage it is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub from: Option<String>,
    /// On a 409 refused stage move of an intention: the stage that was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub to: Option<String>,
}

/// Everything a request can end in besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A failure of the use case itself.
    #[error(transparent)]
    Domain(#[from] Error),
    #[error("a valid bearer token is required (Authorization: Bearer <token>)")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    /// The resource exists but not with this method; `allow` lists the methods it has.
    #[error("this method is not allowed on this resource")]
    MethodNotAllowed { allow: String },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the body is larger than the {limit} bytes this route accepts")]
    PayloadTooLarge { limit: usize },
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
}

impl ApiError {
    /// A 400: the request cannot be read.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Error::BadRequest(detail.into()).into()
    }

    /// A 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Error::NotFound(detail.into()).into()
    }

    /// A 409 with just a message.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Error::conflict(detail).into()
    }

    /// A 422 for one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::invalid(field, message).into()
    }

    /// A 500 whose text only the log sees.
    pub fn internal(detail: impl Into<String>) -> Self {
        Error::Internal(detail.into()).into()
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Domain(e) => match e {
                Error::BadRequest(_) => ("bad-request", "Bad request"),
                Error::NotFound(_) => ("not-found", "Not found"),
                Error::Conflict { .. } => ("conflict", "Conflict"),
                Error::PreconditionFailed(_) => ("precondition-failed", "Precondition failed"),
                Error::Validation(_) => ("validation", "Invalid input"),
                Error::Unavailable => ("unavailable", "Service unavailable"),
                Error::Internal(_) => ("internal", "Internal server error"),
            },
            ApiError::Unauthorized => ("unauthorized", "Unauthorized"),
            ApiError::Forbidden(_) => ("forbidden", "Forbidden"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            ApiError::RateLimited { .. } => ("rate-limited", "Too many requests"),
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let detail = match self {
            // Internals stay in the log, which carries the request id.
            ApiError::Domain(Error::Internal(_)) => {
                "an unexpected error occurred; quote the X-Request-Id response header when reporting it".to_string()
            }
            other => other.to_string(),
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_string(),
            status: self.status_code().as_u16(),
            detail,
            errors: match self {
                ApiError::Domain(Error::Validation(errors)) => Some(errors.clone()),
                _ => None,
            },
            existing_id: self.extra("existing_id"),
            from: self.extra("from"),
            to: self.extra("to"),
        }
    }

    /// A text member a conflict carries for the client (`existing_id`, `from`, `to`).
    fn extra(&self, name: &str) -> Option<String> {
        match self {
            ApiError::Domain(Error::Conflict { extra, .. }) => {
                extra.get(name).and_then(Value::as_str).map(str::to_string)
            }
            _ => None,
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Error::from(e).into()
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        Error::from(e).into()
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        Error::from(e).into()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Domain(e) => match e {
                Error::BadRequest(_) => StatusCode::BAD_REQUEST,
                Error::NotFound(_) => StatusCode::NOT_FOUND,
                Error::Conflict { .. } => StatusCode::CONFLICT,
                Error::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
                Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Error::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Domain(Error::Internal(msg)) = self {
            tracing::error!(error = %msg, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            ApiError::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            ApiError::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_lists_fields() {
        let e: ApiError = Error::Validation(vec![
            FieldError::new("title", "is required"),
            FieldError::new("city", "is required"),
        ])
        .into();
        let p = e.problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.detail, "title: is required; city: is required");
        assert_eq!(p.errors.map(|e| e.len()), Some(2));
    }

    #[test]
    fn internal_errors_hide_details() {
        let p = ApiError::internal("password=secret").problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("secret"));
    }

    #[test]
    fn duplicates_carry_the_existing_id() {
        let p = ApiError::from(Error::duplicate("taken", "abc")).problem();
        assert_eq!((p.status, p.existing_id.as_deref()), (409, Some("abc")));
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["existing_id"], "abc", "a top-level member, as before");
        assert!(json.get("errors").is_none());
    }
}
