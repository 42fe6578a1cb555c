//! Reminder emails: each event's rules, the outbox of planned emails, and its views.

pub mod handlers;
pub mod model;
pub mod plan;
pub mod queries;
pub mod rules;
pub mod service;
