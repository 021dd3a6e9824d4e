//! The connection type over both backends, and how a URL picks one.

use std::path::PathBuf;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;

/// A connection to whichever database the URL named.
#[expect(
    missing_debug_implementations,
    reason = "diesel connections have no Debug"
)]
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// The two supported databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Postgres,
    Sqlite,
}

/// A database location, parsed from `DATABASE_URL`: `postgres://…` or
/// `postgresql://…` for PostgreSQL; `sqlite://path`, `sqlite:path` or a bare
/// file path for SQLite. The scheme decides, not the order of connection attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    #[must_use]
    pub fn parse(url: &str) -> Self {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Self::Postgres(url.to_owned());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Self::Sqlite(PathBuf::from(path))
    }

    #[must_use]
    pub fn kind(&self) -> DatabaseKind {
        match self {
            Self::Postgres(_) => DatabaseKind::Postgres,
            Self::Sqlite(_) => DatabaseKind::Sqlite,
        }
    }

    /// The URL without credentials, safe for logs.
    #[must_use]
    pub fn redacted(&self) -> String {
        match self {
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme_end), Some(at)) if at > scheme_end => {
                    format!("{}://***{}", &url[..scheme_end], &url[at..])
                }
                _ => url.clone(),
            },
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }
}

/// Opens connections of the kind the URL names, with SQLite tuned for a
/// server: WAL so readers never wait for the writer, foreign keys enforced,
/// a busy timeout instead of instant `SQLITE_BUSY`. The timeout comes first:
/// the pool opens connections in parallel and switching to WAL takes a lock.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionManager {
    url: DatabaseUrl,
    /// Every statement the pool's connections send, for tests that bound
    /// what a call costs.
    #[cfg(feature = "testing")]
    statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl ConnectionManager {
    pub(crate) fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            #[cfg(feature = "testing")]
            statements: std::sync::Arc::default(),
        }
    }

    /// The count of statements this manager's connections send.
    #[cfg(feature = "testing")]
    pub(crate) fn statements(&self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        std::sync::Arc::clone(&self.statements)
    }

    #[cfg(feature = "testing")]
    fn counted(&self, mut connection: AnyConnection) -> AnyConnection {
        connection.set_instrumentation(StatementCounter(self.statements()));
        connection
    }

    fn open(&self) -> Result<AnyConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            DatabaseUrl::Sqlite(path) => {
                let mut connection = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                connection
                    .batch_execute(
                        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    )
                    .map_err(r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(connection))
            }
        }
    }
}

/// Counts the statements a connection starts.
#[cfg(feature = "testing")]
struct StatementCounter(std::sync::Arc<std::sync::atomic::AtomicU64>);

#[cfg(feature = "testing")]
impl diesel::connection::Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        let connection = self.open()?;
        #[cfg(feature = "testing")]
        let connection = self.counted(connection);
        Ok(connection)
    }

    fn is_valid(&self, connection: &mut AnyConnection) -> Result<(), r2d2::Error> {
        connection
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _connection: &mut AnyConnection) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@h/db").kind(),
            DatabaseKind::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db").kind(),
            DatabaseKind::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/nerutalk.db"),
            DatabaseUrl::Sqlite(PathBuf::from("data/nerutalk.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:x.db"),
            DatabaseUrl::Sqlite(PathBuf::from("x.db"))
        );
        assert_eq!(DatabaseUrl::parse("./a.db").kind(), DatabaseKind::Sqlite);
    }

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            DatabaseUrl::parse("postgres://me:secret@db:5432/nt").redacted(),
            "postgres://***@db:5432/nt"
        );
    }
}
