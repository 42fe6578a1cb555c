//! What every handler shares: errors, auth, JSON bodies, pagination, concurrency, docs.

pub mod auth;
pub mod body;
pub mod concurrency;
pub mod error;
pub mod health;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod request_log;
pub mod respond;
