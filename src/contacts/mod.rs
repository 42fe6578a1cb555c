//! Contacts: one person across all events, deduplicated by email.

pub mod handlers;
pub mod model;
pub mod queries;
pub mod service;
