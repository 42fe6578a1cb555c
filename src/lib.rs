//! Roadshow: plan investment-promotion events and multi-city roadshows over a JSON API.

pub mod app;
pub mod calendar;
pub mod companies;
pub mod config;
pub mod contacts;
pub mod db;
pub mod demo;
pub mod enums;
pub mod events;
pub mod http;
pub mod idempotency;
pub mod jobs;
pub mod public;
pub mod registrations;
pub mod roadshows;
pub mod time;
pub mod tokens;
pub mod validation;
