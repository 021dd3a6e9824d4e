//! The NeruTalk server: reads configuration, builds the adapters it names,
//! hands them to the use cases as ports, and starts HTTP. Wiring only.

pub mod config;
mod lifecycle;
mod metrics;
mod secret;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use nerutalk_app::cache::{CacheSettings, NodeCaches};
use nerutalk_app::jobs::{DeliverMail, JobRunner, JobRunnerConfig, JobScheduler, QueuedMailer};
use nerutalk_app::{
    AuthConfig, AuthPorts, AuthService, ChatPorts, ChatService, HealthService, SocketLimit,
    UserService,
};
use nerutalk_http::{AppState, HttpSettings, Hub, RealtimeSettings, TrustedProxies};
use nerutalk_i18n::Catalog;
use nerutalk_memory::{MemoryEventBus, MemoryPresenceStore, MemoryRateLimiter, MemoryTypingStore};
use nerutalk_ports::SystemClock;
use nerutalk_ports::{
    BlockRepository, ChatRepository, EmailVerificationRepository, EventBus, HealthProbe,
    InvalidationSink, Mailer, PresenceStore, RateLimiter, SessionRepository, TypingStore,
    UserRepository,
};
use nerutalk_redis::{
    RedisEventBus, RedisHealthProbe, RedisPresenceStore, RedisRateLimiter, RedisTypingStore,
};
use nerutalk_smtp::SmtpMailer;
use nerutalk_sql::{
    DatabaseUrl, OutboxMailer, SqlBlockRepository, SqlChatRepository,
    SqlEmailVerificationRepository, SqlHealthProbe, SqlJobQueue, SqlMessageRepository,
    SqlSecretStore, SqlSessionRepository, SqlStore, SqlUserRepository,
};
use secrecy::ExposeSecret;

pub use config::Settings;
pub use lifecycle::Shutdown;

use lifecycle::Background;
pub use nerutalk_sql::DatabaseKind;

/// The adapters whose state is shared by all nodes with `REDIS_URL`, or
/// kept in this process without: the bus, presence, typing and rate limits.
type SharedState = (
    Arc<dyn EventBus>,
    Arc<dyn PresenceStore>,
    Arc<dyn TypingStore>,
    Arc<dyn RateLimiter>,
);

/// With `CACHE_TTL_SECONDS=0` this node keeps no copies, so no
/// invalidation concerns it.
struct NothingCached;

impl InvalidationSink for NothingCached {
    fn invalidate(&self, _: &nerutalk_domain::event::Invalidation) {}
    fn tracking(&self, _: bool) {}
}

/// The repositories every request reads, behind this node's caches when
/// there are any, and what tells those caches of changes made elsewhere.
struct Repositories {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    chats: Arc<dyn ChatRepository>,
    blocks: Arc<dyn BlockRepository>,
    verifications: Arc<dyn EmailVerificationRepository>,
    invalidations: Arc<dyn InvalidationSink>,
}

impl Repositories {
    fn new(store: &SqlStore, caches: Option<CacheSettings>) -> Self {
        let users = Arc::new(SqlUserRepository::new(store.clone()));
        let sessions = Arc::new(SqlSessionRepository::new(store.clone()));
        let chats = Arc::new(SqlChatRepository::new(store.clone()));
        let blocks = Arc::new(SqlBlockRepository::new(store.clone()));
        let verifications = Arc::new(SqlEmailVerificationRepository::new(store.clone()));
        match caches {
            Some(settings) => {
                let caches = Arc::new(NodeCaches::new(settings));
                Self {
                    users: Arc::new(caches.users(users)),
                    sessions: Arc::new(caches.sessions(sessions)),
                    chats: Arc::new(caches.chats(chats)),
                    blocks: Arc::new(caches.blocks(blocks)),
                    verifications: Arc::new(caches.verifications(verifications)),
                    invalidations: caches,
                }
            }
            None => Self {
                users,
                sessions,
                chats,
                blocks,
                verifications,
                invalidations: Arc::new(NothingCached),
            },
        }
    }
}

/// A server bound to its port and ready to run.
pub struct Application {
    port: u16,
    backends: Backends,
    server: Server,
    hub: Arc<Hub>,
    /// The `/metrics` listener and its port, when `METRICS_ADDR` asks for one.
    metrics: Option<(u16, Server)>,
    background: Background,
    shutdown: Shutdown,
    /// How long a graceful stop waits for sockets, then for requests.
    grace: Duration,
}

/// What a built server runs on, as its wiring chose it, so that a test
/// asked to run on PostgreSQL or Redis can tell that it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backends {
    pub database: DatabaseKind,
    /// Live events, presence and typing go through Redis.
    pub redis: bool,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Opens the database the settings name.
///
/// # Errors
/// When it cannot be reached.
pub fn open_store(settings: &Settings) -> anyhow::Result<SqlStore> {
    let url = DatabaseUrl::parse(&settings.database_url);
    tracing::info!(database = %url.redacted(), "opening database");
    Ok(SqlStore::connect(&url, settings.database_pool_size)?)
}

impl Application {
    /// Builds every adapter and binds the listener (port 0 picks a free one).
    ///
    /// # Errors
    /// When the database, the JWT key, the catalogues or the port fail.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = open_store(&settings)?;
        let backends = Backends {
            database: store.kind(),
            redis: settings.redis_url.is_some(),
        };
        if settings.auto_migrate {
            let applied = store.migrate().await?;
            if !applied.is_empty() {
                tracing::info!(?applied, "migrations applied");
            }
        }
        // Bound before the use cases are built: the links in mail name the
        // port actually bound when PUBLIC_URL is not set.
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))?;
        let port = listener.local_addr()?.port();
        let public_url = settings.public_url(port)?;
        let (jwt_secret, _) = secret::jwt_secret(
            settings.jwt_secret_key.as_ref(),
            &settings.data_dir,
            &SqlSecretStore::new(store.clone()),
        )
        .await?;
        let catalog = Arc::new(Catalog::load()?);
        let clock = Arc::new(SystemClock);
        let repositories = Repositories::new(&store, settings.caches());
        let users = repositories.users.clone();
        let realtime = RealtimeSettings {
            heartbeat_interval: Duration::from_secs(settings.ws_heartbeat_seconds.max(1)),
            client_timeout: Duration::from_secs(settings.ws_client_timeout_seconds.max(1)),
            max_frame_bytes: settings.ws_max_frame_bytes,
            queue_capacity: settings.ws_queue_capacity,
            session_check_interval: Duration::from_secs(settings.ws_session_check_seconds.max(1)),
            frame_limit: Some(settings.ws_frame_limit()?),
        };
        let hub = Arc::new(Hub::new(realtime.queue_capacity));
        let mut probes: Vec<(&'static str, Arc<dyn HealthProbe>)> =
            vec![("database", Arc::new(SqlHealthProbe::new(store.clone())))];
        let mut redis = None;
        let (bus, presence, typing, unmetered_rate_limiter): SharedState = match &settings.redis_url
        {
            Some(url) => {
                let bus = RedisEventBus::start(
                    url.expose_secret(),
                    hub.clone(),
                    repositories.invalidations.clone(),
                )?;
                probes.push(("redis", Arc::new(RedisHealthProbe::new(bus.clone()))));
                tracing::info!("live events, presence and typing go through Redis (multi-node)");
                let presence = Arc::new(RedisPresenceStore::new(&bus));
                let typing = Arc::new(RedisTypingStore::new(&bus));
                // Limits count on all nodes together, or a client could
                // multiply its budget by the number of nodes.
                let rate_limiter = Arc::new(RedisRateLimiter::new(&bus));
                redis = Some(bus.clone());
                (Arc::new(bus), presence, typing, rate_limiter)
            }
            None => (
                Arc::new(MemoryEventBus::new(
                    hub.clone(),
                    repositories.invalidations.clone(),
                )),
                Arc::new(MemoryPresenceStore::new()),
                Arc::new(MemoryTypingStore::new()),
                Arc::new(MemoryRateLimiter::new()),
            ),
        };
        // Counted whichever use case checks, when its limiter fails.
        let rate_limiter: Arc<dyn RateLimiter> =
            Arc::new(metrics::MeteredRateLimiter(unmetered_rate_limiter));
        // Use cases queue mail; the job runner delivers it, retrying.
        let scheduler = JobScheduler::new(Arc::new(SqlJobQueue::new(store.clone())), clock.clone());
        let delivering: Arc<dyn Mailer> = match &settings.smtp_url {
            Some(url) => {
                tracing::info!("mail is delivered over SMTP (SMTP_URL)");
                Arc::new(SmtpMailer::new(url.expose_secret(), settings.mail_from()?)?)
            }
            None => Arc::new(OutboxMailer::new(store.clone(), clock.clone())),
        };
        let auth = AuthService::new(
            AuthPorts {
                users: users.clone(),
                sessions: repositories.sessions,
                verifications: repositories.verifications,
                mailer: Arc::new(QueuedMailer::new(scheduler.clone())),
                translator: catalog.clone(),
                clock: clock.clone(),
                bus: bus.clone(),
                rate_limiter: rate_limiter.clone(),
            },
            AuthConfig {
                jwt_secret,
                access_token_ttl: Duration::from_secs(
                    settings.jwt_access_token_expire_minutes * 60,
                ),
                refresh_token_ttl: Duration::from_secs(
                    settings.jwt_refresh_token_expire_days * 86_400,
                ),
                verification_ttl: Duration::from_secs(
                    settings.email_verification_expire_hours * 3_600,
                ),
                verification_link: format!("{public_url}/api/v1/auth/verify-email"),
                bcrypt_cost: settings.bcrypt_cost,
                hashing: settings.hashing_limits(),
                limits: settings.auth_limits()?,
            },
        )?;
        let messages = Arc::new(SqlMessageRepository::new(store.clone()));
        let sockets = SocketLimit::new(
            presence.clone(),
            settings.rate_limit_sockets_per_user,
            settings.rate_limit_fail_open,
        );
        let chat = ChatService::new(
            ChatPorts {
                chats: repositories.chats,
                messages: messages.clone(),
                blocks: repositories.blocks,
                users: users.clone(),
                bus: bus.clone(),
                presence,
                typing,
                clock: clock.clone(),
                rate_limiter,
            },
            settings.chat_limits()?,
        );
        let mut jobs = JobRunnerConfig::new(Duration::from_secs(settings.job_lease_seconds));
        jobs.concurrency = settings.job_concurrency.max(1);
        let background = Background {
            jobs: JobRunner::new(&scheduler, jobs)
                .handle(Arc::new(DeliverMail::new(delivering)))
                .start(),
            presence_renewal: Background::keep_presence(chat.clone(), hub.clone()),
            metrics_sampler: settings.metrics_addr.is_some().then(|| {
                metrics::Sampled {
                    store: store.clone(),
                    jobs: Arc::new(SqlJobQueue::new(store.clone())),
                }
                .start()
            }),
            messages,
            redis,
        };
        let state = AppState {
            auth,
            chat,
            hub: hub.clone(),
            realtime,
            sockets,
            trusted_proxies: TrustedProxies::new(settings.trusted_proxies.clone()),
            users: UserService::new(users, clock, bus),
            health: HealthService::new(probes),
        };
        let http = HttpSettings {
            json_limit: settings.json_body_limit,
            workers: settings.http_workers,
            shutdown_timeout: Duration::from_secs(settings.shutdown_timeout_seconds),
        };
        let server = nerutalk_http::serve(listener, state, catalog, &http)?;
        let metrics = match &settings.metrics_addr {
            Some(addr) => {
                let listener = TcpListener::bind(addr.as_str())?;
                let port = listener.local_addr()?.port();
                let server = metrics::serve(listener, metrics::recorder()?)?;
                tracing::info!(%addr, port, "metrics at /metrics");
                Some((port, server))
            }
            None => None,
        };
        tracing::info!(host = %settings.host, port, "NeruTalk is listening; API docs at /docs/");
        Ok(Self {
            port,
            backends,
            server,
            hub,
            metrics,
            background,
            shutdown: Shutdown::new(),
            grace: Duration::from_secs(settings.shutdown_timeout_seconds),
        })
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on, when `METRICS_ADDR` is set.
    #[must_use]
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    #[must_use]
    pub fn backends(&self) -> Backends {
        self.backends
    }

    /// What stops this server gracefully, as SIGTERM does.
    #[must_use]
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Makes SIGTERM and SIGINT stop this server gracefully, as the
    /// `nerutalk` binary does. A server that is not told so stops only on
    /// [`Shutdown::trigger`], and leaves the process's signals alone.
    #[must_use]
    pub fn stopped_by_signals(mut self) -> Self {
        self.shutdown = self.shutdown.on_signals();
        self
    }

    /// Serves until [`Shutdown::trigger`] (or a signal, see
    /// [`Self::stopped_by_signals`]), then stops
    /// gracefully (see [`lifecycle`]) and returns once everything has.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            hub,
            metrics,
            background,
            shutdown,
            grace,
            ..
        } = self;
        let metrics = metrics.map(|(_, server)| (server.handle(), actix_web::rt::spawn(server)));
        let handle = server.handle();
        // One deadline for the whole stop, set when it is asked for.
        let (deadline_set, deadline) = tokio::sync::watch::channel(None);
        let stopping = actix_web::rt::spawn(async move {
            shutdown.requested().await;
            let deadline = tokio::time::Instant::now() + grace;
            deadline_set.send_replace(Some(deadline));
            // No new connection from here on; then the sockets, while
            // everything they need still runs: each answers the frame it is
            // handling, closes with 1001, and leaves presence as on any close.
            handle.pause().await;
            if hub.close_all(deadline).await {
                tracing::info!("every socket closed");
            } else {
                tracing::warn!("sockets still open at the deadline; cutting them off");
            }
            // Requests in flight finish, until the deadline.
            if tokio::time::timeout_at(deadline, handle.stop(true))
                .await
                .is_err()
            {
                tracing::warn!("requests still running at the deadline; cutting them off");
                handle.stop(false).await;
            }
            tracing::info!("HTTP stopped");
        });
        let served = server.await;
        stopping.abort();
        let deadline = deadline
            .borrow()
            .unwrap_or_else(|| tokio::time::Instant::now() + grace);
        background.stop(deadline).await;
        // Last, so that a scrape during the stop still sees it happen.
        if let Some((handle, serving)) = metrics {
            handle.stop(true).await;
            if let Err(error) = serving.await {
                tracing::error!(%error, "the metrics listener ended badly");
            }
        }
        tracing::info!("NeruTalk stopped");
        served
    }
}
