//! Liveness and readiness probes.

use actix_web::{get, web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::context::AppState;
use crate::error::Error;

/// A probe's answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` from `/healthz`, `ready` from `/readyz`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(operation_id = "healthz", tag = "health", responses((status = 200, description = "Up", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(operation_id = "readyz", tag = "health",
    responses((status = 200, description = "Ready", body = Health),
        (status = 503, description = "Database unreachable", content_type = "application/problem+json", body = super::error::Problem)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .read(|c| c.batch_execute("SELECT 1").map_err(|_| Error::Unavailable))
        .await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}
