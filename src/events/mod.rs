//! Events: one promotion event in one city and time zone.

pub mod handlers;
pub mod model;
pub mod queries;
pub mod rules;
pub mod service;
