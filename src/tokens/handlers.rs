//! HTTP handlers for `/api/v1/tokens` (admins only).

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{queries, validate_name, NewToken, Role, TokenInfo};
use crate::context::AppState;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::json::Json;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

/// Mounts the routes; each handler's route macro is the one declaration of its path and
/// method, for the router and the OpenAPI document alike.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(create).service(revoke);
}

/// The body of `POST /api/v1/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// A unique name saying who or what uses the token.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    pub role: Role,
    /// The team the token acts for (see `/api/v1/teams`).
    #[schema(format = Uuid)]
    pub team_id: Option<String>,
}

/// Make a token; its secret is in this response only.
///
/// A `team_id` must name an existing team: otherwise a 422.
#[utoipa::path(operation_id = "createToken", tag = "tokens", request_body = CreateToken,
    responses((status = 201, description = "Created; store the token now", body = NewToken)),
    security(("bearer" = [])))]
#[post("/tokens")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateToken>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let CreateToken { name, role, team_id } = body.0;
    let name = validate_name(&name).map_err(|m| ApiError::invalid("name", m))?;
    let team_id = team_id
        .map(|t| crate::validation::uuid("team_id", &t))
        .transpose()
        .map_err(crate::error::Error::from)?;
    let now = state.clock.now();
    let token = state
        .db
        .write(move |c| queries::create_for_team(c, &name, role, team_id.as_deref(), now))
        .await?;
    Ok(HttpResponse::Created().json(token))
}

/// List tokens (never their secrets).
#[utoipa::path(operation_id = "listTokens", tag = "tokens",
    responses((status = 200, description = "All tokens", body = Vec<TokenInfo>)),
    security(("bearer" = [])))]
#[get("/tokens")]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let tokens = state.db.read(queries::list).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Revoke a token: it stops working at once on this replica and within
/// `auth.token_cache_secs` (default 5 s) on every other one.
#[utoipa::path(operation_id = "revokeToken", tag = "tokens", params(("id" = Uuid, Path, description = "Token id")),
    responses((status = 204, description = "Revoked")),
    security(("bearer" = [])))]
#[delete("/tokens/{id}")]
pub async fn revoke(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let id = id.to_string();
    let revoked = id.clone();
    let now = state.clock.now();
    state.db.write(move |c| queries::revoke(c, &id, now)).await?;
    state.tokens.forget(&revoked);
    Ok(HttpResponse::NoContent().finish())
}
