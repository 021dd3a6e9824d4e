//! Throwaway PostgreSQL databases for test suites: each suite gets its own,
//! with a random name, dropped when it goes out of scope.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use rand::Rng;

/// Where the test PostgreSQL server is, unless `NERUTALK_TEST_POSTGRES_URL` says otherwise.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists until this value is dropped.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates `nerutalk_test_<random>` on the server at
    /// `NERUTALK_TEST_POSTGRES_URL` (or [`DEFAULT_ADMIN_URL`]).
    ///
    /// # Errors
    /// When the server cannot be reached: the caller's test should fail,
    /// not skip, because it was asked to run against PostgreSQL.
    pub fn create() -> Result<Self, diesel::ConnectionError> {
        let admin_url = std::env::var("NERUTALK_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
        let name = format!("nerutalk_test_{:016x}", rand::thread_rng().r#gen::<u64>());
        let mut admin = PgConnection::establish(&admin_url)?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|error| diesel::ConnectionError::BadConnection(error.to_string()))?;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Ok(Self {
            admin_url,
            name,
            url,
        })
    }

    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _dropped = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
