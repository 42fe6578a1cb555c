//! A short-lived, per-replica cache of valid tokens, so most requests skip a database
//! round trip. Only tokens that were found valid are cached (the map is bounded by the
//! number of live tokens); a revocation is seen at once on the replica that made it and
//! within the TTL (`auth.token_cache_secs`) on the others.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use super::TokenInfo;

/// Valid tokens by hash, each with the moment it was looked up.
pub struct TokenCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, (TokenInfo, Instant)>>,
}

impl TokenCache {
    /// A cache keeping entries for `ttl`; a zero TTL caches nothing.
    pub fn new(ttl: Duration) -> Self {
        TokenCache {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The token with this hash, if it was seen valid within the TTL.
    pub fn get(&self, hash: &str) -> Option<TokenInfo> {
        let entries = self.entries.read().ok()?;
        let (info, at) = entries.get(hash)?;
        (at.elapsed() < self.ttl).then(|| info.clone())
    }

    /// Remembers a token found valid.
    pub fn put(&self, hash: String, info: TokenInfo) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
            entries.insert(hash, (info, Instant::now()));
        }
    }

    /// Forgets a token (after it is revoked here).
    pub fn forget(&self, token_id: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (info, _)| info.id != token_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::Role;

    fn info(id: &str) -> TokenInfo {
        TokenInfo {
            id: id.into(),
            name: id.into(),
            role: Role::Viewer,
            created_at: chrono::Utc::now(),
            revoked_at: None,
            team_id: None,
        }
    }

    #[test]
    fn entries_expire_and_can_be_forgotten() {
        let cache = TokenCache::new(Duration::from_secs(60));
        cache.put("h1".into(), info("a"));
        assert_eq!(cache.get("h1").map(|i| i.id), Some("a".into()));
        cache.forget("a");
        assert!(cache.get("h1").is_none());
        let off = TokenCache::new(Duration::ZERO);
        off.put("h1".into(), info("a"));
        assert!(off.get("h1").is_none());
    }
}
