//! Self-service for attendees: no token, rate-limited per client address.

pub mod handlers;
pub mod rate_limit;
pub mod service;
