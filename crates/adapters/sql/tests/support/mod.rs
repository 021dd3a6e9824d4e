//! What the contract suites share: each clause becomes its own test on each
//! backend, so one failing clause hides none of the others.

/// Expands each clause, an `async fn(&Repositories)` of the calling file,
/// into `sqlite::<clause>` (always run) and `postgres::<clause>` (run with
/// `--include-ignored`), each on a database of its own made by the calling
/// file's `repositories(&DatabaseUrl)`.
macro_rules! contract_clauses {
    ($($clause:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $clause() {
                    let name = format!("nerutalk-contract-{}.db", uuid::Uuid::now_v7());
                    let url = nerutalk_sql::DatabaseUrl::Sqlite(std::env::temp_dir().join(name));
                    super::$clause(&super::repositories(&url).await).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                #[ignore = "needs PostgreSQL: cargo xtask test"]
                async fn $clause() {
                    let database = nerutalk_sql::scratch::ScratchDatabase::create().unwrap();
                    let url = nerutalk_sql::DatabaseUrl::parse(database.url());
                    assert!(
                        matches!(url, nerutalk_sql::DatabaseUrl::Postgres(_)),
                        "{url:?}"
                    );
                    super::$clause(&super::repositories(&url).await).await;
                }
            )+
        }
    };
}
