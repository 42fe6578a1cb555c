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

/// Keys requests by the client's address (from `Forwarded`/`X-Forwarded-For` only when
/// the service is configured to trust its proxy).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress {
    trust_forwarded: bool,
}

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        let forwarded = self
            .trust_forwarded
            .then(|| req.connection_info().realip_remote_addr().and_then(parse_ip))
            .flatten();
        forwarded
            .or_else(|| req.peer_addr().map(|a| a.ip()))
            .ok_or_else(|| SimpleKeyExtractionError::new("cannot tell the client's address"))
    }

    fn exceed_rate_limit_response(&self, negative: &NotUntil<QuantaInstant>, _: HttpResponseBuilder) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now()).as_secs().max(1);
        ApiError::RateLimited { retry_after_secs: wait }.error_response()
    }
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
/// bursts of as many. `None` unless 1 ≤ `per_minute` ≤ 60,000.
pub fn config(
    per_minute: u32,
    trust_forwarded: bool,
) -> Option<GovernorConfig<ClientAddress, NoOpMiddleware<QuantaInstant>>> {
    if !(1..=60_000).contains(&per_minute) {
        return None;
    }
    GovernorConfigBuilder::default()
        .period(Duration::from_micros(60_000_000 / per_minute as u64))
        .burst_size(per_minute)
        .key_extractor(ClientAddress { trust_forwarded })
        .finish()
}

#[cfg(test)]
mod tests {
    use super::parse_ip;

    #[test]
    fn addresses_with_and_without_ports() {
        assert_eq!(parse_ip("10.0.0.1").unwrap().to_string(), "10.0.0.1");
        assert_eq!(parse_ip("10.0.0.1:443").unwrap().to_string(), "10.0.0.1");
        assert_eq!(parse_ip("[::1]:80").unwrap().to_string(), "::1");
        assert!(parse_ip("unknown").is_none());
    }
}
