//! Liveness and readiness probes.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::context::AppState;
use crate::error::Error;

/// A probe's answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Up", body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "Ready", body = Health), (status = 503, description = "Database unreachable", body = super::error::Problem)))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .read(|c| c.batch_execute("SELECT 1").map_err(|_| Error::Unavailable))
        .await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}
