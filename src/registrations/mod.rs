//! Registrations: a contact at an event (registered, waitlisted or cancelled; checked in).

pub mod csv;
pub mod handlers;
pub mod import;
pub mod model;
pub mod queries;
pub mod rules;
pub mod service;
