//! `Idempotency-Key` support: the first response to a key is stored in the database (so
//! every replica honours it) and replayed for retries with the same body.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::idempotency_keys;
use crate::db::Db;
use crate::http::error::ApiError;

/// A key sent by the client, with the fingerprint of the request it came with.
#[derive(Debug, Clone)]
pub struct Claim {
    scope: String,
    key: String,
    request_hash: String,
}

/// A response that can be stored and replayed.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub body: String,
}

impl Claim {
    /// Reads `Idempotency-Key`; `scope` separates callers and endpoints.
    pub fn from_request(req: &HttpRequest, scope: String, body: &serde_json::Value) -> Result<Option<Claim>, ApiError> {
        let Some(value) = req.headers().get("idempotency-key") else {
            return Ok(None);
        };
        let key = value.to_str().map(str::trim).unwrap_or("");
        if key.is_empty() || key.len() > 200 {
            return Err(ApiError::BadRequest(
                "Idempotency-Key must be 1 to 200 visible characters".into(),
            ));
        }
        // serde_json sorts object keys, so the same JSON in another layout hashes the same.
        let canonical = serde_json::to_vec(body).unwrap_or_default();
        let request_hash = hex::encode(Sha256::digest(&canonical));
        Ok(Some(Claim {
            scope,
            key: key.to_string(),
            request_hash,
        }))
    }

    /// The stored response for this key, if any; 422 if the key came with another body.
    pub fn replay(&self, c: &mut Db) -> Result<Option<Stored>, ApiError> {
        let found: Option<(String, i32, String)> = idempotency_keys::table
            .find((&self.scope, &self.key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::status,
                idempotency_keys::body,
            ))
            .first(c)
            .optional()?;
        match found {
            None => Ok(None),
            Some((hash, _, _)) if hash != self.request_hash => Err(ApiError::invalid(
                "Idempotency-Key",
                "this key was already used with a different request body; use a new key",
            )),
            Some((_, status, body)) => Ok(Some(Stored {
                status: status as u16,
                body,
            })),
        }
    }

    /// Stores the response for this key (in the same transaction as the work it describes).
    pub fn store(&self, c: &mut Db, response: &Stored, now: NaiveDateTime) -> Result<(), ApiError> {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::scope.eq(&self.scope),
                idempotency_keys::key.eq(&self.key),
                idempotency_keys::request_hash.eq(&self.request_hash),
                idempotency_keys::status.eq(response.status as i32),
                idempotency_keys::body.eq(&response.body),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(c)?;
        Ok(())
    }
}

/// Deletes keys stored before `cutoff`; answers how many went.
pub fn purge(c: &mut Db, cutoff: NaiveDateTime) -> Result<usize, ApiError> {
    Ok(diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff))).execute(c)?)
}

impl Stored {
    /// The HTTP response, with any extra headers.
    pub fn respond(&self, headers: &[(&str, String)]) -> HttpResponse {
        let mut r = HttpResponse::build(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK));
        for (k, v) in headers {
            r.insert_header((*k, v.clone()));
        }
        r.content_type("application/json").body(self.body.clone())
    }
}
