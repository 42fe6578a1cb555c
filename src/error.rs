//! The domain's error vocabulary, shared by rules, queries, services and workers.
//!
//! Nothing here knows about HTTP: `http::error` maps these to problem+json at the edge.
//! Policy: a user's mistake is a precise variant with a message they can act on; anything
//! else is `Internal`, whose text goes to the log and never to a caller.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// One invalid field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as a JSON path (`tags[2]`, `starts_at`).
    pub field: String,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl FieldError {
    /// A field error from a field name and a message.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What can go wrong in a use case, whoever asked for it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input cannot be read at all (malformed JSON or CSV, a bad cursor).
    #[error("{0}")]
    BadRequest(String),
    /// No such record.
    #[error("{0}")]
    NotFound(String),
    /// A duplicate, a version mismatch or a state that forbids the change.
    #[error("{detail}")]
    Conflict { detail: String, extra: Map<String, Value> },
    /// A condition the caller set (`If-Match`) does not hold.
    #[error("{0}")]
    PreconditionFailed(String),
    /// Values that were read but are not acceptable, each field named.
    #[error("{}", summarize(.0))]
    Validation(Vec<FieldError>),
    /// The database cannot be reached.
    #[error("the service cannot reach its database")]
    Unavailable,
    /// A bug or an outage; the text is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

fn summarize(errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
    parts.join("; ")
}

impl Error {
    /// A conflict with just a message.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Error::Conflict {
            detail: detail.into(),
            extra: Map::new(),
        }
    }

    /// A conflict with a duplicate's id, as `existing_id`.
    pub fn duplicate(detail: impl Into<String>, existing_id: &str) -> Self {
        let mut extra = Map::new();
        extra.insert("existing_id".into(), Value::String(existing_id.to_string()));
        Error::Conflict {
            detail: detail.into(),
            extra,
        }
    }

    /// A validation failure for one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Validation(vec![e])
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match e {
            D::NotFound => Error::NotFound("not found".into()),
            D::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::conflict("this would duplicate an existing record")
            }
            D::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                Error::conflict("this refers to a record that does not exist, or is still referred to")
            }
            // A value the database refuses (out of range, bad encoding) is the caller's input
            // that slipped past validation: a 422, not a 500.
            D::DatabaseError(DatabaseErrorKind::Unknown, ref info) if is_value_error(info.message()) => {
                // The database's own words stay in the log: they can quote internals.
                tracing::warn!(error = %info.message(), "a value the database refused reached it");
                Error::invalid(
                    "body",
                    "a value is out of range or contains characters that cannot be stored",
                )
            }
            e => Error::Internal(format!("database: {e}")),
        }
    }
}

/// Messages PostgreSQL gives for values (not statements) it cannot store.
fn is_value_error(message: &str) -> bool {
    const VALUE_ERRORS: [&str; 5] = [
        "out of range",
        "invalid byte sequence",
        "cannot contain nul",
        "invalid input syntax",
        "value too long",
    ];
    let message = message.to_ascii_lowercase();
    VALUE_ERRORS.iter().any(|m| message.contains(m))
}

impl From<crate::db::DbError> for Error {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Pool(e) => {
                tracing::error!(error = %e, "no database connection");
                Error::Unavailable
            }
            crate::db::DbError::Query(e) => e.into(),
            other => Error::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_lists_fields() {
        let e = Error::Validation(vec![
            FieldError::new("title", "is required"),
            FieldError::new("city", "is required"),
        ]);
        assert_eq!(e.to_string(), "title: is required; city: is required");
    }

    #[test]
    fn value_errors_are_recognised() {
        assert!(is_value_error("invalid byte sequence for encoding \"UTF8\": 0x00"));
        assert!(is_value_error("timestamp out of range: \"-10000-01-01\""));
        assert!(!is_value_error("relation \"events\" does not exist"));
    }
}
