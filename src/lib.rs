//! Roadshow: plan investment-promotion events and multi-city roadshows over a JSON API.

pub mod app;
pub mod calendar;
pub mod clock;
pub mod companies;
pub mod config;
pub mod contacts;
pub mod context;
pub mod db;
pub mod demo;
pub mod enums;
pub mod error;
pub mod events;
pub mod http;
pub mod idempotency;
pub mod jobs;
pub mod nullable;
pub mod pagination;
pub mod precondition;
pub mod public;
pub mod registrations;
pub mod rfc3339;
pub mod roadshows;
pub mod schema;
pub mod time;
pub mod tokens;
pub mod validation;
