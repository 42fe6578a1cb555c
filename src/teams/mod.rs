//! Teams: the investment divisions (招商一处…五处) that own follow-up intentions.

pub mod handlers;
pub mod model;
pub mod queries;
pub mod rules;
pub mod service;
