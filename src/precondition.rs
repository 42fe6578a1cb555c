//! Optimistic concurrency: the versions a write expects, checked inside its transaction.

use crate::error::Error;

/// What the client's `If-Match` header asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum IfMatch {
    /// No header (or `*`): no precondition.
    #[default]
    Any,
    /// One of these versions must be current.
    Versions(Vec<i32>),
}

impl IfMatch {
    /// Reads an `If-Match` value; tags we never issued can never match.
    pub fn parse(value: &str) -> Self {
        if value.trim() == "*" {
            return IfMatch::Any;
        }
        let versions = value
            .split(',')
            .filter_map(|tag| {
                let tag = tag.trim();
                let tag = tag.strip_prefix("W/").unwrap_or(tag);
                tag.trim_matches('"').parse().ok()
            })
            .collect();
        IfMatch::Versions(versions)
    }

    /// 412 unless `current` satisfies the precondition.
    pub fn check(&self, current: i32) -> Result<(), Error> {
        match self {
            IfMatch::Versions(v) if !v.contains(&current) => Err(Error::PreconditionFailed(format!(
                "If-Match does not hold: the current version is {current}; fetch it again and retry"
            ))),
            _ => Ok(()),
        }
    }
}

/// What a write expects the stored version to be: `If-Match` and the body's `version`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Precondition {
    if_match: IfMatch,
    body_version: Option<i32>,
}

impl Precondition {
    /// The request's `If-Match` and the `version` its body names, if any.
    pub fn new(if_match: IfMatch, body_version: Option<i32>) -> Self {
        Precondition { if_match, body_version }
    }

    /// 412 when `If-Match` does not hold, 409 when the body's `version` is out of date.
    pub fn check(&self, current: i32) -> Result<(), Error> {
        self.if_match.check(current)?;
        match self.body_version {
            Some(v) if v != current => Err(Error::conflict(format!(
                "version {v} is out of date: the current version is {current}"
            ))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_reads_strong_weak_and_star() {
        let m = IfMatch::parse("W/\"3\", \"4\"");
        assert!(m.check(3).is_ok() && m.check(4).is_ok() && m.check(5).is_err());
        assert!(IfMatch::parse("*").check(9).is_ok());
        assert!(IfMatch::Any.check(9).is_ok());
        assert!(IfMatch::parse("\"abc\"").check(1).is_err());
    }

    #[test]
    fn precondition_checks_header_then_body() {
        let three = || IfMatch::parse("\"3\"");
        assert!(Precondition::new(three(), Some(3)).check(3).is_ok());
        let stale_header = Precondition::new(three(), Some(4)).check(4);
        assert!(matches!(stale_header, Err(Error::PreconditionFailed(_))));
        let stale_body = Precondition::new(three(), Some(2)).check(3);
        assert!(matches!(stale_body, Err(Error::Conflict { .. })));
        assert!(Precondition::default().check(7).is_ok());
    }
}
