//! The context handlers and background workers share.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Database;
use crate::tokens::cache::TokenCache;

/// What every handler and worker can reach: storage, settings, recent tokens, the clock.
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    /// Recently validated API tokens.
    pub tokens: TokenCache,
    /// Where "now" comes from; tests set it instead of sleeping.
    pub clock: Clock,
}
