//! Settings: built-in defaults, `config/default.toml`, `config/<ROADSHOW_ENV>.toml`,
//! then `ROADSHOW__SECTION__KEY` environment variables and plain `DATABASE_URL`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The defaults ship inside the binary so it runs from any directory.
const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything the service can be configured with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub idempotency: IdempotencySettings,
}

/// `[server]`: where to listen and how browsers may call us.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub cors_origins: Vec<String>,
    pub public_base_url: String,
    pub shutdown_timeout_secs: u64,
}

/// `[database]`: which database and how many connections.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    /// SQLite only: when a commit is flushed to disk.
    #[serde(default)]
    pub sqlite_synchronous: SqliteSynchronous,
    /// SQLite only: the page cache of each connection, in KiB.
    #[serde(default = "default_sqlite_cache_kib")]
    pub sqlite_cache_kib: u32,
}

/// SQLite's `synchronous` setting, as offered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// Every commit is on disk before it is answered (survives a power loss).
    #[default]
    Full,
    /// A power loss or OS crash may drop the last commits (a process crash does not).
    Normal,
}

fn default_sqlite_cache_kib() -> u32 {
    2048
}

/// `[auth]`: bootstrap of the first admin token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub bootstrap_token_file: PathBuf,
    /// Seconds a replica trusts a token it validated before asking the database again.
    pub token_cache_secs: u64,
}

/// `[rate_limit]`: limits on the public self-service routes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub public_per_minute: u32,
    pub trust_forwarded_for: bool,
}

/// `[idempotency]`: how long `Idempotency-Key` responses are kept for replay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencySettings {
    /// Seconds a key is kept at least; older keys are purged.
    pub retention_secs: u64,
    /// Seconds between purges (each replica runs its own; they do not conflict).
    pub purge_interval_secs: u64,
}

/// A configuration problem, always naming the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Settings {
    /// Loads settings from `config/` under the current directory and the environment.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(Path::new("config"), std::env::vars())
    }

    /// Loads settings from a config directory and the given environment variables.
    pub fn load_from(dir: &Path, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let profile = lookup(&env, "ROADSHOW_ENV");
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .add_source(config::File::from(dir.join("default.toml")).required(false));
        if let Some(profile) = &profile {
            builder = builder.add_source(config::File::from(dir.join(format!("{profile}.toml"))).required(false));
        }
        if let Some(url) = lookup(&env, "DATABASE_URL") {
            builder = builder
                .set_override("database.url", url)
                .map_err(|e| ConfigError(format!("DATABASE_URL: {e}")))?;
        }
        let vars: config::Map<String, String> = env
            .into_iter()
            // An empty variable counts as unset (compose files often pass `KEY=`).
            .filter(|(k, v)| k.starts_with("ROADSHOW__") && !v.is_empty())
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("ROADSHOW")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("server.cors_origins")
                .try_parsing(true)
                .source(Some(vars)),
        );
        let settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what the types alone cannot.
    fn validate(&self) -> Result<(), ConfigError> {
        if self.database.url.trim().is_empty() {
            return Err(ConfigError("database.url must not be empty".into()));
        }
        if self.database.pool_size == 0 {
            return Err(ConfigError("database.pool_size must be at least 1".into()));
        }
        if !(64..=1_048_576).contains(&self.database.sqlite_cache_kib) {
            return Err(ConfigError(
                "database.sqlite_cache_kib must be between 64 and 1048576".into(),
            ));
        }
        if self.idempotency.retention_secs == 0 {
            return Err(ConfigError("idempotency.retention_secs must be at least 1".into()));
        }
        if self.idempotency.purge_interval_secs == 0 {
            return Err(ConfigError("idempotency.purge_interval_secs must be at least 1".into()));
        }
        if !(1..=60_000).contains(&self.rate_limit.public_per_minute) {
            return Err(ConfigError(
                "rate_limit.public_per_minute must be between 1 and 60000".into(),
            ));
        }
        if !is_http_url(&self.server.public_base_url) {
            return Err(ConfigError(format!(
                "server.public_base_url must be an http(s) URL, got {:?}",
                self.server.public_base_url
            )));
        }
        for origin in &self.server.cors_origins {
            if !is_http_url(origin) || origin.ends_with('/') {
                return Err(ConfigError(format!(
                    "server.cors_origins: {origin:?} is not an origin like https://app.example.org"
                )));
            }
        }
        Ok(())
    }

    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.server.public_base_url.trim_end_matches('/')
    }
}

fn lookup(env: &[(String, String)], key: &str) -> Option<String> {
    env.iter()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.clone())
}

fn is_http_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://")) && s.len() > "https://".len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        Settings::load_from(dir.path(), env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn defaults_load_without_files() {
        let s = load(&[]).unwrap();
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.database.url, "data/roadshow.db");
        assert!(s.server.cors_origins.is_empty());
        assert_eq!(s.database.sqlite_synchronous, SqliteSynchronous::Full);
    }

    #[test]
    fn sqlite_durability_can_be_relaxed() {
        let s = load(&[("ROADSHOW__DATABASE__SQLITE_SYNCHRONOUS", "normal")]).unwrap();
        assert_eq!(s.database.sqlite_synchronous, SqliteSynchronous::Normal);
        let e = load(&[("ROADSHOW__DATABASE__SQLITE_SYNCHRONOUS", "off")]).unwrap_err();
        assert!(e.to_string().contains("sqlite_synchronous"), "{e}");
    }

    #[test]
    fn environment_overrides_and_lists() {
        let s = load(&[
            ("ROADSHOW__SERVER__PORT", "9000"),
            ("ROADSHOW__SERVER__CORS_ORIGINS", "https://a.example,https://b.example"),
            ("DATABASE_URL", "postgres://x@localhost/db"),
        ])
        .unwrap();
        assert_eq!(s.server.port, 9000);
        assert_eq!(s.server.cors_origins.len(), 2);
        assert_eq!(s.database.url, "postgres://x@localhost/db");
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let s = load(&[("ROADSHOW__SERVER__CORS_ORIGINS", ""), ("DATABASE_URL", "")]).unwrap();
        assert!(s.server.cors_origins.is_empty());
        assert_eq!(s.database.url, "data/roadshow.db");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = load(&[("ROADSHOW__SERVER__PORT", "eighty")]).unwrap_err();
        assert!(e.to_string().contains("server.port"), "{e}");
        let e = load(&[("ROADSHOW__DATABASE__POOL_SIZE", "0")]).unwrap_err();
        assert!(e.to_string().contains("database.pool_size"), "{e}");
        let e = load(&[("ROADSHOW__SERVER__CORS_ORIGINS", "nope")]).unwrap_err();
        assert!(e.to_string().contains("server.cors_origins"), "{e}");
        let e = load(&[("ROADSHOW__IDEMPOTENCY__RETENTION_SECS", "0")]).unwrap_err();
        assert!(e.to_string().contains("idempotency.retention_secs"), "{e}");
    }
}
