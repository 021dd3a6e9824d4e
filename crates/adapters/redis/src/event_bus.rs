//! [`EventBus`] over Redis pub/sub, one channel per user.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::{Pool, Runtime};
use futures_util::{FutureExt, StreamExt};
use nerutalk_domain::UserId;
use nerutalk_domain::event::{Invalidation, LiveEvent};
use nerutalk_ports::{EventBus, EventSink, InvalidationSink, PortError};
use redis::aio::PubSubSink;
use tokio::sync::{Mutex, watch};

use crate::envelope::{self, Received};

const CHANNEL_PREFIX: &str = "nerutalk:user:";

/// Every node's first subscriber listens here, whoever is connected where.
const INVALIDATIONS: &str = "nerutalk:invalidations";

fn channel(user_id: UserId) -> String {
    format!("{CHANNEL_PREFIX}{user_id}")
}

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

/// Pub/sub connections per node, each with its own thread: decoding one
/// message per recipient is the node's busiest single task, and one thread
/// would cap the node's delivery rate at what one core can decode.
const SUBSCRIBER_SHARDS: usize = 2;

/// State shared between the bus and one subscriber thread.
struct Subscriptions {
    /// Held across the Redis command that a change of `wanted` needs, so
    /// that the commands reach Redis in the order the counts changed.
    routing: Mutex<Routing>,
    /// Set by [`RedisEventBus::stop`]; dropped with the last handle of the
    /// bus. Either stops the thread.
    stop: watch::Sender<bool>,
}

#[derive(Default)]
struct Routing {
    /// Subscriptions per user whose events this node wants, resubscribed
    /// after every reconnect. Counted rather than flagged: a user's last
    /// socket closing as a new first one opens can call `unsubscribe` and
    /// `subscribe` in either order, and a count nets out the same in both.
    wanted: HashMap<UserId, u32>,
    /// The live pub/sub connection's command half, while there is one.
    sink: Option<PubSubSink>,
}

/// The cross-node event bus.
#[derive(Clone)]
pub struct RedisEventBus {
    pool: Pool,
    /// Each user's channel is on the shard their id hashes to.
    shards: Arc<[Arc<Subscriptions>]>,
    hasher: RandomState,
    /// Events received that this node could not read (see [`envelope`]).
    skipped: Arc<AtomicU64>,
    /// The subscriber threads, joined by [`RedisEventBus::stop`].
    threads: Arc<std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>>,
}

impl std::fmt::Debug for RedisEventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEventBus").finish_non_exhaustive()
    }
}

impl RedisEventBus {
    /// Connects lazily to `url` and starts this node's subscriber threads,
    /// which hand incoming events to `sink` and invalidations to
    /// `invalidations` (told `tracking(true)` while they can arrive).
    ///
    /// # Errors
    /// [`RedisError`] for a malformed URL, or when a thread cannot start.
    pub fn start(
        url: &str,
        sink: Arc<dyn EventSink>,
        invalidations: Arc<dyn InvalidationSink>,
    ) -> Result<Self, RedisError> {
        // Not yet connected: nothing another node invalidates can arrive.
        invalidations.tracking(false);
        let client = redis::Client::open(url).map_err(RedisError::Url)?;
        let pool = deadpool_redis::Config::from_url(url)
            .create_pool(Some(Runtime::Tokio1))
            .map_err(RedisError::Pool)?;
        let skipped = Arc::new(AtomicU64::new(0));
        let mut shards = Vec::with_capacity(SUBSCRIBER_SHARDS);
        let mut threads = Vec::with_capacity(SUBSCRIBER_SHARDS);
        for index in 0..SUBSCRIBER_SHARDS {
            let (stop, stopped) = watch::channel(false);
            let shard = Arc::new(Subscriptions {
                routing: Mutex::default(),
                stop,
            });
            let (client, weak) = (client.clone(), Arc::downgrade(&shard));
            let receiver = Receiver {
                sink: sink.clone(),
                // One connection is enough for these rare messages.
                invalidations: (index == 0).then(|| invalidations.clone()),
                skipped: skipped.clone(),
            };
            let thread = std::thread::Builder::new()
                .name(format!("redis-pubsub-{index}"))
                .spawn(move || {
                    match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => {
                            runtime.block_on(subscriber(client, receiver, weak, stopped))
                        }
                        Err(error) => {
                            tracing::error!(%error, "no runtime for the Redis subscriber")
                        }
                    }
                })
                .map_err(RedisError::Thread)?;
            shards.push(shard);
            threads.push(thread);
        }
        Ok(Self {
            pool,
            shards: shards.into(),
            hasher: RandomState::new(),
            skipped,
            threads: Arc::new(std::sync::Mutex::new(threads)),
        })
    }

    /// Closes this node's pub/sub connections and returns when their
    /// threads have ended. For the server's shutdown, once no socket is
    /// left to deliver to; publishing still works until the pool is dropped.
    pub async fn stop(&self) {
        for shard in self.shards.iter() {
            shard.stop.send_replace(true);
        }
        let threads = std::mem::take(
            &mut *self
                .threads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let joined = tokio::task::spawn_blocking(move || {
            threads
                .into_iter()
                .map(std::thread::JoinHandle::join)
                .filter(Result::is_err)
                .count()
        })
        .await;
        if !matches!(joined, Ok(0)) {
            tracing::error!("a Redis subscriber thread did not end cleanly");
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

    fn shard(&self, user_id: UserId) -> &Subscriptions {
        let index = usize::try_from(self.hasher.hash_one(user_id) % self.shards.len() as u64)
            .unwrap_or_default();
        &self.shards[index]
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
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

/// Keeps one pub/sub connection alive until the bus stops or is dropped.
async fn subscriber(
    client: redis::Client,
    receiver: Receiver,
    subscriptions: std::sync::Weak<Subscriptions>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let Some(shared) = subscriptions.upgrade() else {
            return;
        };
        let Some(connected) = unless_stopped(&mut stopped, client.get_async_pubsub()).await else {
            return;
        };
        let pubsub = match connected {
            Ok(pubsub) => pubsub,
            Err(error) => {
                tracing::warn!(%error, ?backoff, "Redis pub/sub unreachable; retrying");
                drop(shared);
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
        let (mut commands, mut messages) = pubsub.split();
        {
            // Resubscribe under the routing lock, so that no subscribe or
            // unsubscribe slips between reading `wanted` and the new sink.
            let mut routing = shared.routing.lock().await;
            let mut channels: Vec<String> = routing.wanted.keys().copied().map(channel).collect();
            if receiver.invalidations.is_some() {
                channels.push(INVALIDATIONS.to_owned());
            }
            if !channels.is_empty() {
                if let Err(error) = within_deadline(commands.subscribe(&channels)).await {
                    tracing::warn!(%error, "resubscribing failed; reconnecting");
                    drop(routing);
                    drop(shared);
                    if unless_stopped(&mut stopped, tokio::time::sleep(backoff))
                        .await
                        .is_none()
                    {
                        return;
                    }
                    continue;
                }
                tracing::info!(count = channels.len(), "Redis pub/sub (re)subscribed");
            }
            routing.sink = Some(commands);
        }
        if let Some(invalidations) = &receiver.invalidations {
            invalidations.tracking(true);
        }
        backoff = Duration::from_millis(100);
        drop(shared);
        loop {
            let first = match unless_stopped(&mut stopped, messages.next()).await {
                Some(Some(message)) => message,
                Some(None) => break,
                None => return,
            };
            // Take whatever else has arrived too: one event for several local
            // users arrives as consecutive copies, decoded and handed over once.
            let mut ready = vec![first];
            while ready.len() < MAX_READY {
                match messages.next().now_or_never() {
                    Some(Some(message)) => ready.push(message),
                    _ => break,
                }
            }
            receiver.deliver(&ready);
        }
        if let Some(invalidations) = &receiver.invalidations {
            invalidations.tracking(false);
        }
        if let Some(shared) = subscriptions.upgrade() {
            shared.routing.lock().await.sink = None;
            tracing::warn!("Redis pub/sub connection lost; reconnecting");
        }
    }
}

/// How long a SUBSCRIBE or UNSUBSCRIBE may take. They are sent under their
/// shard's lock, so a connection that hangs must not hold up every other
/// user of the shard for longer than this.
const COMMAND_DEADLINE: Duration = Duration::from_secs(5);

async fn within_deadline(
    command: impl Future<Output = redis::RedisResult<()>>,
) -> Result<(), PortError> {
    match tokio::time::timeout(COMMAND_DEADLINE, command).await {
        Ok(sent) => sent.map_err(PortError::unavailable),
        Err(elapsed) => Err(PortError::unavailable(elapsed)),
    }
}

/// The most pub/sub messages handed to the sink in one go.
const MAX_READY: usize = 1_024;

/// Where a subscriber thread hands what it reads.
struct Receiver {
    sink: Arc<dyn EventSink>,
    /// On the connection that listens to [`INVALIDATIONS`].
    invalidations: Option<Arc<dyn InvalidationSink>>,
    skipped: Arc<AtomicU64>,
}

impl Receiver {
    /// Hands `ready` messages to the sink, one call per run of identical
    /// payloads; skips, and counts, what this node cannot read.
    fn deliver(&self, ready: &[redis::Msg]) {
        let (invalidations, events): (Vec<&redis::Msg>, Vec<&redis::Msg>) = ready
            .iter()
            .partition(|message| message.get_channel_name() == INVALIDATIONS);
        for message in invalidations {
            self.invalidate(message);
        }
        for run in events.chunk_by(|a, b| a.get_payload_bytes() == b.get_payload_bytes()) {
            let Some(first) = run.first() else {
                continue;
            };
            let event: LiveEvent = match envelope::open(first.get_payload_bytes()) {
                Received::Event(event) => event,
                Received::Unknown { version, kind } => {
                    self.skipped.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(version, kind, "event from a newer node skipped");
                    continue;
                }
                Received::Unreadable => {
                    self.skipped.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        channel = first.get_channel_name(),
                        "unreadable event on the bus"
                    );
                    continue;
                }
            };
            let recipients: Vec<UserId> = run
                .iter()
                .filter_map(|message| {
                    message
                        .get_channel_name()
                        .strip_prefix(CHANNEL_PREFIX)
                        .and_then(|id| id.parse().ok())
                })
                .collect();
            self.sink.deliver(&recipients, &event);
        }
    }

    fn invalidate(&self, message: &redis::Msg) {
        let Some(sink) = &self.invalidations else {
            return;
        };
        match envelope::open::<Invalidation>(message.get_payload_bytes()) {
            Received::Event(what) => sink.invalidate(&what),
            // A kind this node does not know names nothing it keeps.
            Received::Unknown { version, kind } => {
                self.skipped.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(version, kind, "invalidation from a newer node skipped");
            }
            Received::Unreadable => {
                // It may have named something this node keeps: forget all.
                self.skipped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("unreadable invalidation on the bus; dropping every copy");
                sink.tracking(false);
                sink.tracking(true);
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
        let payload = envelope::seal(event).map_err(PortError::internal)?;
        let mut pipeline = redis::pipe();
        for recipient in recipients {
            pipeline.publish(channel(*recipient), &payload).ignore();
        }
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        pipeline
            .query_async::<()>(&mut connection)
            .await
            .map_err(PortError::unavailable)
    }

    async fn invalidate(&self, what: &Invalidation) -> Result<(), PortError> {
        let payload = envelope::seal(what).map_err(PortError::internal)?;
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        redis::cmd("PUBLISH")
            .arg(INVALIDATIONS)
            .arg(payload)
            .query_async::<()>(&mut connection)
            .await
            .map_err(PortError::unavailable)
    }

    async fn subscribe(&self, user_id: UserId) -> Result<(), PortError> {
        let mut routing = self.shard(user_id).routing.lock().await;
        let count = routing.wanted.entry(user_id).or_default();
        *count += 1;
        if *count > 1 {
            return Ok(());
        }
        // Without a live connection the subscriber subscribes on reconnect.
        let Some(sink) = routing.sink.as_mut() else {
            return Ok(());
        };
        let sent = within_deadline(sink.subscribe(channel(user_id))).await;
        if sent.is_err() {
            // An error means "not subscribed": the caller gives up on the
            // socket and will not unsubscribe, so no count may be left behind.
            routing.wanted.remove(&user_id);
        }
        sent
    }

    async fn unsubscribe(&self, user_id: UserId) -> Result<(), PortError> {
        let mut routing = self.shard(user_id).routing.lock().await;
        match routing.wanted.get_mut(&user_id) {
            Some(count) if *count > 1 => {
                *count -= 1;
                return Ok(());
            }
            Some(_) => {
                routing.wanted.remove(&user_id);
            }
            None => return Ok(()),
        }
        // A channel left subscribed by a failure here only brings events the
        // hub drops, and the next reconnect subscribes only what is wanted.
        match routing.sink.as_mut() {
            Some(sink) => within_deadline(sink.unsubscribe(channel(user_id))).await,
            None => Ok(()),
        }
    }
}
