//! The bearer-token extractor and role checks.

use actix_web::dev::Payload;
use actix_web::{http::header, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::error::ApiError;
use crate::context::AppState;
use crate::tokens::{self, Role, TokenInfo};

/// Who is calling: the token's name and role. Extracting it answers 401 without a valid token.
pub struct Caller(pub TokenInfo);

impl Caller {
    /// 403 unless the caller's role is at least `needed`.
    pub fn require(&self, needed: Role) -> Result<(), ApiError> {
        if self.0.role >= needed {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {} role; the token {:?} has {}",
                needed.as_str(),
                self.0.name,
                self.0.role.as_str()
            )))
        }
    }

    /// The name history entries record as `by`.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The team the token acts for, if any.
    pub fn team_id(&self) -> Option<&str> {
        self.0.team_id.as_deref()
    }
}

/// Reads `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token.ok_or(ApiError::Unauthorized)?;
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let digest = tokens::hash(&token);
            if let Some(info) = state.tokens.get(&digest) {
                return Ok(Caller(info));
            }
            let key = digest.clone();
            let found = state.db.read(move |c| tokens::queries::find_active(c, &key)).await?;
            let info = found.ok_or(ApiError::Unauthorized)?;
            state.tokens.put(digest, info.clone());
            Ok(Caller(info))
        })
    }
}
