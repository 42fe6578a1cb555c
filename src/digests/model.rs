//! What a digest lists.

use chrono::NaiveDate;

use crate::intentions::model::Stage;
use crate::teams::model::TeamRow;

/// One intention in a digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub intention_id: String,
    pub project_name: String,
    pub company_name: String,
    pub stage: Stage,
    pub next_follow_up_on: NaiveDate,
}

/// A digest email with what it lists, read when it is sent.
#[derive(Debug, Clone)]
pub struct Digest {
    pub team: TeamRow,
    /// The team's local day the digest is for.
    pub day: NaiveDate,
    /// The first [`rules::MAX_ITEMS`](super::rules::MAX_ITEMS), soonest follow-up first.
    pub items: Vec<Item>,
    /// All overdue ones (follow-up before `day`).
    pub overdue: i64,
    /// All due on `day`.
    pub due_today: i64,
}

impl Digest {
    /// Everything it would list, shown or not.
    pub fn total(&self) -> i64 {
        self.overdue + self.due_today
    }
}
