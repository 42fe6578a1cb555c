//! `Idempotency-Key` support: the first response to a key is stored in the database (so
//! every replica honours it) and replayed for retries with the same body.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::idempotency_keys;
use crate::db::Db;
use crate::error::Error;

/// A key sent by the client, with the fingerprint of the request it came with.
#[derive(Debug, Clone)]
pub struct Claim {
    scope: String,
    key: String,
    request_hash: String,
}

/// A response that can be stored and replayed, with the headers it was sent with.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub status: u16,
    pub body: String,
    /// Headers to send again (`Location`, `ETag`), as (name, value).
    pub headers: Vec<(String, String)>,
}

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 200;

impl Claim {
    /// A key for a request; `scope` separates callers and endpoints. Keys are 1 to 200
    /// visible characters.
    pub fn new(scope: String, key: &str, body: &serde_json::Value) -> Result<Claim, Error> {
        let key = key.trim();
        if key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(|c| c.is_control()) {
            return Err(Error::BadRequest(format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible characters"
            )));
        }
        // serde_json sorts object keys, so the same JSON in another layout hashes the same.
        let canonical = serde_json::to_vec(body).unwrap_or_default();
        let request_hash = hex::encode(Sha256::digest(&canonical));
        Ok(Claim {
            scope,
            key: key.to_string(),
            request_hash,
        })
    }

    /// The stored response for this key, if any; 422 if the key came with another body.
    pub fn replay(&self, c: &mut Db) -> Result<Option<Stored>, Error> {
        let found: Option<(String, i32, String, String)> = idempotency_keys::table
            .find((&self.scope, &self.key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::status,
                idempotency_keys::body,
                idempotency_keys::headers,
            ))
            .first(c)
            .optional()?;
        match found {
            None => Ok(None),
            Some((hash, ..)) if hash != self.request_hash => Err(Error::invalid(
                "Idempotency-Key",
                "this key was already used with a different request body; use a new key",
            )),
            Some((_, status, body, headers)) => Ok(Some(Stored {
                status: status as u16,
                body,
                headers: serde_json::from_str(&headers)
                    .map_err(|e| Error::Internal(format!("stored idempotency headers: {e}")))?,
            })),
        }
    }

    /// Stores the response for this key (in the same transaction as the work it describes).
    pub fn store(&self, c: &mut Db, response: &Stored, now: NaiveDateTime) -> Result<(), Error> {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::scope.eq(&self.scope),
                idempotency_keys::key.eq(&self.key),
                idempotency_keys::request_hash.eq(&self.request_hash),
                idempotency_keys::status.eq(response.status as i32),
                idempotency_keys::body.eq(&response.body),
                idempotency_keys::headers.eq(serde_json::to_string(&response.headers).unwrap_or_else(|_| "[]".into())),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(c)?;
        Ok(())
    }
}

/// Deletes keys stored before `cutoff`; answers how many went.
pub fn purge(c: &mut Db, cutoff: NaiveDateTime) -> Result<usize, Error> {
    Ok(diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff))).execute(c)?)
}
