//! Roadshows: a series of events in several cities.

pub mod handlers;
pub mod model;
pub mod queries;
pub mod service;
