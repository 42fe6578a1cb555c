//! The request log's span: tracing-actix-web's fields, with secrets cut out of the path.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// Paths whose next segment is a secret (a public registration's manage token).
const SECRET_AFTER: [&str; 1] = ["/api/v1/public/registrations/"];

/// Builds each request's root span like [`DefaultRootSpanBuilder`], but logs the path
/// with manage tokens replaced by `{token}`: the log is read by more people than the
/// attendee whose link it is.
pub struct RedactedSpan;

impl RootSpanBuilder for RedactedSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let request_id = request.extensions().get::<RequestId>().copied();
        let user_agent = request
            .headers()
            .get("User-Agent")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %redact(request.uri().path_and_query().map_or("", |p| p.as_str())),
            http.user_agent = %user_agent,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id.map(|id| id.to_string()).unwrap_or_default(),
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// `target` with the segment after each [`SECRET_AFTER`] prefix (and any query string
/// after it) replaced by `{token}`, and anything shaped like one of our secrets
/// (`rs_…`, e.g. a token pasted into a mistyped path) too.
fn redact(target: &str) -> String {
    for prefix in SECRET_AFTER {
        if let Some(rest) = target.strip_prefix(prefix) {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            let tail = tail.split('?').next().unwrap_or("");
            return format!("{prefix}{{token}}{}", without_secrets(tail));
        }
    }
    without_secrets(target)
}

/// Replaces every `rs_` word (letters, digits, `-`, `_`) that starts a segment or a
/// value with `{token}`.
fn without_secrets(text: &str) -> String {
    let secret = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("rs_") {
        let starts_word = rest[..i].chars().next_back().is_none_or(|c| !secret(c));
        let end = rest[i..].find(|c| !secret(c)).map_or(rest.len(), |e| i + e);
        out.push_str(&rest[..i]);
        out.push_str(if starts_word { "{token}" } else { &rest[i..end] });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn manage_tokens_are_cut_out() {
        assert_eq!(
            redact("/api/v1/public/registrations/abcDEF123/calendar.ics?x=abcDEF123"),
            "/api/v1/public/registrations/{token}/calendar.ics"
        );
        assert_eq!(
            redact("/api/v1/public/registrations/abc"),
            "/api/v1/public/registrations/{token}"
        );
        assert_eq!(
            redact("/api/v1/public/registrations/abc?x"),
            "/api/v1/public/registrations/{token}"
        );
        assert_eq!(redact("/api/v1/events?limit=5"), "/api/v1/events?limit=5");
        assert_eq!(
            redact("/api/v1/public//registrations/rs_a-b_C/x?t=rs_9"),
            "/api/v1/public//registrations/{token}/x?t={token}"
        );
        assert_eq!(redact("/api/v1/events?q=hers_x"), "/api/v1/events?q=hers_x");
    }
}
