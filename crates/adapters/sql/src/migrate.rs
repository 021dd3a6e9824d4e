//! Schema migrations, embedded in the binary: one tree per backend, same names.

use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::AnyConnection;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../../migrations/sqlite");

/// Any key will do, as long as every node uses the same one.
const MIGRATION_LOCK: i64 = 0x6e65_7275_7461_6c6b;

/// A migration that failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("no connection for migrations: {0}")]
    Connection(#[from] diesel::r2d2::PoolError),
    #[error("migration failed: {0}")]
    Failed(String),
}

fn failed(error: impl std::fmt::Display) -> MigrationError {
    MigrationError::Failed(error.to_string())
}

/// Applies pending migrations. On PostgreSQL an advisory lock makes nodes
/// that start together take turns instead of racing on the same DDL.
pub(crate) fn run_pending(connection: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    let names = |versions: Vec<diesel::migration::MigrationVersion<'_>>| {
        versions.iter().map(ToString::to_string).collect()
    };
    match connection {
        AnyConnection::Postgresql(pg) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .execute(pg)
                .map_err(failed)?;
            let applied = pg
                .run_pending_migrations(POSTGRES)
                .map(names)
                .map_err(failed);
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                .execute(pg)
                .map_err(failed)?;
            applied
        }
        AnyConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE)
            .map(names)
            .map_err(failed),
    }
}

/// Up, all the way down, and up again.
pub(crate) fn round_trip(connection: &mut AnyConnection) -> Result<(), MigrationError> {
    run_pending(connection)?;
    match connection {
        AnyConnection::Postgresql(pg) => {
            pg.revert_all_migrations(POSTGRES).map_err(failed)?;
        }
        AnyConnection::Sqlite(sqlite) => {
            sqlite.revert_all_migrations(SQLITE).map_err(failed)?;
        }
    }
    run_pending(connection).map(|_| ())
}
