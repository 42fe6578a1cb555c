//! Daily follow-up digests: once a day, at `digest.local_time` in each team's zone, a
//! team with an email address gets one email listing its overdue and due-today
//! intentions. Planned by the mail worker's rounds, delivered through the outbox.

pub mod model;
pub mod queries;
pub mod rules;
pub mod service;
