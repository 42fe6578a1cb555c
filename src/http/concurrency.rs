//! Optimistic concurrency: `version` numbers sent as `ETag` and checked from `If-Match`.

use actix_web::http::header;
use actix_web::HttpRequest;

use super::error::ApiError;

/// The ETag for a resource version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// What the client's `If-Match` header asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum IfMatch {
    /// No header: no precondition.
    Any,
    /// One of these versions must be current.
    Versions(Vec<i32>),
}

impl IfMatch {
    /// Reads `If-Match`; tags we never issued can never match.
    pub fn from_request(req: &HttpRequest) -> Self {
        let Some(value) = req.headers().get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
            return IfMatch::Any;
        };
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
    pub fn check(&self, current: i32) -> Result<(), ApiError> {
        match self {
            IfMatch::Versions(v) if !v.contains(&current) => Err(ApiError::PreconditionFailed(format!(
                "If-Match does not hold: the current version is {current}; fetch it again and retry"
            ))),
            _ => Ok(()),
        }
    }
}

/// What an edit expects the stored version to be: every PATCH checks both at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Precondition {
    if_match: IfMatch,
    body_version: Option<i32>,
}

impl Precondition {
    /// The request's `If-Match` and the `version` its body names, if any.
    pub fn new(req: &HttpRequest, body_version: Option<i32>) -> Self {
        Precondition {
            if_match: IfMatch::from_request(req),
            body_version,
        }
    }

    /// 412 when `If-Match` does not hold, 409 when the body's `version` is out of date.
    pub fn check(&self, current: i32) -> Result<(), ApiError> {
        self.if_match.check(current)?;
        check_body_version(self.body_version, current)
    }
}

/// 409 when the body names a `version` that is not the current one.
fn check_body_version(given: Option<i32>, current: i32) -> Result<(), ApiError> {
    match given {
        Some(v) if v != current => Err(ApiError::conflict(format!(
            "version {v} is out of date: the current version is {current}"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn if_match_reads_strong_weak_and_star() {
        let req = TestRequest::default()
            .insert_header((header::IF_MATCH, "W/\"3\", \"4\""))
            .to_http_request();
        let m = IfMatch::from_request(&req);
        assert!(m.check(3).is_ok() && m.check(4).is_ok() && m.check(5).is_err());
        let req = TestRequest::default()
            .insert_header((header::IF_MATCH, "*"))
            .to_http_request();
        assert!(IfMatch::from_request(&req).check(9).is_ok());
        let req = TestRequest::default().to_http_request();
        assert!(IfMatch::from_request(&req).check(9).is_ok());
    }

    #[test]
    fn precondition_checks_header_then_body() {
        let req = TestRequest::default()
            .insert_header((header::IF_MATCH, "\"3\""))
            .to_http_request();
        assert!(Precondition::new(&req, Some(3)).check(3).is_ok());
        let stale_header = Precondition::new(&req, Some(4)).check(4);
        assert!(matches!(stale_header, Err(ApiError::PreconditionFailed(_))));
        let stale_body = Precondition::new(&req, Some(2)).check(3);
        assert!(matches!(stale_body, Err(ApiError::Conflict { .. })));
        let bare = TestRequest::default().to_http_request();
        assert!(Precondition::new(&bare, None).check(7).is_ok());
    }
}
