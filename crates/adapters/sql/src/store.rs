//! The connection pool, and running blocking diesel work off the async executor.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::{Pool, PooledConnection};
use diesel::result::Error as DieselError;
use nerutalk_ports::PortError;

use crate::connection::{AnyConnection, ConnectionManager, DatabaseKind, DatabaseUrl};
use crate::error::map_diesel;
use crate::migrate::{self, MigrationError};

/// A store that could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the directory of the SQLite database {path}: {source}")]
    Directory {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: diesel::r2d2::PoolError,
    },
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error("the database worker thread was lost: {0}")]
    Worker(String),
}

/// A pool of connections to one database; every repository shares it.
#[derive(Clone)]
pub struct SqlStore {
    pool: Pool<ConnectionManager>,
    kind: DatabaseKind,
    /// SQLite has a single writer. Writers wait here, woken as soon as the
    /// lock is free, instead of in SQLite's busy handler, which sleeps for up
    /// to 100 ms between tries.
    write_turn: Option<Arc<Mutex<()>>>,
    /// Callers waiting for a connection right now: r2d2 does not count them.
    waiting: Arc<AtomicU32>,
    #[cfg(feature = "testing")]
    statements: Arc<std::sync::atomic::AtomicU64>,
}

/// The pool at one moment, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections handed out.
    pub in_use: u32,
    /// Connections open and free.
    pub idle: u32,
    /// Callers waiting for a connection.
    pub waiting: u32,
    /// The most connections the pool opens (`DATABASE_POOL_SIZE`).
    pub max: u32,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// Opens a pool of `max_connections` to the database at `url`, creating a
    /// SQLite file (and its directory) when it does not exist yet.
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot be reached.
    pub fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Self, StoreError> {
        if let DatabaseUrl::Sqlite(path) = url {
            if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
                    path: path.display().to_string(),
                    source,
                })?;
            }
        }
        let manager = ConnectionManager::new(url.clone());
        #[cfg(feature = "testing")]
        let statements = manager.statements();
        let pool = Pool::builder()
            .max_size(max_connections.max(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|source| StoreError::Connect {
                url: url.redacted(),
                source,
            })?;
        let kind = url.kind();
        Ok(Self {
            pool,
            kind,
            write_turn: (kind == DatabaseKind::Sqlite).then(|| Arc::new(Mutex::new(()))),
            waiting: Arc::new(AtomicU32::new(0)),
            #[cfg(feature = "testing")]
            statements,
        })
    }

    #[must_use]
    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// How many statements this store has sent to the database so far,
    /// pool checks and transaction control included: a test reads it before
    /// and after a call to learn what the call cost.
    #[cfg(feature = "testing")]
    #[must_use]
    pub fn statements_sent(&self) -> u64 {
        self.statements.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How busy the pool is now.
    #[must_use]
    pub fn pool_status(&self) -> PoolStatus {
        let state = self.pool.state();
        PoolStatus {
            in_use: state.connections.saturating_sub(state.idle_connections),
            idle: state.idle_connections,
            waiting: self.waiting.load(Ordering::Relaxed),
            max: self.pool.max_size(),
        }
    }

    /// A pooled connection, counted among the waiting until it is handed over.
    fn connection(&self) -> Result<PooledConnection<ConnectionManager>, PortError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let connection = self.pool.get();
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        connection.map_err(PortError::unavailable)
    }

    /// Applies every pending migration; returns the names applied.
    ///
    /// # Errors
    /// [`StoreError::Migration`] when one fails (it is rolled back).
    pub async fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = pool.get().map_err(MigrationError::from)?;
            Ok(migrate::run_pending(&mut connection)?)
        })
        .await
        .map_err(|error| StoreError::Worker(error.to_string()))?
    }

    /// Reverts every migration and applies them again: the round-trip check.
    ///
    /// # Errors
    /// [`StoreError::Migration`] when a step fails.
    pub async fn migration_round_trip(&self) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = pool.get().map_err(MigrationError::from)?;
            Ok(migrate::round_trip(&mut connection)?)
        })
        .await
        .map_err(|error| StoreError::Worker(error.to_string()))?
    }

    /// Runs `work` on a pooled connection in the blocking thread pool.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, PortError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, DieselError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = store.connection()?;
            work(&mut connection).map_err(map_diesel)
        })
        .await
        .map_err(PortError::internal)?
    }

    /// Runs `work` in a transaction that holds the write lock from its first
    /// statement. On SQLite that is `BEGIN IMMEDIATE`: a deferred transaction
    /// that reads before it writes can fail with `SQLITE_BUSY` when another
    /// writer commits in between, and no busy timeout helps then.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, PortError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, DieselError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.write_blocking(work))
            .await
            .map_err(PortError::internal)?
    }

    /// [`Self::write`] on the calling thread, for threads that may block.
    pub(crate) fn write_blocking<T>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, DieselError>,
    ) -> Result<T, PortError> {
        // The turn is taken before a connection, so waiting writers do not
        // hold connections that readers could use.
        let _turn = self
            .write_turn
            .as_deref()
            .map(|turn| turn.lock().unwrap_or_else(PoisonError::into_inner));
        let mut connection = self.connection()?;
        write_transaction(&mut connection, work).map_err(map_diesel)
    }
}

fn write_transaction<T>(
    connection: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, DieselError>,
) -> Result<T, DieselError> {
    if !matches!(connection, AnyConnection::Sqlite(_)) {
        return connection.transaction(work);
    }
    with_sqlite(connection, |sqlite| {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
    })?;
    let outcome = work(connection);
    with_sqlite(connection, |sqlite| match &outcome {
        Ok(_) => AnsiTransactionManager::commit_transaction(sqlite),
        Err(_) => AnsiTransactionManager::rollback_transaction(sqlite),
    })?;
    outcome
}

fn with_sqlite<T>(
    connection: &mut AnyConnection,
    step: impl FnOnce(&mut diesel::SqliteConnection) -> Result<T, DieselError>,
) -> Result<T, DieselError> {
    match connection {
        AnyConnection::Sqlite(sqlite) => step(sqlite),
        AnyConnection::Postgresql(_) => Err(DieselError::BrokenTransactionManager),
    }
}

/// Ids per statement in [`load_in_chunks`]: an id may appear twice in a
/// statement, and twice this stays below both backends' bind limits:
/// PostgreSQL's 65,535 and SQLite's 32,766 (since SQLite 3.32, which the
/// `bundled` feature builds; a system SQLite older than that, linked without
/// it, allows 999 and is not supported).
const IDS_PER_QUERY: usize = 5_000;

/// Runs `load` over `ids` a bind-limit's worth at a time and joins the rows,
/// so a lookup `IN` a list of any length is a few statements, not an error.
pub(crate) fn load_in_chunks<K, T>(
    ids: &[K],
    mut load: impl FnMut(&[K]) -> Result<Vec<T>, DieselError>,
) -> Result<Vec<T>, DieselError> {
    let mut rows = Vec::new();
    for batch in ids.chunks(IDS_PER_QUERY) {
        rows.extend(load(batch)?);
    }
    Ok(rows)
}
