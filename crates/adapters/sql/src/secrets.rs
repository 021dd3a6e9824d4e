//! Server-wide secrets kept in the shared database (`server_secrets`), so
//! that every node on one database uses the same value by construction: the
//! first node to need one inserts it, every other node reads it.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use nerutalk_ports::PortError;
use secrecy::{ExposeSecret, SecretString};

use crate::SqlStore;
use crate::connection::AnyConnection;
use crate::schema::server_secrets;

/// The secrets table; used only by the server's start-up.
#[derive(Debug, Clone)]
pub struct SqlSecretStore {
    store: SqlStore,
}

/// The secret every node uses, and whether this call stored it.
#[derive(Debug)]
pub struct KeptSecret {
    pub value: SecretString,
    /// `true` when `candidate` was stored by this call; `false` when a value
    /// was already there (stored earlier, or by a node that won the race).
    pub inserted: bool,
}

impl SqlSecretStore {
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        Self { store }
    }

    /// Stores `candidate` under `name` unless a value is there already, then
    /// returns the stored value. Two nodes racing both get the winner's value:
    /// the insert does nothing on conflict (PostgreSQL waits for the other
    /// transaction to commit first) and the read after it sees the committed row.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the database cannot be reached, or the
    /// `server_secrets` table is missing (migrations not applied).
    pub async fn keep_first(
        &self,
        name: &str,
        candidate: SecretString,
    ) -> Result<KeptSecret, PortError> {
        let name = name.to_owned();
        let created_at = chrono::Utc::now().naive_utc();
        let (value, inserted) = self
            .store
            .write(move |connection| {
                let row = (
                    server_secrets::name.eq(&name),
                    server_secrets::value.eq(candidate.expose_secret()),
                    server_secrets::created_at.eq(created_at),
                );
                // ON CONFLICT does not pass through MultiBackend; each backend takes it itself.
                let inserted = match connection {
                    AnyConnection::Postgresql(postgres) => {
                        diesel::insert_into(server_secrets::table)
                            .values(row)
                            .on_conflict_do_nothing()
                            .execute(postgres)?
                    }
                    AnyConnection::Sqlite(sqlite) => diesel::insert_into(server_secrets::table)
                        .values(row)
                        .on_conflict_do_nothing()
                        .execute(sqlite)?,
                };
                let value: String = server_secrets::table
                    .find(&name)
                    .select(server_secrets::value)
                    .first(connection)?;
                Ok::<_, DieselError>((value, inserted == 1))
            })
            .await?;
        Ok(KeptSecret {
            value: SecretString::from(value),
            inserted,
        })
    }
}
