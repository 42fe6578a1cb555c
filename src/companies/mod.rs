//! Companies: the organisations contacts work for, with the centre's assessment.

pub mod handlers;
pub mod model;
pub mod queries;
pub mod service;
