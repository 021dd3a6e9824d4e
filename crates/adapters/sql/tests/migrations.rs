//! Both migration trees apply, revert and apply again on their backend.

use nerutalk_sql::scratch::ScratchDatabase;
use nerutalk_sql::{DatabaseUrl, SqlStore};

fn sqlite_url() -> DatabaseUrl {
    let path =
        std::env::temp_dir().join(format!("nerutalk-migrations-{}.db", uuid::Uuid::now_v7()));
    DatabaseUrl::Sqlite(path)
}

#[tokio::test]
async fn sqlite_migrations_round_trip() {
    let store = SqlStore::connect(&sqlite_url(), 2).unwrap();
    store.migration_round_trip().await.unwrap();
}

#[tokio::test]
#[ignore = "needs PostgreSQL: cargo xtask test"]
async fn postgres_migrations_round_trip() {
    let database = ScratchDatabase::create().unwrap();
    let store = SqlStore::connect(&DatabaseUrl::parse(database.url()), 2).unwrap();
    store.migration_round_trip().await.unwrap();
}
