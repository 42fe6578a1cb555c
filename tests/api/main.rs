//! Black-box tests over HTTP against a real server on a random port, on SQLite by
//! default or on PostgreSQL when `TEST_DATABASE_URL=postgres://…` is set.

mod auth;
mod calendar;
mod cli;
mod contacts;
mod contract;
mod digests;
mod events;
mod ground;
mod hardening;
mod helpers;
mod input;
mod intentions;
mod metrics;
mod platform;
mod public;
mod registrations;
mod reminders;
mod roadshows;
mod search;
mod spreadsheets;
mod teams;
