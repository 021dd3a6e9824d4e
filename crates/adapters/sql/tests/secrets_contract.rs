//! `SqlSecretStore` on SQLite and PostgreSQL, with two stores on one
//! database standing for two nodes starting side by side.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]

#[macro_use]
mod support;

use nerutalk_sql::{DatabaseUrl, SqlSecretStore, SqlStore};
use secrecy::{ExposeSecret, SecretString};

/// Two nodes' secret stores over one database, each with its own pool.
struct Nodes {
    a: SqlSecretStore,
    b: SqlSecretStore,
}

async fn repositories(url: &DatabaseUrl) -> Nodes {
    let first = SqlStore::connect(url, 4).unwrap();
    first.migrate().await.unwrap();
    let second = SqlStore::connect(url, 4).unwrap();
    Nodes {
        a: SqlSecretStore::new(first),
        b: SqlSecretStore::new(second),
    }
}

fn candidate(node: &str, attempt: usize) -> SecretString {
    SecretString::from(format!("{node}-{attempt}"))
}

/// Many first starts at once, on both nodes, each with its own candidate:
/// exactly one stores its key, and every one of them ends up with it.
async fn concurrent_first_starts_agree_on_one_key(nodes: &Nodes) {
    let starts = (0..8).flat_map(|attempt| {
        [
            (nodes.a.clone(), candidate("a", attempt)),
            (nodes.b.clone(), candidate("b", attempt)),
        ]
    });
    let handles: Vec<_> = starts
        .map(|(node, key)| tokio::spawn(async move { node.keep_first("jwt", key).await }))
        .collect();
    let mut kept = Vec::new();
    for handle in handles {
        kept.push(handle.await.unwrap().unwrap());
    }
    assert_eq!(kept.iter().filter(|secret| secret.inserted).count(), 1);
    let winner = kept
        .iter()
        .find(|secret| secret.inserted)
        .unwrap()
        .value
        .expose_secret()
        .to_owned();
    assert!(
        kept.iter()
            .all(|secret| secret.value.expose_secret() == winner)
    );
    // A later start, on either node, still reads the winner's key.
    let later = nodes
        .b
        .keep_first("jwt", candidate("late", 0))
        .await
        .unwrap();
    assert!(!later.inserted);
    assert_eq!(later.value.expose_secret(), winner);
}

/// A stored key is never replaced; another name is another secret.
async fn an_existing_key_is_kept(nodes: &Nodes) {
    let first = nodes.a.keep_first("jwt", candidate("a", 0)).await.unwrap();
    assert!(first.inserted);
    assert_eq!(first.value.expose_secret(), "a-0");
    let again = nodes.a.keep_first("jwt", candidate("a", 1)).await.unwrap();
    let other_node = nodes.b.keep_first("jwt", candidate("b", 0)).await.unwrap();
    for kept in [again, other_node] {
        assert!(!kept.inserted);
        assert_eq!(kept.value.expose_secret(), "a-0");
    }
    let other = nodes
        .b
        .keep_first("other", candidate("b", 1))
        .await
        .unwrap();
    assert!(other.inserted);
    assert_eq!(other.value.expose_secret(), "b-1");
}

contract_clauses!(
    concurrent_first_starts_agree_on_one_key,
    an_existing_key_is_kept
);
