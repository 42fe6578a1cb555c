//! The Prometheus endpoint and the middleware that times every API request. `/metrics`
//! is served on a listener of its own (`metrics.listen`), never on the API's port, and
//! is not part of the OpenAPI document.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::clock::Clock;
use crate::db::Database;
use crate::metrics::{Metrics, CONTENT_TYPE};

/// What the metrics listener reads from.
pub struct Endpoint {
    pub metrics: Metrics,
    pub db: Database,
    pub clock: Clock,
}

/// `GET /metrics`: every series in the text format.
pub async fn serve(endpoint: web::Data<Endpoint>) -> HttpResponse {
    let text = endpoint.metrics.scrape(&endpoint.db, &endpoint.clock).await;
    HttpResponse::Ok().content_type(CONTENT_TYPE).body(text)
}

/// Counts and times each request under its route pattern (`/api/v1/events/{id}`;
/// `unmatched` for paths no route has), when metrics are on.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(metrics) = req.app_data::<web::Data<Metrics>>().cloned() else {
        return next.call(req).await;
    };
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let res = next.call(req).await;
    let status = match &res {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    metrics.observe_request(&method, &route, status, start.elapsed());
    res
}
