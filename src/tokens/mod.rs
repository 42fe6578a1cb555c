//! API tokens: roles, generation and hashing. Tokens are stored only as SHA-256 hashes.

pub mod cache;
pub mod handlers;
pub mod queries;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// What a token may do: viewers read, organisers write, admins also manage tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Organiser,
    Admin,
}

impl Role {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Organiser => "organiser",
            Role::Admin => "admin",
        }
    }

    /// Reads a stored role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "organiser" => Some(Role::Organiser),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A token as listed to admins (never the secret itself).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The team the token acts for: its new intentions default to this owner.
    #[schema(format = Uuid)]
    pub team_id: Option<String>,
}

/// A freshly made token: the only time its secret is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    /// The bearer token. Store it now: it cannot be shown again.
    pub token: String,
}

/// A new random token: 256 bits, URL-safe, with a recognisable prefix.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("rs_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a token. Tokens are long and random, so a fast hash suffices.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks a token name: 1–100 characters, not blank, no control characters.
pub fn validate_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err("must be 1 to 100 characters".into());
    }
    crate::validation::plain("name", name, crate::validation::Lines::One).map_err(|e| e.message)?;
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(a.len() >= 40);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Admin > Role::Organiser && Role::Organiser > Role::Viewer);
        assert_eq!(Role::parse(Role::Organiser.as_str()), Some(Role::Organiser));
    }
}
