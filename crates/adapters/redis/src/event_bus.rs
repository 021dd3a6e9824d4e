//! [`EventBus`] over Redis: one pub/sub channel per node, and a directory of
//! which nodes each user is connected to (see [`crate::directory`]).
//!
//! Publishing an event is one script run that publishes it once per node
//! hosting a recipient, naming the recipients on that node: the cost grows
//! with the nodes an event reaches, not with its recipients, and a node
//! decodes each event once however many of its users receive it.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use deadpool_redis::{Pool, PoolConfig, Runtime, Timeouts};
use futures_util::StreamExt;
use nerutalk_domain::UserId;
use nerutalk_domain::event::{Invalidation, LiveEvent};
use nerutalk_ports::{EventBus, EventSink, InvalidationSink, PortError};
use tokio::sync::{Mutex, Notify, watch};

use crate::directory::{self, Renewal};
use crate::envelope::{self, Received};
use crate::telemetry;

/// Every node listens here, whoever is connected where.
const INVALIDATIONS: &str = "nerutalk:invalidations";

/// A Redis URL that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("REDIS_URL is not valid: {0}")]
    Url(#[source] redis::RedisError),
    #[error("cannot build the Redis pool: {0}")]
    Pool(#[source] deadpool_redis::CreatePoolError),
    #[error("cannot start a Redis subscriber thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// Locks over the counted subscriptions, each user's by a hash of their id:
/// a registration waits only for those of the users that share its stripe.
const STRIPES: usize = 16;

/// The users this node wants events for, and this node's name for them in
/// the directory.
struct Local {
    node: String,
    renewal: Renewal,
    /// Subscriptions per user, counted rather than flagged: a user's last
    /// socket closing as a new first one opens can call `unsubscribe` and
    /// `subscribe` in either order, and a count nets out the same in both.
    /// A stripe's lock is held across the directory write its change needs,
    /// so that the writes reach Redis in the order the counts changed.
    stripes: Box<[Mutex<HashMap<UserId, u32>>]>,
    hasher: RandomState,
    /// Whether the pub/sub connection is open. While it is not, a failed
    /// directory write is left to the re-registration that follows the
    /// reconnection.
    connected: AtomicBool,
    /// Set by [`RedisEventBus::stop`]; dropped with the last handle of the
    /// bus. Either stops the thread.
    stop: watch::Sender<bool>,
    /// Wakes the renewal early: after a reconnection, Redis may have lost
    /// every entry. Shared with the renewal apart from the rest, which it
    /// must not keep alive while it waits.
    renew_now: Arc<Notify>,
}

impl Local {
    fn stripe(&self, user_id: UserId) -> &Mutex<HashMap<UserId, u32>> {
        let index = usize::try_from(self.hasher.hash_one(user_id) % self.stripes.len() as u64)
            .unwrap_or_default();
        &self.stripes[index]
    }

    /// Rewrites this node's entry for every user it wants events for.
    async fn renew_all(
        &self,
        connection: &mut redis::aio::MultiplexedConnection,
    ) -> Result<(), PortError> {
        for stripe in &self.stripes {
            let wanted = stripe.lock().await;
            if wanted.is_empty() {
                continue;
            }
            let mut pipeline = redis::pipe();
            directory::register(
                &mut pipeline,
                &self.node,
                wanted.keys().copied(),
                self.renewal,
                Utc::now().timestamp_millis(),
            );
            within_deadline(async {
                pipeline
                    .query_async::<()>(&mut *connection)
                    .await
                    .map_err(PortError::unavailable)
            })
            .await?;
        }
        Ok(())
    }
}

/// The cross-node event bus.
#[derive(Clone)]
pub struct RedisEventBus {
    pool: Pool,
    local: Arc<Local>,
    script: redis::Script,
    /// Events received that this node could not read (see [`envelope`]).
    skipped: Arc<AtomicU64>,
    /// The subscriber thread, joined by [`RedisEventBus::stop`].
    thread: Arc<std::sync::Mutex<Option<std::thread::JoinHandle<()>>>>,
}

impl std::fmt::Debug for RedisEventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEventBus")
            .field("node", &self.local.node)
            .finish_non_exhaustive()
    }
}

impl RedisEventBus {
    /// Connects lazily to `url` and starts this node's subscriber thread,
    /// which hands incoming events to `sink` and invalidations to
    /// `invalidations` (told `tracking(true)` while they can arrive).
    ///
    /// # Errors
    /// [`RedisError`] for a malformed URL, or when the thread cannot start.
    pub fn start(
        url: &str,
        sink: Arc<dyn EventSink>,
        invalidations: Arc<dyn InvalidationSink>,
    ) -> Result<Self, RedisError> {
        Self::start_with(url, sink, invalidations, Renewal::default())
    }

    /// Like [`Self::start`], renewing this node's directory entries as
    /// `renewal` says.
    ///
    /// # Errors
    /// [`RedisError`] for a malformed URL, or when the thread cannot start.
    pub fn start_with(
        url: &str,
        sink: Arc<dyn EventSink>,
        invalidations: Arc<dyn InvalidationSink>,
        renewal: Renewal,
    ) -> Result<Self, RedisError> {
        // Not yet connected: nothing another node invalidates can arrive.
        invalidations.tracking(false);
        let client = redis::Client::open(url).map_err(RedisError::Url)?;
        let mut config = deadpool_redis::Config::from_url(url);
        // Without timeouts, an unreachable Redis holds every caller for the
        // system's TCP connect timeout, minutes, however short its own
        // deadline: each waits on a connection that is never made.
        config.pool = Some(PoolConfig {
            timeouts: Timeouts {
                wait: Some(COMMAND_DEADLINE),
                create: Some(COMMAND_DEADLINE),
                recycle: Some(COMMAND_DEADLINE),
            },
            ..PoolConfig::default()
        });
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(RedisError::Pool)?;
        let skipped = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = watch::channel(false);
        let local = Arc::new(Local {
            node: uuid::Uuid::now_v7().simple().to_string(),
            renewal,
            stripes: (0..STRIPES).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            connected: AtomicBool::new(false),
            stop,
            renew_now: Arc::new(Notify::new()),
        });
        let receiver = Receiver {
            sink,
            invalidations,
            skipped: skipped.clone(),
        };
        let (weak, channel, renew_now) = (
            Arc::downgrade(&local),
            directory::node_channel(&local.node),
            local.renew_now.clone(),
        );
        // One connection and one thread: each event arrives once per node,
        // however many of its users it is for, so decoding no longer grows
        // with the recipients and one core keeps up.
        let thread = std::thread::Builder::new()
            .name("redis-pubsub".to_owned())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => {
                        runtime.block_on(async move {
                            tokio::join!(
                                subscriber(
                                    client.clone(),
                                    channel,
                                    receiver,
                                    weak.clone(),
                                    stopped.clone()
                                ),
                                renewer(client, weak, renew_now, stopped),
                            );
                        });
                    }
                    Err(error) => {
                        tracing::error!(%error, "no runtime for the Redis subscriber")
                    }
                };
            })
            .map_err(RedisError::Thread)?;
        tracing::info!(node = %local.node, "Redis bus started");
        Ok(Self {
            pool,
            local,
            script: directory::publish_script(),
            skipped,
            thread: Arc::new(std::sync::Mutex::new(Some(thread))),
        })
    }

    /// Closes this node's pub/sub connection and returns when its thread
    /// has ended. For the server's shutdown, once no socket is left to
    /// deliver to (their unsubscriptions have removed this node from the
    /// directory); publishing still works until the pool is dropped.
    pub async fn stop(&self) {
        self.local.stop.send_replace(true);
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let joined =
            tokio::task::spawn_blocking(move || thread.map(std::thread::JoinHandle::join)).await;
        if !matches!(joined, Ok(None | Some(Ok(())))) {
            tracing::error!("the Redis subscriber thread did not end cleanly");
        }
        let skipped = self.events_skipped();
        if skipped > 0 {
            // Events from a newer node during a rolling update, or corrupt ones.
            tracing::warn!(skipped, "events on the bus this node could not read");
        }
    }

    /// How many events from the bus this node skipped because it could not
    /// read them: sent by a newer node (a rolling update), or corrupt.
    #[must_use]
    pub fn events_skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// This node's id in the directory, random for each start; its channel
    /// is `nerutalk:node:<id>`.
    #[must_use]
    pub fn node_id(&self) -> &str {
        &self.local.node
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Runs `pipeline` on a pooled connection, within [`COMMAND_DEADLINE`].
    async fn write(&self, pipeline: &redis::Pipeline) -> Result<(), PortError> {
        within_deadline(async {
            let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
            pipeline
                .query_async::<()>(&mut connection)
                .await
                .map_err(PortError::unavailable)
        })
        .await
    }
}

/// Runs `work` unless the bus stops first (`None` then).
async fn unless_stopped<T>(
    stopped: &mut watch::Receiver<bool>,
    work: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        done = work => Some(done),
        // Told to stop, or the bus is gone: no one wants these events any more.
        _ = stopped.wait_for(|stop| *stop) => None,
    }
}

/// Keeps the pub/sub connection alive and subscribed to this node's
/// channel and the invalidations, until the bus stops or is dropped.
async fn subscriber(
    client: redis::Client,
    channel: String,
    receiver: Receiver,
    local: Weak<Local>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if local.strong_count() == 0 {
            return;
        }
        let Some(connected) = unless_stopped(&mut stopped, async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&[channel.as_str(), INVALIDATIONS]).await?;
            Ok::<_, redis::RedisError>(pubsub)
        })
        .await
        else {
            return;
        };
        let pubsub = match connected {
            Ok(pubsub) => pubsub,
            Err(error) => {
                tracing::warn!(%error, ?backoff, "Redis pub/sub unreachable; retrying");
                if unless_stopped(&mut stopped, tokio::time::sleep(backoff))
                    .await
                    .is_none()
                {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        tracing::info!(%channel, "Redis pub/sub (re)subscribed");
        let (pinger, mut messages) = pubsub.split();
        let Some(shared) = local.upgrade() else {
            return;
        };
        shared.connected.store(true, Ordering::Release);
        // The connection was lost, or never there: Redis may have restarted
        // without the directory, or missed a registration meanwhile.
        shared.renew_now.notify_one();
        drop(shared);
        receiver.invalidations.tracking(true);
        backoff = Duration::from_millis(100);
        // A connection cut without a word (a partition, a dead host) ends
        // no stream: only an unanswered ping tells this node that it hears
        // nothing any more, and must stop trusting its copies.
        let silence = heartbeat(HEARTBEAT, COMMAND_DEADLINE, move || {
            let mut pinger = pinger.clone();
            async move { pinger.ping::<redis::Value>().await.map(|_| ()) }
        });
        let mut silence = std::pin::pin!(silence);
        loop {
            let next = async {
                tokio::select! {
                    message = messages.next() => message,
                    () = &mut silence => None,
                }
            };
            match unless_stopped(&mut stopped, next).await {
                Some(Some(message)) => receiver.deliver(&message),
                Some(None) => break,
                None => return,
            }
        }
        receiver.invalidations.tracking(false);
        if let Some(shared) = local.upgrade() {
            shared.connected.store(false, Ordering::Release);
            tracing::warn!("Redis pub/sub connection lost; reconnecting");
        }
    }
}

/// Renews this node's directory entries every renewal period, and at once
/// after each (re)connection, over a connection of its own on this thread.
async fn renewer(
    client: redis::Client,
    local: Weak<Local>,
    renew_now: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connection = None;
    loop {
        let Some(period) = local.upgrade().map(|local| local.renewal.period()) else {
            return;
        };
        let woken = unless_stopped(&mut stopped, async {
            tokio::select! {
                () = tokio::time::sleep(period) => {}
                () = renew_now.notified() => {}
            }
        })
        .await;
        if woken.is_none() {
            return;
        }
        let Some(local) = local.upgrade() else {
            return;
        };
        // Twice: after Redis restarted, the first try finds this task's own
        // connection broken, and the users must not wait a whole period.
        for _ in 0..2 {
            if connection.is_none() {
                connection = tokio::time::timeout(
                    COMMAND_DEADLINE,
                    client.get_multiplexed_async_connection(),
                )
                .await
                .ok()
                .and_then(Result::ok);
            }
            let Some(open) = connection.as_mut() else {
                break;
            };
            match local.renew_all(open).await {
                Ok(()) => break,
                Err(error) => {
                    tracing::warn!(%error, "renewing this node's directory entries failed");
                    connection = None;
                }
            }
        }
    }
}

/// How long a command may take, from asking the pool for a connection to
/// the answer. Directory writes are sent under their stripe's lock, and
/// publishing is on the path of every send, logout and password change: a
/// Redis that hangs must cost them this much at most, then `Unavailable`.
const COMMAND_DEADLINE: Duration = Duration::from_secs(5);

/// How often the pub/sub connection is pinged. A ping unanswered within
/// [`COMMAND_DEADLINE`] drops the connection: a dead one is noticed within
/// the sum, and this node's copies dropped with it.
const HEARTBEAT: Duration = Duration::from_secs(5);

async fn within_deadline<T>(
    work: impl Future<Output = Result<T, PortError>>,
) -> Result<T, PortError> {
    match tokio::time::timeout(COMMAND_DEADLINE, work).await {
        Ok(done) => done,
        Err(elapsed) => Err(PortError::unavailable(elapsed)),
    }
}

/// Calls `ping` every `every` and returns once one fails or is not
/// answered within `deadline`; never while the pings are answered.
async fn heartbeat<Ping, Pinged, E>(every: Duration, deadline: Duration, mut ping: Ping)
where
    Ping: FnMut() -> Pinged,
    Pinged: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    loop {
        tokio::time::sleep(every).await;
        match tokio::time::timeout(deadline, ping()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "Redis pub/sub ping failed");
                return;
            }
            Err(_) => {
                tracing::warn!(?deadline, "Redis pub/sub ping unanswered");
                return;
            }
        }
    }
}

/// Where the subscriber thread hands what it reads.
struct Receiver {
    sink: Arc<dyn EventSink>,
    invalidations: Arc<dyn InvalidationSink>,
    skipped: Arc<AtomicU64>,
}

impl Receiver {
    /// Hands one message to its sink; skips, and counts, what this node
    /// cannot read.
    fn deliver(&self, message: &redis::Msg) {
        if message.get_channel_name() == INVALIDATIONS {
            self.invalidate(message);
            return;
        }
        telemetry::message_received();
        match envelope::open_delivery::<LiveEvent>(message.get_payload_bytes()) {
            Received::Event(delivery) => {
                if let Some(sent_at) = delivery.sent_at {
                    let micros = Utc::now().timestamp_micros().saturating_sub(sent_at);
                    // A publisher whose clock runs ahead reads as no lag.
                    telemetry::transit(Duration::from_micros(
                        u64::try_from(micros).unwrap_or_default(),
                    ));
                }
                self.sink.deliver(&delivery.to, &delivery.event);
            }
            Received::Unknown { version, kind } => {
                self.skip();
                tracing::debug!(version, kind, "event from a newer node skipped");
            }
            Received::Unreadable => {
                self.skip();
                tracing::warn!(
                    channel = message.get_channel_name(),
                    "unreadable event on the bus"
                );
            }
        }
    }

    fn skip(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
        telemetry::skipped();
    }

    fn invalidate(&self, message: &redis::Msg) {
        match envelope::open::<Invalidation>(message.get_payload_bytes()) {
            Received::Event(what) => self.invalidations.invalidate(&what),
            // A kind this node does not know names nothing it keeps.
            Received::Unknown { version, kind } => {
                self.skip();
                tracing::debug!(version, kind, "invalidation from a newer node skipped");
            }
            Received::Unreadable => {
                // It may have named something this node keeps: forget all.
                self.skip();
                tracing::warn!("unreadable invalidation on the bus; dropping every copy");
                self.invalidations.tracking(false);
                self.invalidations.tracking(true);
            }
        }
    }
}

#[async_trait]
impl EventBus for RedisEventBus {
    async fn publish(&self, recipients: &[UserId], event: &LiveEvent) -> Result<(), PortError> {
        if recipients.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let sealed =
            envelope::seal_for_nodes(event, now.timestamp_micros()).map_err(PortError::internal)?;
        let sent: u64 = within_deadline(async {
            let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
            // `invoke_async` sends EVALSHA and, on NOSCRIPT (a restarted or
            // failed-over Redis), loads the script and runs it again.
            directory::publish_invocation(&self.script, recipients, &sealed, now.timestamp_millis())
                .invoke_async(&mut connection)
                .await
                .map_err(PortError::unavailable)
        })
        .await?;
        telemetry::event_published();
        telemetry::messages_sent(sent);
        Ok(())
    }

    async fn invalidate(&self, what: &Invalidation) -> Result<(), PortError> {
        let payload = envelope::seal(what).map_err(PortError::internal)?;
        within_deadline(async {
            let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
            redis::cmd("PUBLISH")
                .arg(INVALIDATIONS)
                .arg(payload)
                .query_async::<()>(&mut connection)
                .await
                .map_err(PortError::unavailable)
        })
        .await
    }

    async fn subscribe(&self, user_id: UserId) -> Result<(), PortError> {
        let mut wanted = self.local.stripe(user_id).lock().await;
        let count = wanted.entry(user_id).or_default();
        *count += 1;
        if *count > 1 {
            return Ok(());
        }
        let mut pipeline = redis::pipe();
        directory::register(
            &mut pipeline,
            &self.local.node,
            [user_id],
            self.local.renewal,
            Utc::now().timestamp_millis(),
        );
        match self.write(&pipeline).await {
            Ok(()) => Ok(()),
            // Redis is away: the re-registration after the reconnection
            // writes every wanted user.
            Err(_) if !self.local.connected.load(Ordering::Acquire) => Ok(()),
            Err(error) => {
                // An error means "not subscribed": the caller gives up on
                // the socket and will not unsubscribe, so no count may be
                // left behind.
                wanted.remove(&user_id);
                Err(error)
            }
        }
    }

    async fn unsubscribe(&self, user_id: UserId) -> Result<(), PortError> {
        let mut wanted = self.local.stripe(user_id).lock().await;
        match wanted.get_mut(&user_id) {
            Some(count) if *count > 1 => {
                *count -= 1;
                return Ok(());
            }
            Some(_) => {
                wanted.remove(&user_id);
            }
            None => return Ok(()),
        }
        let mut pipeline = redis::pipe();
        directory::unregister(&mut pipeline, &self.local.node, user_id);
        // An entry left by a failure here only brings events the hub drops,
        // and it lapses, unrenewed, within the entries' lifetime.
        match self.write(&pipeline).await {
            Err(_) if !self.local.connected.load(Ordering::Acquire) => Ok(()),
            written => written,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    const EVERY: Duration = Duration::from_secs(5);

    /// Runs a heartbeat over `ping` for `periods` periods of paused time;
    /// true when it noticed a dead connection.
    async fn noticed<Pinged>(periods: u32, ping: impl FnMut() -> Pinged) -> bool
    where
        Pinged: Future<Output = Result<(), &'static str>>,
    {
        tokio::time::timeout(EVERY * periods, heartbeat(EVERY, EVERY, ping))
            .await
            .is_ok()
    }

    #[tokio::test(start_paused = true)]
    async fn answered_pings_keep_the_connection() {
        let pings = AtomicUsize::new(0);
        let answered = || {
            pings.fetch_add(1, Ordering::Relaxed);
            async { Ok(()) }
        };
        assert!(!noticed(10, answered).await);
        assert!(pings.load(Ordering::Relaxed) >= 9, "it kept pinging");
    }

    #[tokio::test(start_paused = true)]
    async fn an_unanswered_ping_drops_the_connection() {
        let hangs = || std::future::pending::<Result<(), &'static str>>();
        assert!(noticed(3, hangs).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_ping_drops_the_connection() {
        let fails = || async { Err("connection reset") };
        assert!(noticed(2, fails).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_stops_answering_is_noticed() {
        let pings = AtomicUsize::new(0);
        let answers_three = || {
            let n = pings.fetch_add(1, Ordering::Relaxed);
            async move {
                if n < 3 {
                    Ok(())
                } else {
                    std::future::pending().await
                }
            }
        };
        assert!(noticed(10, answers_three).await);
        assert_eq!(pings.load(Ordering::Relaxed), 4);
    }
}
