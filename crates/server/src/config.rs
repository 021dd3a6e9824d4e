//! Configuration: defaults, then an optional `nerutalk.toml`, then
//! environment variables. Secrets are `SecretString`s and never logged.

use std::net::IpAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nerutalk_app::cache::CacheSettings;
use nerutalk_app::{AuthLimits, ChatLimits, HashingLimits};
use nerutalk_http::FrameLimit;
use nerutalk_ports::Quota;

use secrecy::SecretString;
use serde::Deserialize;

/// Everything the server can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    /// `sqlite://…` (the default) or `postgres://…`.
    pub database_url: String,
    pub database_pool_size: u32,
    /// `redis://…` to carry live events between nodes; absent: in-process (one node).
    pub redis_url: Option<SecretString>,
    /// Apply pending migrations at start.
    pub auto_migrate: bool,
    /// Where the embedded default keeps its files (database, generated secret).
    pub data_dir: PathBuf,
    /// HS256 key for access tokens; kept in the database when absent.
    pub jwt_secret_key: Option<SecretString>,
    pub jwt_access_token_expire_minutes: u64,
    pub jwt_refresh_token_expire_days: u64,
    pub email_verification_expire_hours: u64,
    pub bcrypt_cost: u32,
    /// Password hashes run at once; one per core when absent.
    pub password_hash_workers: Option<NonZeroUsize>,
    /// Password hashes waiting for a worker before more are refused (503).
    pub password_hash_queue: usize,
    pub json_body_limit: usize,
    /// HTTP worker threads; one per core when absent.
    pub http_workers: Option<usize>,
    /// How often the WebSocket gateway pings.
    pub ws_heartbeat_seconds: u64,
    /// A socket silent for this long is closed.
    pub ws_client_timeout_seconds: u64,
    /// Largest WebSocket frame accepted, in bytes.
    pub ws_max_frame_bytes: usize,
    /// Events queued per socket before a slow socket is closed.
    pub ws_queue_capacity: usize,
    /// How often a socket checks that its session was not revoked.
    pub ws_session_check_seconds: u64,
    /// How long this node may serve a copy of a session, an account, a chat
    /// roster or a block without reading it again, should an invalidation
    /// be lost unnoticed; `0` keeps no copies.
    pub cache_ttl_seconds: u64,
    /// Copies each of those caches holds at most.
    pub cache_capacity: usize,
    /// How long a graceful stop waits for requests and sockets to finish.
    pub shutdown_timeout_seconds: u64,
    /// How long a claimed background job is held before another node may
    /// take it over; renewed while the job runs.
    pub job_lease_seconds: u64,
    /// Background jobs run at once on this node.
    pub job_concurrency: usize,
    /// The address users reach this server at, for the links in mail;
    /// absent: `http://localhost:<port>`.
    pub public_url: Option<String>,
    /// `smtp://…` or `smtps://…` (with `user:password@` and `?tls=` as
    /// lettre reads them) to deliver mail; absent: mail is kept in the
    /// outbox table and its link logged (the embedded default).
    pub smtp_url: Option<SecretString>,
    /// The sender of every mail (`NeruTalk <no-reply@example.com>`);
    /// required with `smtp_url`.
    pub mail_from: Option<String>,
    /// Sign-in attempts per account (login key), as `<count>/<seconds>s`;
    /// all of them may come at once.
    pub rate_limit_login_account: String,
    /// Sign-in attempts per client address, as `<count>/<seconds>s`.
    pub rate_limit_login_address: String,
    /// Accounts created per client address.
    pub rate_limit_registration_address: String,
    /// Verification mails asked for again, per account.
    pub rate_limit_verification_account: String,
    /// Verification mails asked for again, per client address.
    pub rate_limit_verification_address: String,
    /// Messages sent per user, over REST and the WebSocket together.
    pub rate_limit_message_send: String,
    /// Chats created (or direct chats opened) per user.
    pub rate_limit_chat_create: String,
    /// Requests adding members to a group, per user.
    pub rate_limit_member_add: String,
    /// Frames (text, binary, ping) one WebSocket may send, as
    /// `<count>/<seconds>s`; all of them may come at once.
    pub rate_limit_ws_frames: String,
    /// Sockets one user may hold open at once, on all nodes together.
    pub rate_limit_sockets_per_user: NonZeroU32,
    /// When the rate limiter (Redis) is down: `true` lets requests
    /// through, `false` answers 503.
    pub rate_limit_fail_open: bool,
    /// Proxies whose `X-Forwarded-For` names the client (exact addresses).
    pub trusted_proxies: Vec<IpAddr>,
    /// Where `/metrics` is served (`127.0.0.1:9090`), apart from the
    /// public API; absent: no metrics listener.
    pub metrics_addr: Option<String>,
    /// How log lines are written to standard output: `text` for people, `json` (one
    /// object per line) for a log collector.
    pub log_format: LogFormat,
}

/// The shape of log lines (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event, fields as `key=value`.
    #[default]
    Text,
    /// One JSON object per line, with the fields of the spans it is in.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value.to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(()),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 8080,
            database_url: "sqlite://data/nerutalk.db".to_owned(),
            database_pool_size: 10,
            redis_url: None,
            auto_migrate: true,
            data_dir: PathBuf::from("data"),
            jwt_secret_key: None,
            jwt_access_token_expire_minutes: 15,
            jwt_refresh_token_expire_days: 30,
            email_verification_expire_hours: 24,
            bcrypt_cost: 12,
            password_hash_workers: None,
            password_hash_queue: 16,
            json_body_limit: 64 * 1024,
            http_workers: None,
            ws_heartbeat_seconds: 15,
            ws_client_timeout_seconds: 45,
            ws_max_frame_bytes: 64 * 1024,
            ws_queue_capacity: 256,
            ws_session_check_seconds: 30,
            cache_ttl_seconds: 30,
            cache_capacity: 100_000,
            shutdown_timeout_seconds: 30,
            job_lease_seconds: 30,
            job_concurrency: 4,
            public_url: None,
            smtp_url: None,
            mail_from: None,
            rate_limit_login_account: "5/60s".to_owned(),
            rate_limit_login_address: "20/60s".to_owned(),
            rate_limit_registration_address: "20/3600s".to_owned(),
            rate_limit_verification_account: "5/3600s".to_owned(),
            rate_limit_verification_address: "20/3600s".to_owned(),
            rate_limit_message_send: "30/10s".to_owned(),
            rate_limit_chat_create: "20/600s".to_owned(),
            rate_limit_member_add: "30/600s".to_owned(),
            rate_limit_ws_frames: "60/10s".to_owned(),
            rate_limit_sockets_per_user: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            rate_limit_fail_open: true,
            trusted_proxies: Vec::new(),
            metrics_addr: None,
            log_format: LogFormat::Text,
        }
    }
}

/// Configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid: {source}")]
    Parse {
        path: String,
        #[source]
        source: toml::de::Error,
    },
    #[error("environment variable {name} is not valid: {value:?}")]
    Env { name: &'static str, value: String },
    #[error("PUBLIC_URL must be an http:// or https:// address: {0:?}")]
    PublicUrl(String),
    #[error("MAIL_FROM must be set when SMTP_URL is: it names the sender of every mail")]
    MailFromMissing,
    #[error("PUBLIC_URL must be set when SMTP_URL is: mailed links would point at localhost")]
    PublicUrlMissing,
    #[error("{name} must be <count>/<seconds>s, such as 5/60s: {value:?}")]
    RateLimit { name: &'static str, value: String },
}

impl Settings {
    /// Defaults, overlaid by `file` (or `./nerutalk.toml` if it exists), then
    /// by the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] for an unreadable file or a malformed value.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let default_file = Path::new("nerutalk.toml");
        let path = file.or_else(|| default_file.exists().then_some(default_file));
        let settings = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: path.display().to_string(),
                    source,
                })?
            }
            None => Self::default(),
        };
        settings.with_env(|name| std::env::var(name).ok())
    }

    /// Applies environment variables, read through `lookup`.
    ///
    /// # Errors
    /// [`ConfigError::Env`] for a value that does not parse.
    pub fn with_env(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        fn parsed<T: std::str::FromStr>(
            name: &'static str,
            value: String,
        ) -> Result<T, ConfigError> {
            value
                .trim()
                .parse()
                .map_err(|_| ConfigError::Env { name, value })
        }
        let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        if let Some(value) = var("HOST") {
            self.host = value;
        }
        if let Some(value) = var("PORT") {
            self.port = parsed("PORT", value)?;
        }
        if let Some(value) = var("DATABASE_URL") {
            self.database_url = value;
        }
        if let Some(value) = var("DATABASE_POOL_SIZE") {
            self.database_pool_size = parsed("DATABASE_POOL_SIZE", value)?;
        }
        if let Some(value) = var("REDIS_URL") {
            self.redis_url = Some(SecretString::from(value));
        }
        if let Some(value) = var("AUTO_MIGRATE") {
            self.auto_migrate = parsed("AUTO_MIGRATE", value)?;
        }
        if let Some(value) = var("DATA_DIR") {
            self.data_dir = PathBuf::from(value);
        }
        if let Some(value) = var("JWT_SECRET_KEY") {
            self.jwt_secret_key = Some(SecretString::from(value));
        }
        if let Some(value) = var("JWT_ACCESS_TOKEN_EXPIRE_MINUTES") {
            self.jwt_access_token_expire_minutes =
                parsed("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", value)?;
        }
        if let Some(value) = var("JWT_REFRESH_TOKEN_EXPIRE_DAYS") {
            self.jwt_refresh_token_expire_days = parsed("JWT_REFRESH_TOKEN_EXPIRE_DAYS", value)?;
        }
        if let Some(value) = var("EMAIL_VERIFICATION_EXPIRE_HOURS") {
            self.email_verification_expire_hours =
                parsed("EMAIL_VERIFICATION_EXPIRE_HOURS", value)?;
        }
        if let Some(value) = var("BCRYPT_COST") {
            self.bcrypt_cost = parsed("BCRYPT_COST", value)?;
        }
        if let Some(value) = var("PASSWORD_HASH_WORKERS") {
            self.password_hash_workers = Some(parsed("PASSWORD_HASH_WORKERS", value)?);
        }
        if let Some(value) = var("PASSWORD_HASH_QUEUE") {
            self.password_hash_queue = parsed("PASSWORD_HASH_QUEUE", value)?;
        }
        if let Some(value) = var("JSON_BODY_LIMIT") {
            self.json_body_limit = parsed("JSON_BODY_LIMIT", value)?;
        }
        if let Some(value) = var("HTTP_WORKERS") {
            self.http_workers = Some(parsed("HTTP_WORKERS", value)?);
        }
        if let Some(value) = var("WS_HEARTBEAT_SECONDS") {
            self.ws_heartbeat_seconds = parsed("WS_HEARTBEAT_SECONDS", value)?;
        }
        if let Some(value) = var("WS_CLIENT_TIMEOUT_SECONDS") {
            self.ws_client_timeout_seconds = parsed("WS_CLIENT_TIMEOUT_SECONDS", value)?;
        }
        if let Some(value) = var("WS_MAX_FRAME_BYTES") {
            self.ws_max_frame_bytes = parsed("WS_MAX_FRAME_BYTES", value)?;
        }
        if let Some(value) = var("WS_QUEUE_CAPACITY") {
            self.ws_queue_capacity = parsed("WS_QUEUE_CAPACITY", value)?;
        }
        if let Some(value) = var("WS_SESSION_CHECK_SECONDS") {
            self.ws_session_check_seconds = parsed("WS_SESSION_CHECK_SECONDS", value)?;
        }
        if let Some(value) = var("CACHE_TTL_SECONDS") {
            self.cache_ttl_seconds = parsed("CACHE_TTL_SECONDS", value)?;
        }
        if let Some(value) = var("CACHE_CAPACITY") {
            self.cache_capacity = parsed("CACHE_CAPACITY", value)?;
        }
        if let Some(value) = var("SHUTDOWN_TIMEOUT_SECONDS") {
            self.shutdown_timeout_seconds = parsed("SHUTDOWN_TIMEOUT_SECONDS", value)?;
        }
        if let Some(value) = var("JOB_LEASE_SECONDS") {
            self.job_lease_seconds = parsed("JOB_LEASE_SECONDS", value)?;
        }
        if let Some(value) = var("JOB_CONCURRENCY") {
            self.job_concurrency = parsed("JOB_CONCURRENCY", value)?;
        }
        if let Some(value) = var("PUBLIC_URL") {
            self.public_url = Some(value);
        }
        if let Some(value) = var("SMTP_URL") {
            self.smtp_url = Some(SecretString::from(value));
        }
        if let Some(value) = var("MAIL_FROM") {
            self.mail_from = Some(value);
        }
        if let Some(value) = var("RATE_LIMIT_LOGIN_ACCOUNT") {
            self.rate_limit_login_account = value;
        }
        if let Some(value) = var("RATE_LIMIT_LOGIN_ADDRESS") {
            self.rate_limit_login_address = value;
        }
        for (name, setting) in [
            (
                "RATE_LIMIT_REGISTRATION_ADDRESS",
                &mut self.rate_limit_registration_address,
            ),
            (
                "RATE_LIMIT_VERIFICATION_ACCOUNT",
                &mut self.rate_limit_verification_account,
            ),
            (
                "RATE_LIMIT_VERIFICATION_ADDRESS",
                &mut self.rate_limit_verification_address,
            ),
            ("RATE_LIMIT_MESSAGE_SEND", &mut self.rate_limit_message_send),
            ("RATE_LIMIT_CHAT_CREATE", &mut self.rate_limit_chat_create),
            ("RATE_LIMIT_MEMBER_ADD", &mut self.rate_limit_member_add),
        ] {
            if let Some(value) = var(name) {
                *setting = value;
            }
        }
        if let Some(value) = var("RATE_LIMIT_WS_FRAMES") {
            self.rate_limit_ws_frames = value;
        }
        if let Some(value) = var("RATE_LIMIT_SOCKETS_PER_USER") {
            self.rate_limit_sockets_per_user = parsed("RATE_LIMIT_SOCKETS_PER_USER", value)?;
        }
        if let Some(value) = var("RATE_LIMIT_FAIL_OPEN") {
            self.rate_limit_fail_open = parsed("RATE_LIMIT_FAIL_OPEN", value)?;
        }
        if let Some(value) = var("TRUSTED_PROXIES") {
            self.trusted_proxies = value
                .split(',')
                .map(|proxy| parsed("TRUSTED_PROXIES", proxy.to_owned()))
                .collect::<Result<_, _>>()?;
        }
        if let Some(value) = var("METRICS_ADDR") {
            self.metrics_addr = Some(value);
        }
        if let Some(value) = var("LOG_FORMAT") {
            self.log_format = parsed("LOG_FORMAT", value)?;
        }
        Ok(self)
    }

    /// The per-node caches, or none when `CACHE_TTL_SECONDS` is `0`.
    #[must_use]
    pub fn caches(&self) -> Option<CacheSettings> {
        (self.cache_ttl_seconds > 0 && self.cache_capacity > 0).then(|| CacheSettings {
            capacity: self.cache_capacity,
            ttl: Duration::from_secs(self.cache_ttl_seconds),
        })
    }

    /// The sign-in, sign-up and verification-mail limits, with their
    /// quotas parsed.
    ///
    /// # Errors
    /// [`ConfigError::RateLimit`] for a quota that does not parse or is out
    /// of range.
    pub fn auth_limits(&self) -> Result<AuthLimits, ConfigError> {
        Ok(AuthLimits {
            login_account: quota("RATE_LIMIT_LOGIN_ACCOUNT", &self.rate_limit_login_account)?,
            login_address: quota("RATE_LIMIT_LOGIN_ADDRESS", &self.rate_limit_login_address)?,
            registration_address: quota(
                "RATE_LIMIT_REGISTRATION_ADDRESS",
                &self.rate_limit_registration_address,
            )?,
            verification_account: quota(
                "RATE_LIMIT_VERIFICATION_ACCOUNT",
                &self.rate_limit_verification_account,
            )?,
            verification_address: quota(
                "RATE_LIMIT_VERIFICATION_ADDRESS",
                &self.rate_limit_verification_address,
            )?,
            fail_open: self.rate_limit_fail_open,
        })
    }

    /// How many password hashes run at once (one per core unless set) and
    /// how many may wait.
    #[must_use]
    pub fn hashing_limits(&self) -> HashingLimits {
        HashingLimits {
            workers: self.password_hash_workers.unwrap_or_else(|| {
                std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
            }),
            queue: self.password_hash_queue,
        }
    }

    /// The send, new-chat and member limits, with their quotas parsed.
    ///
    /// # Errors
    /// As [`Self::auth_limits`].
    pub fn chat_limits(&self) -> Result<ChatLimits, ConfigError> {
        Ok(ChatLimits {
            message_send: quota("RATE_LIMIT_MESSAGE_SEND", &self.rate_limit_message_send)?,
            chat_create: quota("RATE_LIMIT_CHAT_CREATE", &self.rate_limit_chat_create)?,
            member_add: quota("RATE_LIMIT_MEMBER_ADD", &self.rate_limit_member_add)?,
            fail_open: self.rate_limit_fail_open,
        })
    }

    /// The frame budget of each WebSocket.
    ///
    /// # Errors
    /// [`ConfigError::RateLimit`] for a quota that does not parse or is out
    /// of range.
    pub fn ws_frame_limit(&self) -> Result<FrameLimit, ConfigError> {
        Ok(FrameLimit::new(quota(
            "RATE_LIMIT_WS_FRAMES",
            &self.rate_limit_ws_frames,
        )?))
    }

    /// Where links in mail point: `public_url` without a trailing slash, or
    /// `http://localhost:<bound_port>` (the port actually bound, so that
    /// port 0 still gives a working link).
    ///
    /// # Errors
    /// [`ConfigError::PublicUrl`] when `public_url` is not http(s), and
    /// [`ConfigError::PublicUrlMissing`] when it is absent but mail goes
    /// out over SMTP.
    pub fn public_url(&self, bound_port: u16) -> Result<String, ConfigError> {
        let Some(url) = &self.public_url else {
            // Real mail to real people must not link to their own machine.
            if self.smtp_url.is_some() {
                return Err(ConfigError::PublicUrlMissing);
            }
            return Ok(format!("http://localhost:{bound_port}"));
        };
        let trimmed = url.trim().trim_end_matches('/');
        let host = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"));
        match host {
            Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
                Ok(trimmed.to_owned())
            }
            _ => Err(ConfigError::PublicUrl(url.clone())),
        }
    }

    /// The sender of every mail, when mail goes out over SMTP.
    ///
    /// # Errors
    /// [`ConfigError::MailFromMissing`] when `smtp_url` is set without it.
    pub fn mail_from(&self) -> Result<&str, ConfigError> {
        self.mail_from
            .as_deref()
            .map(str::trim)
            .filter(|from| !from.is_empty())
            .ok_or(ConfigError::MailFromMissing)
    }
}

/// `<count>/<seconds>s` (the `s` optional) as a quota whose whole count
/// may come at once.
fn quota(name: &'static str, value: &str) -> Result<Quota, ConfigError> {
    let invalid = || ConfigError::RateLimit {
        name,
        value: value.to_owned(),
    };
    let (count, seconds) = value.trim().split_once('/').ok_or_else(invalid)?;
    let seconds = seconds.trim();
    let seconds = seconds.strip_suffix('s').unwrap_or(seconds);
    let count: NonZeroU32 = count.trim().parse().map_err(|_| invalid())?;
    let seconds: u64 = seconds.trim().parse().map_err(|_| invalid())?;
    if seconds == 0 {
        return Err(invalid());
    }
    Quota::per_period(count, Duration::from_secs(seconds)).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn environment_overrides_defaults_and_bad_values_are_named() {
        let env = |name: &str| match name {
            "PORT" => Some("9000".to_owned()),
            "DATABASE_URL" => Some("postgres://db/nt".to_owned()),
            "JWT_SECRET_KEY" => Some("s3cret".to_owned()),
            _ => None,
        };
        let settings = Settings::default().with_env(env).unwrap();
        assert_eq!(settings.port, 9000);
        assert_eq!(settings.database_url, "postgres://db/nt");
        assert_eq!(
            settings.jwt_secret_key.as_ref().unwrap().expose_secret(),
            "s3cret"
        );
        assert!(
            !format!("{settings:?}").contains("s3cret"),
            "secrets never print"
        );

        let bad =
            Settings::default().with_env(|name| (name == "PORT").then(|| "eighty".to_owned()));
        assert!(matches!(bad, Err(ConfigError::Env { name: "PORT", .. })));
    }

    #[test]
    fn caches_are_on_by_default_and_a_zero_ttl_turns_them_off() {
        assert_eq!(
            Settings::default().caches(),
            Some(CacheSettings {
                capacity: 100_000,
                ttl: Duration::from_secs(30),
            })
        );
        let env = |name: &str| match name {
            "CACHE_TTL_SECONDS" => Some("0".to_owned()),
            "CACHE_CAPACITY" => Some("500".to_owned()),
            _ => None,
        };
        let settings = Settings::default().with_env(env).unwrap();
        assert_eq!(settings.cache_capacity, 500);
        assert_eq!(settings.caches(), None);
        let bad = Settings::default()
            .with_env(|name| (name == "CACHE_TTL_SECONDS").then(|| "soon".to_owned()));
        assert!(matches!(
            bad,
            Err(ConfigError::Env {
                name: "CACHE_TTL_SECONDS",
                ..
            })
        ));
    }

    #[test]
    fn mail_settings_come_from_the_environment_and_the_smtp_url_stays_secret() {
        let env = |name: &str| match name {
            "SMTP_URL" => Some("smtps://mailer:pa55word@smtp.example.com".to_owned()),
            "MAIL_FROM" => Some("NeruTalk <no-reply@example.com>".to_owned()),
            "PUBLIC_URL" => Some("https://chat.example.com/".to_owned()),
            _ => None,
        };
        let settings = Settings::default().with_env(env).unwrap();
        assert_eq!(
            settings.smtp_url.as_ref().unwrap().expose_secret(),
            "smtps://mailer:pa55word@smtp.example.com"
        );
        assert!(!format!("{settings:?}").contains("pa55word"));
        assert_eq!(
            settings.mail_from().unwrap(),
            "NeruTalk <no-reply@example.com>"
        );
        assert_eq!(
            settings.public_url(8080).unwrap(),
            "https://chat.example.com"
        );
        assert!(matches!(
            Settings::default().mail_from(),
            Err(ConfigError::MailFromMissing)
        ));
        let smtp_without_public_url = Settings {
            smtp_url: Some(SecretString::from("smtp://mail.example.com")),
            ..Settings::default()
        };
        assert!(matches!(
            smtp_without_public_url.public_url(8080),
            Err(ConfigError::PublicUrlMissing)
        ));
    }

    #[test]
    fn public_url_defaults_to_the_bound_port_and_must_be_http() {
        assert_eq!(
            Settings::default().public_url(41234).unwrap(),
            "http://localhost:41234"
        );
        for bad in [
            "chat.example.com",
            "ftp://chat.example.com",
            "https://",
            "http://a b",
        ] {
            let settings = Settings {
                public_url: Some(bad.to_owned()),
                ..Settings::default()
            };
            assert!(
                matches!(settings.public_url(1), Err(ConfigError::PublicUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn login_limits_parse_and_bad_ones_are_named() {
        let limits = Settings::default().auth_limits().unwrap();
        assert_eq!(
            (
                limits.login_account.limit().get(),
                limits.login_account.period()
            ),
            (5, Duration::from_secs(60))
        );
        assert_eq!(limits.login_address.limit().get(), 20);
        assert!(limits.fail_open);
        let env = |name: &str| match name {
            "RATE_LIMIT_LOGIN_ACCOUNT" => Some(" 3 / 120 ".to_owned()),
            "RATE_LIMIT_FAIL_OPEN" => Some("false".to_owned()),
            "TRUSTED_PROXIES" => Some("10.0.0.1, ::1".to_owned()),
            _ => None,
        };
        let settings = Settings::default().with_env(env).unwrap();
        let limits = settings.auth_limits().unwrap();
        assert_eq!(
            (
                limits.login_account.limit().get(),
                limits.login_account.period()
            ),
            (3, Duration::from_secs(120))
        );
        assert!(!limits.fail_open);
        assert_eq!(settings.trusted_proxies.len(), 2);
        for bad in ["5", "0/60s", "5/0s", "five/60s", "5/60m"] {
            let settings = Settings {
                rate_limit_login_address: bad.to_owned(),
                ..Settings::default()
            };
            assert!(
                matches!(
                    settings.auth_limits(),
                    Err(ConfigError::RateLimit {
                        name: "RATE_LIMIT_LOGIN_ADDRESS",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn log_format_is_text_unless_json_is_asked_for() {
        assert_eq!(Settings::default().log_format, LogFormat::Text);
        let json = Settings::default()
            .with_env(|name| (name == "LOG_FORMAT").then(|| " JSON ".to_owned()))
            .unwrap();
        assert_eq!(json.log_format, LogFormat::Json);
        let bad =
            Settings::default().with_env(|name| (name == "LOG_FORMAT").then(|| "xml".to_owned()));
        assert!(matches!(
            bad,
            Err(ConfigError::Env {
                name: "LOG_FORMAT",
                ..
            })
        ));
        let file: Settings = toml::from_str("log_format = \"json\"\n").unwrap();
        assert_eq!(file.log_format, LogFormat::Json);
    }

    #[test]
    fn every_default_limit_parses_and_each_has_its_variable() {
        let defaults = Settings::default();
        let auth = defaults.auth_limits().unwrap();
        let chat = defaults.chat_limits().unwrap();
        let per = |quota: Quota| (quota.limit().get(), quota.period().as_secs());
        assert_eq!(per(auth.registration_address), (20, 3600));
        assert_eq!(per(auth.verification_account), (5, 3600));
        assert_eq!(per(auth.verification_address), (20, 3600));
        assert_eq!(per(chat.message_send), (30, 10));
        assert_eq!(per(chat.chat_create), (20, 600));
        assert_eq!(per(chat.member_add), (30, 600));
        let env = |name: &str| match name {
            "RATE_LIMIT_REGISTRATION_ADDRESS" => Some("1/1s".to_owned()),
            "RATE_LIMIT_VERIFICATION_ACCOUNT" => Some("2/2s".to_owned()),
            "RATE_LIMIT_VERIFICATION_ADDRESS" => Some("3/3s".to_owned()),
            "RATE_LIMIT_MESSAGE_SEND" => Some("4/4s".to_owned()),
            "RATE_LIMIT_CHAT_CREATE" => Some("5/5s".to_owned()),
            "RATE_LIMIT_MEMBER_ADD" => Some("6/6s".to_owned()),
            _ => None,
        };
        let settings = Settings::default().with_env(env).unwrap();
        let auth = settings.auth_limits().unwrap();
        let chat = settings.chat_limits().unwrap();
        assert_eq!(
            [
                per(auth.registration_address),
                per(auth.verification_account),
                per(auth.verification_address),
                per(chat.message_send),
                per(chat.chat_create),
                per(chat.member_add),
            ],
            [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)]
        );
        let broken = Settings {
            rate_limit_message_send: "many/10s".to_owned(),
            ..Settings::default()
        };
        assert!(matches!(
            broken.chat_limits(),
            Err(ConfigError::RateLimit {
                name: "RATE_LIMIT_MESSAGE_SEND",
                ..
            })
        ));
    }

    #[test]
    fn password_hashing_defaults_to_one_worker_per_core() {
        let defaults = Settings::default().hashing_limits();
        assert_eq!(
            defaults.workers,
            std::thread::available_parallelism().unwrap()
        );
        assert_eq!(defaults.queue, 16);
        let env = |name: &str| match name {
            "PASSWORD_HASH_WORKERS" => Some("3".to_owned()),
            "PASSWORD_HASH_QUEUE" => Some("0".to_owned()),
            _ => None,
        };
        let limits = Settings::default().with_env(env).unwrap().hashing_limits();
        assert_eq!((limits.workers.get(), limits.queue), (3, 0));
        let zero = |name: &str| (name == "PASSWORD_HASH_WORKERS").then(|| "0".to_owned());
        assert!(matches!(
            Settings::default().with_env(zero),
            Err(ConfigError::Env {
                name: "PASSWORD_HASH_WORKERS",
                ..
            })
        ));
    }

    #[test]
    fn websocket_limits_default_to_sixty_frames_per_ten_seconds_and_ten_sockets() {
        let defaults = Settings::default();
        let frames = defaults.ws_frame_limit().unwrap();
        assert_eq!(
            (frames.quota.limit().get(), frames.quota.period()),
            (60, Duration::from_secs(10))
        );
        assert_eq!(defaults.rate_limit_sockets_per_user.get(), 10);
        let env = |name: &str| match name {
            "RATE_LIMIT_WS_FRAMES" => Some("5/1s".to_owned()),
            "RATE_LIMIT_SOCKETS_PER_USER" => Some("3".to_owned()),
            _ => None,
        };
        let settings = Settings::default().with_env(env).unwrap();
        assert_eq!(settings.ws_frame_limit().unwrap().quota.limit().get(), 5);
        assert_eq!(settings.rate_limit_sockets_per_user.get(), 3);
        let zero = |name: &str| (name == "RATE_LIMIT_SOCKETS_PER_USER").then(|| "0".to_owned());
        assert!(matches!(
            Settings::default().with_env(zero),
            Err(ConfigError::Env {
                name: "RATE_LIMIT_SOCKETS_PER_USER",
                ..
            })
        ));
        let bad = Settings {
            rate_limit_ws_frames: "60 per minute".to_owned(),
            ..Settings::default()
        };
        assert!(matches!(
            bad.ws_frame_limit(),
            Err(ConfigError::RateLimit {
                name: "RATE_LIMIT_WS_FRAMES",
                ..
            })
        ));
    }

    #[test]
    fn a_file_overlays_defaults() {
        let settings: Settings = toml::from_str("port = 9999\nbcrypt_cost = 10\n").unwrap();
        assert_eq!(
            (settings.port, settings.bcrypt_cost, settings.host.as_str()),
            (9999, 10, "127.0.0.1")
        );
        assert!(
            toml::from_str::<Settings>("prot = 1").is_err(),
            "typos are errors"
        );
    }
}
