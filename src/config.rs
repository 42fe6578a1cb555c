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
    pub mail: MailSettings,
    pub reminders: ReminderSettings,
    pub digest: DigestSettings,
    pub metrics: MetricsSettings,
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
    /// Take the client address from `X-Forwarded-For` (only behind proxies you run).
    pub trust_forwarded_for: bool,
    /// How many proxies in front append to `X-Forwarded-For`: the client is that many
    /// entries from the right.
    pub trusted_proxies: u32,
}

impl RateLimitSettings {
    /// How many `X-Forwarded-For` entries from the right to look; 0 = ignore the header.
    pub fn forwarded_hops(&self) -> usize {
        if self.trust_forwarded_for {
            self.trusted_proxies as usize
        } else {
            0
        }
    }
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

/// `[mail]`: how emails leave.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp` or `file`.
    pub transport: MailTransport,
    /// The sender, e.g. `Roadshow <noreply@example.org>`.
    pub from: String,
    /// Most emails sent a second by each worker; 0 = no limit.
    pub max_per_second: u32,
    pub smtp: SmtpSettings,
    pub file: FileSettings,
}

/// Where emails go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTransport {
    Smtp,
    File,
}

/// `[mail.smtp]`: the relay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// Empty: no authentication.
    pub username: String,
    /// Never logged nor shown by `Debug`.
    pub password: Secret,
    /// Seconds one SMTP command may take.
    pub timeout_secs: u64,
    /// Connections the pooled transport keeps open.
    pub pool_size: u32,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain text (a local relay or a test sink).
    None,
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// `[mail.file]`: where the file transport writes `.eml` files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub dir: PathBuf,
}

/// A secret setting: readable by the code, `[redacted]` in `Debug` output and logs.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `[reminders]`: planning and the delivery worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSettings {
    /// Rules new events get, e.g. `["P7D", "P1D", "PT2H"]`.
    pub default_rules: Vec<String>,
    /// Whether `serve` runs the delivery worker (`roadshow worker` runs it alone).
    pub worker_enabled: bool,
    /// Seconds between looks for due emails.
    pub poll_interval_secs: u64,
    /// Attempts before a transient failure counts as final.
    pub max_attempts: u32,
    /// Seconds a worker holds an email it claimed; another takes it after that.
    pub lease_secs: u64,
    /// Emails claimed per round.
    pub batch_size: u32,
    /// At most this many emails between the relay's acceptance and the commit of
    /// `sent`: the most one crash can send twice.
    pub max_unrecorded: u32,
}

/// `[digest]`: the daily follow-up digest each team with an email address gets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    /// `HH:MM`, wall-clock time in each team's zone.
    pub local_time: String,
    /// `zh-CN`, `en` or `ja` (teams have no language of their own).
    pub language: String,
}

impl DigestSettings {
    /// `local_time` as a time of day (validated on load).
    pub fn at(&self) -> chrono::NaiveTime {
        crate::digests::rules::parse_local_time(&self.local_time)
            .unwrap_or_else(|_| chrono::NaiveTime::from_hms_opt(8, 30, 0).unwrap_or_default())
    }

    /// `language` (validated on load).
    pub fn language(&self) -> crate::contacts::model::Language {
        crate::contacts::model::Language::parse("digest.language", &self.language)
            .unwrap_or(crate::contacts::model::Language::ZhCn)
    }
}

/// `[metrics]`: the Prometheus endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// `IP:port` of a listener of its own serving `GET /metrics`; empty = off.
    pub listen: String,
}

impl MetricsSettings {
    /// Where to serve metrics, if anywhere (validated on load).
    pub fn address(&self) -> Option<std::net::SocketAddr> {
        self.listen.trim().parse().ok()
    }
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
                .with_list_parse_key("reminders.default_rules")
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
        if self.rate_limit.trusted_proxies == 0 {
            return Err(ConfigError(
                "rate_limit.trusted_proxies must be at least 1 (set trust_forwarded_for = false to use none)".into(),
            ));
        }
        if let Err(e) = crate::reminders::rules::validate(&self.reminders.default_rules) {
            return Err(ConfigError(format!("reminders.default_rules: {e}")));
        }
        if self.reminders.poll_interval_secs == 0 || self.reminders.lease_secs == 0 {
            return Err(ConfigError(
                "reminders.poll_interval_secs and reminders.lease_secs must be at least 1".into(),
            ));
        }
        if self.reminders.max_attempts == 0 || self.reminders.batch_size == 0 || self.reminders.max_unrecorded == 0 {
            return Err(ConfigError(
                "reminders.max_attempts, reminders.batch_size and reminders.max_unrecorded must be at least 1".into(),
            ));
        }
        if let Err(e) = crate::digests::rules::parse_local_time(&self.digest.local_time) {
            return Err(ConfigError(format!("digest.local_time: {e}")));
        }
        if crate::contacts::model::Language::parse("digest.language", &self.digest.language).is_err() {
            return Err(ConfigError(format!(
                "digest.language must be zh-CN, en or ja, got {:?}",
                self.digest.language
            )));
        }
        if !self.metrics.listen.trim().is_empty() && self.metrics.address().is_none() {
            return Err(ConfigError(format!(
                "metrics.listen must be empty (off) or an address like 127.0.0.1:9464, got {:?}",
                self.metrics.listen
            )));
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError(format!(
                "mail.from must be an address like \"Roadshow <noreply@example.org>\", got {:?}",
                self.mail.from
            )));
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
        let e = load(&[("ROADSHOW__RATE_LIMIT__TRUSTED_PROXIES", "0")]).unwrap_err();
        assert!(e.to_string().contains("rate_limit.trusted_proxies"), "{e}");
        let e = load(&[("ROADSHOW__IDEMPOTENCY__RETENTION_SECS", "0")]).unwrap_err();
        assert!(e.to_string().contains("idempotency.retention_secs"), "{e}");
        let e = load(&[("ROADSHOW__REMINDERS__DEFAULT_RULES", "P1D,soon")]).unwrap_err();
        assert!(
            e.to_string().contains("reminders.default_rules") && e.to_string().contains("soon"),
            "{e}"
        );
        let e = load(&[("ROADSHOW__MAIL__FROM", "nobody")]).unwrap_err();
        assert!(e.to_string().contains("mail.from"), "{e}");
        let e = load(&[("ROADSHOW__DIGEST__LOCAL_TIME", "8.30")]).unwrap_err();
        assert!(e.to_string().contains("digest.local_time"), "{e}");
        let e = load(&[("ROADSHOW__DIGEST__LANGUAGE", "fr")]).unwrap_err();
        assert!(e.to_string().contains("digest.language"), "{e}");
        let e = load(&[("ROADSHOW__METRICS__LISTEN", "localhost")]).unwrap_err();
        assert!(e.to_string().contains("metrics.listen"), "{e}");
    }

    #[test]
    fn digests_at_half_past_eight_in_chinese_and_metrics_off_by_default() {
        let s = load(&[]).unwrap();
        assert_eq!(s.digest.at(), chrono::NaiveTime::from_hms_opt(8, 30, 0).unwrap());
        assert_eq!(s.digest.language(), crate::contacts::model::Language::ZhCn);
        assert_eq!(s.metrics.address(), None);
        let s = load(&[
            ("ROADSHOW__DIGEST__LOCAL_TIME", "07:45"),
            ("ROADSHOW__METRICS__LISTEN", "127.0.0.1:9464"),
        ])
        .unwrap();
        assert_eq!(s.digest.at(), chrono::NaiveTime::from_hms_opt(7, 45, 0).unwrap());
        assert_eq!(s.metrics.address().map(|a| a.port()), Some(9464));
    }

    #[test]
    fn mail_settings_come_from_the_environment_and_hide_the_password() {
        let s = load(&[
            ("ROADSHOW__MAIL__TRANSPORT", "smtp"),
            ("ROADSHOW__MAIL__SMTP__PORT", "1025"),
            ("ROADSHOW__MAIL__SMTP__TLS", "none"),
            ("ROADSHOW__MAIL__SMTP__PASSWORD", "hunter2"),
            ("ROADSHOW__REMINDERS__DEFAULT_RULES", "P2D,PT30M"),
        ])
        .unwrap();
        assert_eq!(s.mail.transport, MailTransport::Smtp);
        assert_eq!((s.mail.smtp.port, s.mail.smtp.tls), (1025, SmtpTls::None));
        assert_eq!(s.mail.smtp.password.expose(), "hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.reminders.default_rules, vec!["P2D", "PT30M"]);
        let d = load(&[]).unwrap();
        assert_eq!(d.mail.transport, MailTransport::File);
        assert_eq!(d.reminders.default_rules, vec!["P7D", "P1D", "PT2H"]);
        assert!(d.reminders.worker_enabled);
    }
}
