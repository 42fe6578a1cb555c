//! Optimistic concurrency over HTTP: versions sent as `ETag`, expected from `If-Match`.

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::precondition::{IfMatch, Precondition};

/// The ETag for a resource version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The request's `If-Match` (none: no precondition).
pub fn if_match(req: &HttpRequest) -> IfMatch {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(IfMatch::parse)
        .unwrap_or_default()
}

/// The request's `If-Match` with the `version` its body names, if any.
pub fn precondition(req: &HttpRequest, body_version: Option<i32>) -> Precondition {
    Precondition::new(if_match(req), body_version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_header_becomes_the_precondition() {
        let req = TestRequest::default()
            .insert_header((header::IF_MATCH, "W/\"3\", \"4\""))
            .to_http_request();
        let m = if_match(&req);
        assert!(m.check(3).is_ok() && m.check(4).is_ok() && m.check(5).is_err());
        let bare = TestRequest::default().to_http_request();
        assert_eq!(if_match(&bare), IfMatch::Any);
    }
}
