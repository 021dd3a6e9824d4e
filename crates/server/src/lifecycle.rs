//! Everything the server runs besides HTTP, and the order in which it all
//! stops: on SIGTERM or SIGINT (or [`Shutdown::trigger`] in tests), the
//! listener stops accepting, sockets are told to close (`1001`), in-flight
//! requests and frames finish, and only then do the background workers
//! stop: the job runner releases what it holds, the append workers commit
//! what was queued, and the pub/sub threads end.

use std::sync::Arc;
use std::time::Duration;

use nerutalk_app::ChatService;
use nerutalk_app::jobs::RunningJobs;
use nerutalk_http::Hub;
use nerutalk_redis::RedisEventBus;
use nerutalk_sql::SqlMessageRepository;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Asks a running server to stop, as a signal would.
#[derive(Debug, Clone)]
pub struct Shutdown {
    trigger: Arc<watch::Sender<bool>>,
    /// Whether SIGTERM and SIGINT stop the server too. Only the binary
    /// asks for them: once a process listens for SIGINT, Ctrl-C no longer
    /// ends it, which a test binary running servers in-process must keep.
    on_signals: bool,
}

impl Shutdown {
    pub(crate) fn new() -> Self {
        Self {
            trigger: Arc::new(watch::Sender::new(false)),
            on_signals: false,
        }
    }

    pub(crate) fn on_signals(mut self) -> Self {
        self.on_signals = true;
        self
    }

    /// Starts the graceful stop; [`crate::Application::run_until_stopped`]
    /// returns once it is done.
    pub fn trigger(&self) {
        self.trigger.send_replace(true);
    }

    /// Resolves on [`Self::trigger`], or on SIGTERM or SIGINT when asked to.
    pub(crate) async fn requested(&self) {
        let mut triggered = self.trigger.subscribe();
        let signalled = async {
            if self.on_signals {
                os_signal().await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            _ = triggered.wait_for(|stop| *stop) => {}
            () = signalled => {}
        }
    }
}

#[cfg(unix)]
async fn os_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut terminate), Ok(mut interrupt)) => {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
                _ = interrupt.recv() => tracing::info!("SIGINT: shutting down"),
            }
        }
        (Err(error), _) | (_, Err(error)) => {
            tracing::error!(%error, "cannot listen for signals; stop with the API only");
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(not(unix))]
async fn os_signal() {
    if tokio::signal::ctrl_c().await.is_ok() {
        tracing::info!("Ctrl-C: shutting down");
    } else {
        std::future::pending::<()>().await;
    }
}

/// A task that does something every `period` until it is stopped.
pub(crate) struct Periodic {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Periodic {
    pub(crate) fn start<F, Fut>(period: Duration, mut tick: F) -> Self
    where
        F: FnMut() -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let (stop, mut stopped) = watch::channel(false);
        let task = actix_web::rt::spawn(async move {
            let mut every = tokio::time::interval(period);
            loop {
                tokio::select! {
                    _ = every.tick() => tick().await,
                    _ = stopped.wait_for(|stop| *stop) => return,
                }
            }
        });
        Self { stop, task }
    }

    /// Returns once the task has ended (a tick under way finishes first).
    pub(crate) async fn stop(self) {
        self.stop.send_replace(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "a periodic task ended badly");
        }
    }
}

/// What runs beside HTTP, stopped in order after it.
pub(crate) struct Background {
    pub(crate) jobs: RunningJobs,
    pub(crate) presence_renewal: Periodic,
    /// The gauges' sampler, when metrics are served.
    pub(crate) metrics_sampler: Option<Periodic>,
    pub(crate) messages: Arc<SqlMessageRepository>,
    pub(crate) redis: Option<RedisEventBus>,
}

impl Background {
    /// Starts the presence renewal of this node's connected users.
    pub(crate) fn keep_presence(chat: ChatService, hub: Arc<Hub>) -> Periodic {
        Periodic::start(nerutalk_ports::presence::REFRESH_EVERY, move || {
            let (chat, users) = (chat.clone(), hub.local_users());
            async move { chat.keep_present(users).await }
        })
    }

    /// Stops everything, in order; jobs under way get until `deadline`.
    pub(crate) async fn stop(self, deadline: tokio::time::Instant) {
        match self.jobs.stop(deadline).await {
            Ok(report) => tracing::info!(
                finished = report.finished,
                interrupted = report.interrupted,
                released = report.released,
                "job runner stopped"
            ),
            Err(error) => tracing::error!(%error, "the job runner ended badly"),
        }
        self.presence_renewal.stop().await;
        if let Some(sampler) = self.metrics_sampler {
            sampler.stop().await;
        }
        self.messages.stop().await;
        if let Some(redis) = self.redis {
            redis.stop().await;
        }
        tracing::info!("background workers stopped");
    }
}
