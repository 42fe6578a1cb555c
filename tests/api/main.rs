//! Black-box tests over HTTP against a real server on a random port, on SQLite by
//! default or on PostgreSQL when `TEST_DATABASE_URL=postgres://…` is set.

mod auth;
mod calendar;
mod cli;
mod contacts;
mod events;
mod helpers;
mod intentions;
mod platform;
mod public;
mod registrations;
mod roadshows;
mod spreadsheets;
mod teams;
