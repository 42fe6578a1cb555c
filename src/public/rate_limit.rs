//! Per-client-address rate limiting for the public routes, answering 429 problem+json
//! with `Retry-After`. Counters live in each replica's memory: a limit per replica.

use std::net::IpAddr;
use std::time::Duration;

use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::governor::NotUntil;
use actix_governor::{GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};

use crate::http::error::ApiError;

/// Keys requests by the client's address: the peer's, or when the service trusts its
/// proxies, the one the outermost of them appended to `X-Forwarded-For`.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress {
    /// How many proxies in front append to `X-Forwarded-For`; 0 = trust none.
    trusted_proxies: usize,
}

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        let forwarded = (self.trusted_proxies > 0)
            .then(|| {
                let headers = req.headers().get_all("x-forwarded-for");
                let list = headers.filter_map(|h| h.to_str().ok()).collect::<Vec<_>>().join(",");
                client_in(&list, self.trusted_proxies)
            })
            .flatten();
        forwarded
            .or_else(|| req.peer_addr().map(|a| a.ip()))
            .ok_or_else(|| SimpleKeyExtractionError::new("cannot tell the client's address"))
    }

    fn exceed_rate_limit_response(&self, negative: &NotUntil<QuantaInstant>, _: HttpResponseBuilder) -> HttpResponse {
        let wait = retry_after(negative.wait_time_from(DefaultClock::default().now()));
        ApiError::RateLimited { retry_after_secs: wait }.error_response()
    }
}

/// Whole seconds to wait, rounded up: a client that waits this long is served.
fn retry_after(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// The client's address in an `X-Forwarded-For` list, `proxies` hops from the right:
/// each trusted proxy appends the address it saw, so everything left of that is
/// whatever the client chose to send. A shorter list (a request that skipped a
/// proxy) gives its leftmost entry.
fn client_in(list: &str, proxies: usize) -> Option<IpAddr> {
    let hops: Vec<&str> = list.split(',').map(str::trim).filter(|a| !a.is_empty()).collect();
    let at = hops.len().saturating_sub(proxies);
    hops.get(at).and_then(|a| parse_ip(a))
}

/// Reads `1.2.3.4`, `1.2.3.4:5678`, `::1` or `[::1]:5678`.
fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse()
        .ok()
        .or_else(|| s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| s.trim_start_matches('[').split(']').next()?.parse().ok())
}

/// The limiter shared by all workers: `per_minute` requests a minute per address, in
/// bursts of as many; the address comes from `X-Forwarded-For` when `trusted_proxies`
/// (the number of proxies in front) is above 0. `None` unless 1 ≤ `per_minute` ≤ 60,000.
pub fn config(
    per_minute: u32,
    trusted_proxies: usize,
) -> Option<GovernorConfig<ClientAddress, NoOpMiddleware<QuantaInstant>>> {
    if !(1..=60_000).contains(&per_minute) {
        return None;
    }
    GovernorConfigBuilder::default()
        .period(Duration::from_micros(60_000_000 / per_minute as u64))
        .burst_size(per_minute)
        .key_extractor(ClientAddress { trusted_proxies })
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after(Duration::from_millis(1400)), 2);
        assert_eq!(retry_after(Duration::from_secs(3)), 3);
        assert_eq!(retry_after(Duration::from_nanos(1)), 1);
        assert_eq!(retry_after(Duration::ZERO), 1);
    }

    #[test]
    fn the_client_is_counted_from_the_right() {
        let list = "6.6.6.6, 10.0.0.1, 192.0.2.1";
        assert_eq!(client_in(list, 1).unwrap().to_string(), "192.0.2.1");
        assert_eq!(client_in(list, 2).unwrap().to_string(), "10.0.0.1");
        assert_eq!(client_in(list, 5).unwrap().to_string(), "6.6.6.6");
        assert_eq!(client_in("1.1.1.1,[::1]:80", 1).unwrap().to_string(), "::1");
        assert!(client_in("", 1).is_none());
        assert!(client_in("1.1.1.1, junk", 1).is_none());
    }

    #[test]
    fn addresses_with_and_without_ports() {
        assert_eq!(parse_ip("10.0.0.1").unwrap().to_string(), "10.0.0.1");
        assert_eq!(parse_ip("10.0.0.1:443").unwrap().to_string(), "10.0.0.1");
        assert_eq!(parse_ip("[::1]:80").unwrap().to_string(), "::1");
        assert!(parse_ip("unknown").is_none());
    }
}
