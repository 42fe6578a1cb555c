//! Follow-up intentions: the investment pipeline from first contact to landed project,
//! with each change kept in an append-only history, activities, lists, a CSV export,
//! statistics and the outcomes of events and roadshows.

pub mod csv;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod rules;
pub mod service;
